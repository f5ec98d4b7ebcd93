//! The Hessian stage's products and their files.

use nalgebra_sparse::{CooMatrix, CsrMatrix};
use nonaffine_core::Structure;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Voigt order of strain and stress components.
pub const VOIGT: [&str; 6] = ["xx", "yy", "zz", "yz", "xz", "xy"];

/// Why reading, writing or building Hessian products failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HessianError {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Inconsistent sizes or values.
    #[error("{0}")]
    Invalid(String),
    /// The neighbour search failed (cell too small, overlapping atoms, ...).
    #[error(transparent)]
    Forces(#[from] nonaffine_forces::ForceError),
    /// The potential has no analytic form (only LAMMPS can evaluate it).
    #[error(
        "potential `{0}` has no analytic form (EamForm) that this program can differentiate, \
         so it has no Hessian here; use an eam/fs, eam/alloy or lj/cut potential"
    )]
    NoForm(String),
    /// The conjugate gradient of the relaxed moduli did not converge.
    #[error("{0}")]
    NotConverged(String),
    /// The Hessian is not positive on the complement of the translations.
    #[error("{0}")]
    NotMinimum(String),
}

pub(crate) fn file_err(path: &Path, e: impl std::fmt::Display) -> HessianError {
    HessianError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The file format of the stored Hessian, chosen by its file name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MatrixFormat {
    /// `hessian.mtx`: Matrix Market text, lower triangle (readable anywhere, slow).
    #[default]
    MatrixMarket,
    /// `hessian.npz`: scipy's binary CSR layout, both triangles ([`crate::npz`]).
    Npz,
}

impl MatrixFormat {
    /// Every format, in the order a folder is searched.
    pub const ALL: [MatrixFormat; 2] = [MatrixFormat::MatrixMarket, MatrixFormat::Npz];

    /// The file name in a Hessian folder.
    pub fn file_name(self) -> &'static str {
        match self {
            MatrixFormat::MatrixMarket => "hessian.mtx",
            MatrixFormat::Npz => "hessian.npz",
        }
    }

    /// The format named `mtx` or `npz` (a file extension).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "mtx" => Some(MatrixFormat::MatrixMarket),
            "npz" => Some(MatrixFormat::Npz),
            _ => None,
        }
    }

    /// The format of a file, by its extension.
    pub fn of_path(path: &Path) -> Option<Self> {
        Self::parse(path.extension()?.to_str()?)
    }
}

/// The stored Hessian of a folder (`hessian.mtx` or `hessian.npz`), None when
/// it has neither; both is an error (which one is current is unknown).
pub fn matrix_file(dir: &Path) -> Result<Option<PathBuf>, HessianError> {
    let found: Vec<PathBuf> = MatrixFormat::ALL
        .iter()
        .map(|f| dir.join(f.file_name()))
        .filter(|p| p.is_file())
        .collect();
    match &found[..] {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(file_err(
            dir,
            "holds both hessian.mtx and hessian.npz; remove the one that is not current",
        )),
    }
}

/// (rows, columns, stored entries) of a stored Hessian, from its header only
/// (entries: the lower triangle's for `.mtx`, both triangles' for `.npz`).
pub fn matrix_size(path: &Path) -> Result<(usize, usize, usize), HessianError> {
    match MatrixFormat::of_path(path) {
        Some(MatrixFormat::Npz) => crate::npz::npz_size(path),
        _ => matrix_market_size(path),
    }
}

/// Reads a stored Hessian, `.mtx` or `.npz` by extension.
pub fn read_matrix(path: &Path) -> Result<CsrMatrix<f64>, HessianError> {
    match MatrixFormat::of_path(path) {
        Some(MatrixFormat::Npz) => crate::npz::read_csr_npz(path),
        _ => Ok(CsrMatrix::from(&read_matrix_market(path)?)),
    }
}

/// Writes a symmetric matrix as `.mtx` (lower triangle) or `.npz` (both triangles).
pub fn write_matrix(
    path: &Path,
    m: &CsrMatrix<f64>,
    format: MatrixFormat,
) -> Result<(), HessianError> {
    match format {
        MatrixFormat::Npz => crate::npz::write_csr_npz(path, m),
        MatrixFormat::MatrixMarket => {
            std::fs::write(path, matrix_market_lower(m)).map_err(|e| file_err(path, e))
        }
    }
}

/// The Hessian, nonaffine force fields and affine moduli of one structure.
#[derive(Clone, Debug)]
pub struct HessianProducts {
    /// The structure they belong to (atom order defines rows).
    pub structure: Structure,
    /// H (3N×3N, both triangles stored), eV/Å².
    pub hessian: CsrMatrix<f64>,
    /// Ξ: 3N rows (atom i, axis k at row 3i+k), 6 Voigt columns, eV/Å.
    pub xi: Vec<[f64; 6]>,
    /// Born (affine) elastic constants C^B, GPa, Voigt.
    pub born_gpa: [[f64; 6]; 6],
    /// Residual stress σ = (1/V) ∂U/∂η (tension positive), GPa, Voigt.
    pub stress_gpa: [f64; 6],
    /// Relaxed (static, nonaffine) elastic constants, GPa, when computed.
    pub relaxed_gpa: Option<[[f64; 6]; 6]>,
}

#[derive(Serialize, Deserialize)]
struct BornFile {
    born_gpa: [[f64; 6]; 6],
    stress_gpa: [f64; 6],
    volume_a3: f64,
    voigt_order: [String; 6],
}

#[derive(Serialize, Deserialize)]
struct RelaxedFile {
    relaxed_gpa: [[f64; 6]; 6],
    voigt_order: [String; 6],
}

impl HessianProducts {
    /// Cell volume, Å³.
    pub fn volume_a3(&self) -> f64 {
        self.structure.cell.volume()
    }

    /// Mass of each degree of freedom (3 per atom), amu.
    pub fn dof_masses_amu(&self) -> Vec<f64> {
        self.structure
            .masses()
            .iter()
            .flat_map(|m| [*m; 3])
            .collect()
    }

    /// The mass-weighted Hessian D = M^{-1/2} H M^{-1/2}, eV/(Å²·amu); its
    /// eigenvalues are ω_p² (docs/theory.md Eq. (22)).
    pub fn mass_weighted(&self) -> CsrMatrix<f64> {
        let inv_sqrt: Vec<f64> = self
            .dof_masses_amu()
            .iter()
            .map(|m| 1.0 / m.sqrt())
            .collect();
        let mut d = self.hessian.clone();
        let (offsets, cols, vals) = d.csr_data_mut();
        for row in 0..offsets.len().saturating_sub(1) {
            for k in offsets[row]..offsets[row + 1] {
                vals[k] *= inv_sqrt[row] * inv_sqrt[cols[k]];
            }
        }
        d
    }

    /// The mass-weighted force fields M^{-1/2} Ξ, eV/(Å·amu^{1/2}).
    pub fn xi_mass_weighted(&self) -> Vec<[f64; 6]> {
        self.dof_masses_amu()
            .iter()
            .zip(&self.xi)
            .map(|(m, row)| row.map(|x| x / m.sqrt()))
            .collect()
    }

    /// Checks sizes: H is 3N×3N and Ξ has 3N rows.
    pub fn validate(&self) -> Result<(), HessianError> {
        let n3 = 3 * self.structure.len();
        if self.hessian.nrows() != n3 || self.hessian.ncols() != n3 {
            return Err(HessianError::Invalid(format!(
                "Hessian is {}×{}, expected {n3}×{n3} for {} atoms",
                self.hessian.nrows(),
                self.hessian.ncols(),
                self.structure.len()
            )));
        }
        if self.xi.len() != n3 {
            return Err(HessianError::Invalid(format!(
                "Ξ has {} rows, expected {n3}",
                self.xi.len()
            )));
        }
        Ok(())
    }

    /// Writes the files listed in the crate docs into `dir` (H as `hessian.mtx`).
    pub fn write_dir(&self, dir: &Path) -> Result<(), HessianError> {
        self.write_dir_with(dir, Some(MatrixFormat::MatrixMarket))
    }

    /// [`HessianProducts::write_dir`] with H in the given format.
    pub fn write_dir_as(&self, dir: &Path, format: MatrixFormat) -> Result<(), HessianError> {
        self.write_dir_with(dir, Some(format))
    }

    /// [`HessianProducts::write_dir`] without `hessian.mtx` (for products of
    /// [`crate::compute_matrix_free`], read back with
    /// [`HessianProducts::read_dir_without_matrix`]).
    pub fn write_dir_without_matrix(&self, dir: &Path) -> Result<(), HessianError> {
        self.write_dir_with(dir, None)
    }

    fn write_dir_with(&self, dir: &Path, matrix: Option<MatrixFormat>) -> Result<(), HessianError> {
        self.validate()?;
        std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
        let p = dir.join("structure.data");
        nonaffine_io::write_lammps_data(&p, &self.structure, "nonaffine hessian: structure")
            .map_err(|e| file_err(&p, e))?;
        if let Some(format) = matrix {
            // A stale file of the other format would make the folder ambiguous.
            for other in MatrixFormat::ALL {
                let p = dir.join(other.file_name());
                if other != format && p.is_file() {
                    std::fs::remove_file(&p).map_err(|e| file_err(&p, e))?;
                }
            }
            write_matrix(&dir.join(format.file_name()), &self.hessian, format)?;
        }
        let p = dir.join("xi.csv");
        let mut csv = String::from("atom,component,xx,yy,zz,yz,xz,xy\n");
        for (row, x) in self.xi.iter().enumerate() {
            csv += &format!("{},{}", row / 3, ["x", "y", "z"][row % 3]);
            for v in x {
                csv += &format!(",{v:e}");
            }
            csv.push('\n');
        }
        std::fs::write(&p, csv).map_err(|e| file_err(&p, e))?;
        let voigt = VOIGT.map(String::from);
        let born = BornFile {
            born_gpa: self.born_gpa,
            stress_gpa: self.stress_gpa,
            volume_a3: self.volume_a3(),
            voigt_order: voigt.clone(),
        };
        write_json(&dir.join("born.json"), &born)?;
        if let Some(relaxed_gpa) = self.relaxed_gpa {
            write_json(
                &dir.join("relaxed.json"),
                &RelaxedFile {
                    relaxed_gpa,
                    voigt_order: voigt,
                },
            )?;
        }
        Ok(())
    }

    /// Reads what [`HessianProducts::write_dir`] wrote (H from `hessian.mtx`
    /// or `hessian.npz`, see [`matrix_file`]); `names` name the structure's
    /// types when its data file has no element comments.
    pub fn read_dir(dir: &Path, names: Option<&[String]>) -> Result<Self, HessianError> {
        Self::read_dir_with(dir, names, true)
    }

    /// [`HessianProducts::read_dir`] without reading the stored H: `hessian`
    /// is then a 3N×3N matrix with no stored entries, for callers that apply
    /// H matrix-free ([`crate::MatrixFreeHessian`]) and need only the
    /// structure, Ξ and the moduli (memory linear in N).
    pub fn read_dir_without_matrix(
        dir: &Path,
        names: Option<&[String]>,
    ) -> Result<Self, HessianError> {
        Self::read_dir_with(dir, names, false)
    }

    fn read_dir_with(
        dir: &Path,
        names: Option<&[String]>,
        matrix: bool,
    ) -> Result<Self, HessianError> {
        let p = dir.join("structure.data");
        let structure = nonaffine_io::read_lammps_data(&p, names).map_err(|e| file_err(&p, e))?;
        let matrix_path = if matrix {
            Some(matrix_file(dir)?.ok_or_else(|| {
                file_err(
                    dir,
                    "no hessian.mtx or hessian.npz (written without the matrix?)",
                )
            })?)
        } else {
            None
        };
        let hessian = if let Some(p) = &matrix_path {
            read_matrix(p)?
        } else {
            let n3 = 3 * structure.len();
            CsrMatrix::zeros(n3, n3)
        };
        let p = dir.join("xi.csv");
        let text = std::fs::read_to_string(&p).map_err(|e| file_err(&p, e))?;
        let mut xi = Vec::new();
        for (n, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 8 {
                return Err(file_err(
                    &p,
                    format!("line {}: expected 8 columns, found {}", n + 1, f.len()),
                ));
            }
            let mut row = [0.0; 6];
            for (k, v) in row.iter_mut().enumerate() {
                *v = f[k + 2]
                    .trim()
                    .parse()
                    .map_err(|e| file_err(&p, format!("line {}, column {}: {e}", n + 1, k + 3)))?;
            }
            xi.push(row);
        }
        // Sizes against the structure, naming the file that disagrees (a bare
        // count from `validate` would not say which file is damaged).
        let n_atoms = structure.len();
        let n3 = 3 * n_atoms;
        let recompute = "the file is truncated or belongs to another structure: recompute the \
                         hessian stage (in a workflow, `nonaffine run --force hessian`)";
        if xi.len() != n3 {
            return Err(file_err(
                &p,
                format!(
                    "{} data rows of Ξ, expected 3N = {n3} (one per atom and axis for the \
                     {n_atoms} atoms of structure.data); {recompute}",
                    xi.len()
                ),
            ));
        }
        if let Some(p) = matrix_path.filter(|_| hessian.nrows() != n3 || hessian.ncols() != n3) {
            return Err(file_err(
                &p,
                format!(
                    "the matrix is {}×{}, expected 3N×3N = {n3}×{n3} for the {n_atoms} atoms of \
                     structure.data; {recompute}",
                    hessian.nrows(),
                    hessian.ncols()
                ),
            ));
        }
        let p = dir.join("born.json");
        let born: BornFile = read_json(&p)?;
        let p = dir.join("relaxed.json");
        let relaxed_gpa = if p.exists() {
            Some(read_json::<RelaxedFile>(&p)?.relaxed_gpa)
        } else {
            None
        };
        let products = Self {
            structure,
            hessian,
            xi,
            born_gpa: born.born_gpa,
            stress_gpa: born.stress_gpa,
            relaxed_gpa,
        };
        products.validate()?;
        Ok(products)
    }
}

/// Whether a Matrix Market banner (line 1) is `symmetric` (or `general`); an
/// error for anything but `coordinate real`.
fn matrix_market_banner(path: &Path, header: &str) -> Result<bool, HessianError> {
    let words: Vec<String> = header
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["%%matrixmarket", "matrix", "coordinate", "real", "symmetric"] => Ok(true),
        ["%%matrixmarket", "matrix", "coordinate", "real", "general"] => Ok(false),
        _ => Err(file_err(
            path,
            format!(
                "line 1: expected `%%MatrixMarket matrix coordinate real symmetric` (or \
                 `general`), found `{header}`"
            ),
        )),
    }
}

/// (rows, columns, entries) from the size line of a Matrix Market file, reading
/// only the banner, comments and that line: what a reader can check (memory,
/// solver limits) before reading the entries.
pub fn matrix_market_size(path: &Path) -> Result<(usize, usize, usize), HessianError> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| file_err(path, e))?;
    let mut lines = std::io::BufReader::new(file).lines().enumerate();
    let header = match lines.next() {
        Some((_, line)) => line.map_err(|e| file_err(path, e))?,
        None => String::new(),
    };
    matrix_market_banner(path, &header)?;
    for (n, line) in lines {
        let line = line.map_err(|e| file_err(path, e))?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        let size: Option<Vec<usize>> = t.split_whitespace().map(|f| f.parse().ok()).collect();
        return match size.as_deref() {
            Some(&[rows, cols, entries]) if rows > 0 && cols > 0 => Ok((rows, cols, entries)),
            _ => Err(file_err(
                path,
                format!(
                    "line {}: expected the size line `rows columns entries`, found `{t}`",
                    n + 1
                ),
            )),
        };
    }
    Err(file_err(path, "no size line `rows columns entries`"))
}

/// Reads a Matrix Market `coordinate real` file, `symmetric` (both triangles
/// returned) or `general`. nalgebra-sparse reads the same files through a
/// grammar parser, about ten times slower (≈ 1 s per million entries: most of
/// a small glass's spectrum stage); errors here name the line.
pub fn read_matrix_market(path: &Path) -> Result<CooMatrix<f64>, HessianError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
    let mut lines = text.lines().enumerate();
    let header = lines.next().map_or("", |(_, l)| l);
    let symmetric = matrix_market_banner(path, header)?;
    // (matrix, entries promised by the size line)
    let mut coo: Option<(CooMatrix<f64>, usize)> = None;
    let mut found = 0usize;
    for (n, line) in lines {
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        let bad = |what: &str| file_err(path, format!("line {}: {what}, found `{t}`", n + 1));
        let mut fields = t.split_whitespace();
        if let Some((m, _)) = coo.as_mut() {
            let (rows, cols) = (m.nrows(), m.ncols());
            let mut index = |limit: usize| match fields.next().map(str::parse::<usize>) {
                Some(Ok(k)) if (1..=limit).contains(&k) => Ok(k - 1),
                _ => Err(bad(&format!(
                    "expected `row column value` with indices in 1..={rows}, 1..={cols}"
                ))),
            };
            let i = index(rows)?;
            let j = index(cols)?;
            let v: f64 = match fields.next().map(str::parse) {
                Some(Ok(v)) => v,
                _ => return Err(bad("expected `row column value`")),
            };
            m.push(i, j, v);
            if symmetric && i != j {
                m.push(j, i, v);
            }
            found += 1;
        } else {
            let size: Option<Vec<usize>> = fields.map(|f| f.parse().ok()).collect();
            match size.as_deref() {
                Some(&[rows, cols, entries]) if rows > 0 && cols > 0 => {
                    coo = Some((CooMatrix::new(rows, cols), entries));
                }
                _ => return Err(bad("expected the size line `rows columns entries`")),
            }
        }
    }
    match coo {
        Some((m, expected)) if found == expected => Ok(m),
        Some((_, expected)) => Err(file_err(
            path,
            format!(
                "the size line promises {expected} entries, the file has {found}{}",
                if found < expected { ": truncated?" } else { "" }
            ),
        )),
        None => Err(file_err(path, "no size line `rows columns entries`")),
    }
}

/// Matrix Market text of a symmetric matrix: its lower triangle, 1-based, full precision.
pub fn matrix_market_lower(m: &CsrMatrix<f64>) -> String {
    let mut entries = Vec::new();
    for (row, lane) in m.row_iter().enumerate() {
        for (&col, &v) in lane.col_indices().iter().zip(lane.values()) {
            if col <= row {
                entries.push(format!("{} {} {v:e}", row + 1, col + 1));
            }
        }
    }
    let mut out = String::from("%%MatrixMarket matrix coordinate real symmetric\n");
    out += "% nonaffine Hessian H = d2U/dq dq, eV/Angstrom^2, row 3i+k = atom i (file order), axis k\n";
    out += &format!("{} {} {}\n", m.nrows(), m.ncols(), entries.len());
    for e in entries {
        out += &e;
        out.push('\n');
    }
    out
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), HessianError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| file_err(path, e))?;
    std::fs::write(path, text + "\n").map_err(|e| file_err(path, e))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, HessianError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
    serde_json::from_str(&text).map_err(|e| file_err(path, e))
}
