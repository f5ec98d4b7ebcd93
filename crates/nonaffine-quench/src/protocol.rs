//! The quench protocol (the paper's Section III), typed and validated.

use nonaffine_core::units::RAD_PER_S_PER_OMEGA_UNIT;
use nonaffine_core::{ParamError, ParamKind, ParamSpec, Params, PluginKind};

/// Parameters of the `quench` stage.
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "potential", kind: ParamKind::Plugin(PluginKind::Potential), unit: "", default: None, doc: "potential plugin: {plugin: eam/fs, file: ..., elements: [Cu, Zr]}" },
    ParamSpec { name: "n_atoms", kind: ParamKind::Integer, unit: "", default: None, doc: "number of atoms" },
    ParamSpec { name: "composition", kind: ParamKind::Map, unit: "fraction", default: None, doc: "atom fraction per element, e.g. {Cu: 0.5, Zr: 0.5}; elements must be the potential's" },
    ParamSpec { name: "seed", kind: ParamKind::Integer, unit: "", default: Some("1"), doc: "base random seed (≥ 1); sample k uses seed + k" },
    ParamSpec { name: "samples", kind: ParamKind::Integer, unit: "", default: Some("1"), doc: "independent samples (distinct seeds)" },
    ParamSpec { name: "melt_temperature_k", kind: ParamKind::Number, unit: "K", default: Some("2000"), doc: "liquid temperature" },
    ParamSpec { name: "melt_time_ps", kind: ParamKind::Number, unit: "ps", default: Some("10"), doc: "equilibration time of the liquid at zero pressure" },
    ParamSpec { name: "cooling_rate_k_per_ps", kind: ParamKind::Number, unit: "K/ps", default: None, doc: "linear cooling rate (1 K/ps = 1e12 K/s; the paper used 0.01 K/ps)" },
    ParamSpec { name: "capture_temperatures_k", kind: ParamKind::NumberList, unit: "K", default: Some("[670, 603, 536]"), doc: "temperatures at which configurations are taken during cooling" },
    ParamSpec { name: "timestep_ps", kind: ParamKind::Number, unit: "ps", default: Some("0.002"), doc: "MD timestep" },
    ParamSpec { name: "tdamp_ps", kind: ParamKind::Number, unit: "ps", default: Some("0.1"), doc: "thermostat damping time (Nosé–Hoover)" },
    ParamSpec { name: "pdamp_ps", kind: ParamKind::Number, unit: "ps", default: Some("1.0"), doc: "barostat damping time (zero pressure, isotropic)" },
    ParamSpec { name: "initial_volume_per_atom_a3", kind: ParamKind::Number, unit: "Å³", default: Some("20"), doc: "volume per atom of the random starting configuration" },
    ParamSpec { name: "force_tolerance_ev_per_a", kind: ParamKind::Number, unit: "eV/Å", default: Some("1e-10"), doc: "minimization stops when the force 2-norm falls below this" },
    ParamSpec { name: "stress_tolerance_bar", kind: ParamKind::Number, unit: "bar", default: Some("1"), doc: "box relaxation stops when every residual stress component is below this" },
    ParamSpec { name: "max_relax_iterations", kind: ParamKind::Integer, unit: "", default: Some("40"), doc: "limit on box corrections (each followed by a minimization of the atoms)" },
    ParamSpec { name: "relax_bulk_modulus_gpa", kind: ParamKind::Number, unit: "GPa", default: Some("110"), doc: "estimate of the glass' bulk modulus that turns residual pressure into a box correction (sets convergence speed, not the result)" },
    ParamSpec { name: "relax_shear_modulus_gpa", kind: ParamKind::Number, unit: "GPa", default: Some("30"), doc: "estimate of the glass' shear modulus that turns residual shear stress into a tilt correction" },
    ParamSpec { name: "max_iterations", kind: ParamKind::Integer, unit: "", default: Some("20000"), doc: "iteration limit of each minimization" },
    ParamSpec { name: "progress_every_steps", kind: ParamKind::Integer, unit: "steps", default: Some("500"), doc: "MD steps between progress reports" },
    ParamSpec { name: "mpi_ranks", kind: ParamKind::Integer, unit: "", default: Some("1"), doc: "run LAMMPS under `mpirun -np K` when K > 1" },
    ParamSpec { name: "restart_interval_ps", kind: ParamKind::Number, unit: "ps", default: Some("100"), doc: "simulated time between LAMMPS restart files of the MD, written when the quench runs as a Slurm batch job (which also writes one when warned of its time limit and continues from the last one when requeued or resubmitted); 0: only when warned. Not in the cache key: it does not change the result" },
];

/// Longest MD timestep (ps) for the potential named by `p`'s `potential`
/// parameter, and why.
///
/// Velocity Verlet conserves energy when a step is a small fraction of the
/// shortest vibration period; about 1/20 is the usual margin.
/// - EAM metals (`eam/fs`, `eam/alloy`, and any other or absent potential):
///   vibrations reach ~10 THz (Cu–Zr glasses: VDOS up to ~9 THz), a period of
///   0.1 ps, so 0.005 ps. LAMMPS' own default for metal units is 0.001 ps.
/// - `lj/cut`: the Lennard-Jones time τ = σ √(m/ε) of the fastest pair (the
///   smallest σ √(m/ε) over pairs with the lighter mass) sets the period
///   (~2π·τ/√(57·z)); 0.01 τ is twice the step usual in LJ studies (0.005 τ).
pub fn max_timestep_ps(p: &Params) -> (f64, String) {
    const EAM: (f64, &str) = (
        0.005,
        "1/20 of the ~0.1 ps period of the fastest vibrations of a metal, ~10 THz",
    );
    let eam = || (EAM.0, EAM.1.to_string());
    let Ok((plugin, pot)) = p.plugin("potential") else {
        return eam();
    };
    if plugin != "lj/cut" {
        return eam();
    }
    let (Ok(masses), Ok(eps), Ok(sigma)) = (
        pot.numbers("masses_amu"),
        pot.numbers("epsilon_ev"),
        pot.numbers("sigma_angstrom"),
    ) else {
        return eam();
    };
    let m_min = masses.iter().copied().fold(f64::INFINITY, f64::min);
    let tau_ps = eps
        .iter()
        .zip(&sigma)
        .filter(|(e, s)| **e > 0.0 && **s > 0.0)
        .map(|(e, s)| s * (m_min / e).sqrt() / (RAD_PER_S_PER_OMEGA_UNIT * 1e-12))
        .fold(f64::INFINITY, f64::min);
    if !(tau_ps.is_finite() && tau_ps > 0.0) {
        return eam();
    }
    let limit = 0.01 * tau_ps;
    let limit = (limit * 1e4).round() / 1e4;
    (
        limit,
        format!("0.01 of the shortest Lennard-Jones time σ√(m/ε) = {tau_ps:.3} ps"),
    )
}

/// A validated quench protocol. Units in every name.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct QuenchProtocol {
    /// Number of atoms.
    pub n_atoms: usize,
    /// (element, atom fraction) in the potential's element order.
    pub composition: Vec<(String, f64)>,
    /// Base seed; sample k uses `seed + k`.
    pub seed: u64,
    /// Independent samples.
    pub samples: usize,
    /// Liquid temperature in K.
    pub melt_temperature_k: f64,
    /// Liquid equilibration time in ps.
    pub melt_time_ps: f64,
    /// Cooling rate in K/ps.
    pub cooling_rate_k_per_ps: f64,
    /// Capture temperatures in K, descending.
    pub capture_temperatures_k: Vec<f64>,
    /// MD timestep in ps.
    pub timestep_ps: f64,
    /// Thermostat damping in ps.
    pub tdamp_ps: f64,
    /// Barostat damping in ps.
    pub pdamp_ps: f64,
    /// Starting volume per atom in Å³.
    pub initial_volume_per_atom_a3: f64,
    /// Minimizer force tolerance (2-norm) in eV/Å.
    pub force_tolerance_ev_per_a: f64,
    /// Box relaxation target: every stress component below this, bar.
    pub stress_tolerance_bar: f64,
    /// Limit on box corrections.
    pub max_relax_iterations: usize,
    /// Bulk modulus estimate for box corrections, GPa.
    pub relax_bulk_modulus_gpa: f64,
    /// Shear modulus estimate for tilt corrections, GPa.
    pub relax_shear_modulus_gpa: f64,
    /// Iteration limit per minimization.
    pub max_iterations: usize,
    /// Progress granularity in MD steps.
    pub progress_every_steps: u64,
    /// MPI ranks for LAMMPS.
    pub mpi_ranks: usize,
    /// Simulated time between checkpoints (LAMMPS restart files) of the MD,
    /// ps; 0: only when asked to stop. How the quench runs, not what it
    /// computes: not serialized with the protocol.
    #[serde(skip)]
    pub restart_interval_ps: f64,
}

impl QuenchProtocol {
    /// Reads and validates the protocol; `elements` are the potential's, in type order.
    pub fn from_params(p: &Params, elements: &[String]) -> Result<Self, ParamError> {
        p.check_known(PARAMS)?;
        let n_atoms = p.count("n_atoms")? as usize;
        if n_atoms < 2 {
            return Err(ParamError::new(p.path("n_atoms"), "need at least 2 atoms"));
        }
        let comp = p.nested("composition")?;
        for key in comp.values().keys() {
            if !elements.contains(key) {
                return Err(ParamError::new(
                    comp.path(key),
                    format!(
                        "element {key} is not in the potential (it has {})",
                        elements.join(", ")
                    ),
                ));
            }
        }
        let mut composition = Vec::new();
        for e in elements {
            let f = comp.number_or(e, 0.0)?;
            if f < 0.0 {
                return Err(ParamError::new(comp.path(e), "fractions must be ≥ 0"));
            }
            composition.push((e.clone(), f));
        }
        let total: f64 = composition.iter().map(|(_, f)| f).sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(ParamError::new(
                p.path("composition"),
                format!("fractions sum to {total}, not 1"),
            ));
        }
        let seed = p.count_or("seed", 1)?;
        if seed == 0 || seed > 900_000_000 {
            return Err(ParamError::new(
                p.path("seed"),
                "must be between 1 and 900000000 (LAMMPS seeds are positive 32-bit integers)",
            ));
        }
        let mut capture = if p.contains("capture_temperatures_k") {
            p.numbers("capture_temperatures_k")?
        } else {
            vec![670.0, 603.0, 536.0]
        };
        capture.sort_by(|a, b| b.total_cmp(a));
        capture.dedup();
        let melt = p.positive_or("melt_temperature_k", 2000.0)?;
        if capture.is_empty() || capture.iter().any(|t| *t <= 0.0 || *t >= melt) {
            return Err(ParamError::new(
                p.path("capture_temperatures_k"),
                format!("need at least one temperature, each between 0 and melt_temperature_k = {melt} K"),
            ));
        }
        let timestep_ps = p.positive_or("timestep_ps", 0.002)?;
        let (limit_ps, why) = max_timestep_ps(p);
        if timestep_ps > limit_ps {
            return Err(ParamError::new(
                p.path("timestep_ps"),
                format!(
                    "{timestep_ps} ps is longer than {limit_ps} ps, the longest MD timestep that \
                     resolves this potential's vibrations ({why}); with a longer step the \
                     dynamics is not integrated (energy is not conserved, atoms fly apart). \
                     Use e.g. 0.001-0.002 ps for EAM metals"
                ),
            ));
        }
        let proto = Self {
            n_atoms,
            composition,
            seed,
            samples: p.count_or("samples", 1)?.max(1) as usize,
            melt_temperature_k: melt,
            melt_time_ps: p.positive_or("melt_time_ps", 10.0)?,
            cooling_rate_k_per_ps: p.positive("cooling_rate_k_per_ps")?,
            capture_temperatures_k: capture,
            timestep_ps,
            tdamp_ps: p.positive_or("tdamp_ps", 0.1)?,
            pdamp_ps: p.positive_or("pdamp_ps", 1.0)?,
            initial_volume_per_atom_a3: p.positive_or("initial_volume_per_atom_a3", 20.0)?,
            force_tolerance_ev_per_a: p.positive_or("force_tolerance_ev_per_a", 1e-10)?,
            stress_tolerance_bar: p.positive_or("stress_tolerance_bar", 1.0)?,
            max_relax_iterations: p.count_or("max_relax_iterations", 40)? as usize,
            relax_bulk_modulus_gpa: p.positive_or("relax_bulk_modulus_gpa", 110.0)?,
            relax_shear_modulus_gpa: p.positive_or("relax_shear_modulus_gpa", 30.0)?,
            max_iterations: p.count_or("max_iterations", 20_000)?.max(1) as usize,
            progress_every_steps: p.count_or("progress_every_steps", 500)?.max(1),
            mpi_ranks: p.count_or("mpi_ranks", 1)?.max(1) as usize,
            restart_interval_ps: p.number_or("restart_interval_ps", 100.0)?,
        };
        if !(proto.restart_interval_ps >= 0.0 && proto.restart_interval_ps.is_finite()) {
            return Err(ParamError::new(
                p.path("restart_interval_ps"),
                "must be a finite time ≥ 0 ps (0: restart files only when the batch job is warned of its time limit)",
            ));
        }
        proto.check_phases(p)?;
        Ok(proto)
    }

    /// Refuses a protocol with an MD phase of zero steps: a melt shorter than
    /// half a timestep, or a capture temperature the cooling ramp reaches in
    /// no step from the melt or from the previous capture.
    fn check_phases(&self, p: &Params) -> Result<(), ParamError> {
        let dt = self.timestep_ps;
        if self.melt_steps() == 0 {
            return Err(ParamError::new(
                p.path("melt_time_ps"),
                format!(
                    "the melt of {} ps is 0 MD steps of timestep_ps = {dt} ps; the liquid would \
                     not be equilibrated. Melt for many steps (the default is 10 ps)",
                    self.melt_time_ps
                ),
            ));
        }
        let mut previous = (self.melt_temperature_k, 0);
        for &t in &self.capture_temperatures_k {
            let at = self.cooling_step_at(t);
            if at <= previous.1 {
                return Err(ParamError::new(
                    p.path("capture_temperatures_k"),
                    format!(
                        "cooling from {} K to {t} K at cooling_rate_k_per_ps = {} K/ps takes \
                         {:.3} ps, 0 MD steps of timestep_ps = {dt} ps: nothing would be cooled. \
                         Lower the cooling rate or the timestep, or space the temperatures further",
                        previous.0,
                        self.cooling_rate_k_per_ps,
                        (previous.0 - t) / self.cooling_rate_k_per_ps
                    ),
                ));
            }
            previous = (t, at);
        }
        Ok(())
    }

    /// Atoms of each element, in the potential's order, summing to `n_atoms`.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts: Vec<usize> = self
            .composition
            .iter()
            .map(|(_, f)| (f * self.n_atoms as f64).round() as usize)
            .collect();
        let sum: usize = counts.iter().sum();
        // Put any rounding surplus or deficit on the most abundant element.
        if let Some(imax) = (0..counts.len())
            .max_by(|&a, &b| self.composition[a].1.total_cmp(&self.composition[b].1))
        {
            counts[imax] = (counts[imax] + self.n_atoms).saturating_sub(sum);
        }
        counts
    }

    /// MD steps of the liquid equilibration.
    pub fn melt_steps(&self) -> u64 {
        (self.melt_time_ps / self.timestep_ps).round() as u64
    }

    /// MD step (counted from the start of cooling) at which the thermostat
    /// target passes temperature `t_k`.
    pub fn cooling_step_at(&self, t_k: f64) -> u64 {
        ((self.melt_temperature_k - t_k) / self.cooling_rate_k_per_ps / self.timestep_ps).round()
            as u64
    }

    /// MD steps of the whole cooling ramp (to the lowest capture temperature).
    pub fn cooling_steps(&self) -> u64 {
        self.capture_temperatures_k
            .last()
            .map(|t| self.cooling_step_at(*t))
            .unwrap_or(0)
    }

    /// MD steps between checkpoints (at least 1), or 0 for none but on request.
    pub fn restart_interval_steps(&self) -> u64 {
        if self.restart_interval_ps == 0.0 {
            0
        } else {
            ((self.restart_interval_ps / self.timestep_ps).round() as u64).max(1)
        }
    }

    /// Seed of sample k.
    pub fn sample_seed(&self, k: usize) -> u64 {
        self.seed + k as u64
    }
}
