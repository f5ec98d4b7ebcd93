//! C*(ω) and its projections (docs/theory.md §6; paper Eqs. 4–7).

use crate::ModeSum;
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use nonaffine_core::MemoryKernel;
use num_complex::Complex64;

/// The affine part of the response: Born moduli and volume of one structure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    /// Born (affine) moduli C^B, GPa, Voigt xx yy zz yz xz xy.
    pub born_gpa: [[f64; 6]; 6],
    /// Cell volume V, Å³.
    pub volume_a3: f64,
}

/// The argument z = ω² − iω ν̃(ω) of the resolvent, eV/(Å²·amu), so that
/// ω_p² − z = ω_p² − ω² + iω ν̃(ω) is the denominator of docs/theory.md Eq. (42).
pub fn resolvent_argument(omega: f64, kernel: &dyn MemoryKernel) -> Complex64 {
    let nu = kernel.nu_freq(omega);
    Complex64::new(omega * omega, 0.0) - Complex64::new(0.0, omega) * nu
}

/// C*_ab(ω) = C^B_ab − (1/V) Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / (ω_p² − ω² + iω ν̃(ω)), GPa
/// (docs/theory.md Eq. (42); paper Eq. 4 for a = b = xx). ω in rad per model time
/// unit. Storage is the real part, loss the imaginary part (positive for a
/// dissipative kernel, ν1 > 0).
pub fn complex_moduli(
    affine: &Affine,
    modes: &dyn ModeSum,
    kernel: &dyn MemoryKernel,
    omega: f64,
) -> [[Complex64; 6]; 6] {
    let r = modes.resolvent(resolvent_argument(omega, kernel));
    let f = GPA_PER_EV_PER_A3 / affine.volume_a3;
    std::array::from_fn(|a| std::array::from_fn(|b| affine.born_gpa[a][b] - f * r[a][b]))
}

/// E*(ω) = C*_xx,xx(ω) only (the paper's uniaxial modulus), GPa; one resolvent
/// component, so cheaper than [`complex_moduli`].
pub fn uniaxial_modulus(
    affine: &Affine,
    modes: &dyn ModeSum,
    kernel: &dyn MemoryKernel,
    omega: f64,
) -> Complex64 {
    let r = modes.resolvent_component(resolvent_argument(omega, kernel), 0, 0);
    affine.born_gpa[0][0] - GPA_PER_EV_PER_A3 / affine.volume_a3 * r
}

/// Complex moduli of an isotropic glass from a 6×6 C*, GPa.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Isotropic {
    /// The paper's uniaxial E* = C11 (fixed lateral size).
    pub uniaxial: Complex64,
    /// Voigt-averaged bulk modulus K* = [C11+C22+C33 + 2(C12+C13+C23)]/9.
    pub bulk: Complex64,
    /// Voigt-averaged shear modulus
    /// G* = [(C11+C22+C33) − (C12+C13+C23) + 3(C44+C55+C66)]/15, which for an
    /// isotropic tensor equals C44 = (C11 − C12)/2.
    pub shear: Complex64,
    /// Young's modulus 9K*G*/(3K* + G*).
    pub young: Complex64,
}

impl Isotropic {
    /// Projects a Voigt 6×6 complex tensor (Voigt averages, exact for an
    /// isotropic tensor and the standard estimate for a finite sample).
    pub fn from_voigt(c: &[[Complex64; 6]; 6]) -> Self {
        let diag = c[0][0] + c[1][1] + c[2][2];
        let off = c[0][1] + c[0][2] + c[1][2];
        let shear_diag = c[3][3] + c[4][4] + c[5][5];
        let bulk = (diag + 2.0 * off) / 9.0;
        let shear = (diag - off + 3.0 * shear_diag) / 15.0;
        Self {
            uniaxial: c[0][0],
            bulk,
            shear,
            young: 9.0 * bulk * shear / (3.0 * bulk + shear),
        }
    }
}

/// The paper's free rescaling constants of Eqs. 6–7 (in the reference's modulus unit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaperHeights {
    /// E_A, the high-frequency (affine) level of E'.
    pub e_a: f64,
    /// A, the scale of the nonaffine softening in E'.
    pub a: f64,
    /// B, the scale of E''.
    pub b: f64,
}

/// The paper's Eqs. 6–7: E' = E_A − A Σ_p Γ(ω_p)(ω_p² − ω² + ν2ω)/D_p,
/// E'' = B Σ_p Γ(ω_p) ων1/D_p with D_p = (ω_p² − ω² + ν2ω)² + (ων1)²
/// (ν̃ = ν1 − iν2). With S = R_xx,xx(ω² − iων̃) these are E' = E_A − A Re S and
/// E'' = −B Im S: Γ(ω_p) is taken as Ξ̂²_{p,xx} itself, whose sum over a
/// frequency shell equals that of the paper's shell-averaged Γ.
/// Returns (E', E'').
pub fn paper_moduli(
    heights: &PaperHeights,
    modes: &dyn ModeSum,
    kernel: &dyn MemoryKernel,
    omega: f64,
) -> (f64, f64) {
    let s = modes.resolvent_component(resolvent_argument(omega, kernel), 0, 0);
    (heights.e_a - heights.a * s.re, -heights.b * s.im)
}
