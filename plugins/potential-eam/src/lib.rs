//! Embedded-atom potentials from `setfl` files: the `eam/fs` and `eam/alloy`
//! plugins.
//!
//! U = Σ_i F_{t_i}(ρ̄_i) + ½ Σ_{i≠j} φ_{t_i t_j}(r_ij), ρ̄_i = Σ_j ρ_{t_i t_j}(r_ij)
//! (docs/theory.md Eqs. (7)–(11)). The tables are splined exactly as LAMMPS'
//! `pair_style eam` splines them ([`spline`]), so energies and forces agree with
//! LAMMPS to round-off, and the first and second derivatives the Hessian needs
//! come from the same cubic pieces.
//!
//! Design: [`setfl`] reads a file into plain tables; [`EamTables`] splines the
//! tables of the elements a simulation uses (in LAMMPS type order) and is the
//! [`EamForm`]; [`EamPotential`] adds provenance (header lines, SHA-256) and the
//! LAMMPS commands, and is the [`Potential`]. The plugin entry points are
//! [`fs`] and [`alloy`].

pub mod setfl;
pub mod spline;

use nonaffine_core::{
    lammps_word, EamForm, ParamError, ParamKind, ParamSpec, Params, PluginError, PluginInfo,
    Potential, Provenance, Radial,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use setfl::{Element, Flavor, Setfl, SetflError};
pub use spline::LammpsSpline;

/// A potential that cannot be built from a file and element list.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EamError {
    /// The file is unreadable or malformed.
    #[error(transparent)]
    File(#[from] SetflError),
    /// A requested element is not in the file.
    #[error("{file}: element `{name}` is not in this potential; it has {}", available.join(", "))]
    UnknownElement {
        /// File name.
        file: String,
        /// Requested name.
        name: String,
        /// Elements the file defines.
        available: Vec<String>,
    },
    /// The element list is empty or repeats a name.
    #[error("{file}: {message}")]
    Elements {
        /// File name.
        file: String,
        /// What is wrong with the list.
        message: String,
    },
}

/// The splined tables of the elements a simulation uses: an [`EamForm`].
///
/// Species index k is the k-th requested element (LAMMPS type k+1).
#[derive(Clone, Debug)]
pub struct EamTables {
    elements: Vec<String>,
    masses_amu: Vec<f64>,
    embedding: Vec<LammpsSpline>,
    /// Density at host a from neighbour b, at index a·n + b.
    density: Vec<LammpsSpline>,
    /// r·φ(r) of pair (a, b), at index a·n + b (symmetric).
    r_phi: Vec<LammpsSpline>,
    cutoff_angstrom: f64,
}

impl EamTables {
    /// Splines the tables of `elements` (in LAMMPS type order) from a parsed file.
    pub fn new(file: &Setfl, elements: &[String]) -> Result<Self, EamError> {
        if elements.is_empty() {
            return Err(EamError::Elements {
                file: file.source.clone(),
                message: "no elements requested; list them in LAMMPS type order, e.g. Cu,Zr".into(),
            });
        }
        let mut index = Vec::with_capacity(elements.len());
        for (k, name) in elements.iter().enumerate() {
            if elements[..k].contains(name) {
                return Err(EamError::Elements {
                    file: file.source.clone(),
                    message: format!("element `{name}` is requested twice; list each once"),
                });
            }
            index.push(
                file.element_index(name)
                    .ok_or_else(|| EamError::UnknownElement {
                        file: file.source.clone(),
                        name: name.clone(),
                        available: file.elements.iter().map(|e| e.name.clone()).collect(),
                    })?,
            );
        }
        let n = index.len();
        let (drho, dr) = (file.drho, file.dr_angstrom);
        let mut density = Vec::with_capacity(n * n);
        let mut r_phi = Vec::with_capacity(n * n);
        for &a in &index {
            for &b in &index {
                density.push(LammpsSpline::new(file.density_table(a, b), dr));
                r_phi.push(LammpsSpline::new(file.pair_table(a, b), dr));
            }
        }
        Ok(Self {
            elements: elements.to_vec(),
            masses_amu: index.iter().map(|&i| file.elements[i].mass_amu).collect(),
            embedding: index
                .iter()
                .map(|&i| LammpsSpline::new(&file.elements[i].embedding_ev, drho))
                .collect(),
            density,
            r_phi,
            cutoff_angstrom: file.cutoff_angstrom,
        })
    }

    /// Element names in species order.
    pub fn elements(&self) -> &[String] {
        &self.elements
    }

    /// Masses in amu in species order.
    pub fn masses_amu(&self) -> &[f64] {
        &self.masses_amu
    }

    /// r·φ(r) in eV·Å (and derivatives) of pair (a, b), as tabulated.
    pub fn r_phi(&self, a: usize, b: usize, r: f64) -> Radial {
        self.r_phi[a * self.elements.len() + b].eval(r)
    }
}

impl EamForm for EamTables {
    fn species_count(&self) -> usize {
        self.elements.len()
    }

    fn cutoff(&self) -> f64 {
        self.cutoff_angstrom
    }

    /// φ = z2/r with z2 = r·φ tabulated, as `PairEAM::compute`:
    /// φ' = z2'/r − φ/r and, from the same piece, φ'' = (z2'' − 2φ')/r.
    fn pair(&self, a: usize, b: usize, r: f64) -> Radial {
        if r > self.cutoff_angstrom {
            return Radial::default();
        }
        let z = self.r_phi(a, b, r);
        let recip = 1.0 / r;
        let value = z.value * recip;
        let d1 = z.d1 * recip - value * recip;
        Radial {
            value,
            d1,
            d2: (z.d2 - 2.0 * d1) * recip,
        }
    }

    fn density(&self, host: usize, neighbor: usize, r: f64) -> Radial {
        if r > self.cutoff_angstrom {
            return Radial::default();
        }
        self.density[host * self.elements.len() + neighbor].eval(r)
    }

    fn embedding(&self, a: usize, rho: f64) -> Radial {
        self.embedding[a].eval_embedding(rho)
    }
}

/// An EAM potential read from a setfl file: tables plus provenance.
#[derive(Clone, Debug)]
pub struct EamPotential {
    tables: EamTables,
    flavor: Flavor,
    path: PathBuf,
    header: Vec<String>,
    sha256: String,
}

impl EamPotential {
    /// Reads `path` as `flavor` and splines the tables of `elements`
    /// (LAMMPS type order). The path is made absolute for the LAMMPS commands.
    pub fn from_file(path: &Path, flavor: Flavor, elements: &[String]) -> Result<Self, EamError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| SetflError::Io {
            file: name.clone(),
            source,
        })?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let file = Setfl::from_bytes(bytes, &name, flavor)?;
        let tables = EamTables::new(&file, elements)?;
        let path =
            std::fs::canonicalize(path).map_err(|source| SetflError::Io { file: name, source })?;
        Ok(Self {
            tables,
            flavor,
            path,
            header: file.header,
            sha256,
        })
    }

    /// The splined tables.
    pub fn tables(&self) -> &EamTables {
        &self.tables
    }
}

impl Potential for EamPotential {
    fn name(&self) -> &str {
        self.flavor.pair_style()
    }

    fn elements(&self) -> &[String] {
        self.tables.elements()
    }

    fn masses_amu(&self) -> Vec<f64> {
        self.tables.masses_amu().to_vec()
    }

    fn cutoff_angstrom(&self) -> f64 {
        self.tables.cutoff_angstrom
    }

    fn lammps_commands(&self) -> Vec<String> {
        let path = self.path.display().to_string();
        let path = lammps_word(&path).unwrap_or(path);
        vec![
            format!("pair_style {}", self.flavor.pair_style()),
            format!("pair_coeff * * {path} {}", self.tables.elements().join(" ")),
        ]
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            source: self.path.display().to_string(),
            header: self.header.clone(),
            sha256: Some(self.sha256.clone()),
        }
    }

    fn form(&self) -> Option<&dyn EamForm> {
        Some(&self.tables)
    }
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "file",
        kind: ParamKind::Path,
        unit: "",
        default: None,
        doc: "setfl potential file (e.g. vendor/potentials/CuZr_mm.eam.fs)",
    },
    ParamSpec {
        name: "elements",
        kind: ParamKind::TextList,
        unit: "",
        default: None,
        doc: "element names in LAMMPS type order (type 1 first), e.g. [Cu, Zr]",
    },
];

fn build_flavor(params: &Params, flavor: Flavor) -> Result<Box<dyn Potential>, PluginError> {
    params.check_known(PARAMS)?;
    let path = params.path_value("file")?;
    if lammps_word(&path.display().to_string()).is_none() {
        return Err(ParamError::new(
            params.path("file"),
            format!(
                "{}: a path holding both `\"\"\"` and `'` cannot be quoted for LAMMPS' \
                 pair_coeff; rename the file or its folder",
                path.display()
            ),
        )
        .into());
    }
    let elements = params.texts("elements")?;
    let p = EamPotential::from_file(&path, flavor, &elements).map_err(|e| PluginError::Build {
        plugin: flavor.pair_style().into(),
        message: e.to_string(),
    })?;
    Ok(Box::new(p))
}

/// The `eam/fs` plugin (Finnis–Sinclair setfl files).
pub mod fs {
    use super::*;

    /// Registry entry.
    pub const INFO: PluginInfo = PluginInfo {
        name: "eam/fs",
        version: "1",
        doc: "Finnis-Sinclair EAM from a setfl file (LAMMPS pair_style eam/fs): density \
              functions per element pair, tables splined exactly as LAMMPS does.",
        params: PARAMS,
    };

    /// Builds the potential from `file` and `elements`.
    pub fn build(params: &Params) -> Result<Box<dyn Potential>, PluginError> {
        build_flavor(params, Flavor::Fs)
    }
}

/// The `eam/alloy` plugin (setfl files with one density function per element).
pub mod alloy {
    use super::*;

    /// Registry entry.
    pub const INFO: PluginInfo = PluginInfo {
        name: "eam/alloy",
        version: "1",
        doc: "Alloy EAM from a setfl file (LAMMPS pair_style eam/alloy): one density function \
              per element, tables splined exactly as LAMMPS does.",
        params: PARAMS,
    };

    /// Builds the potential from `file` and `elements`.
    pub fn build(params: &Params) -> Result<Box<dyn Potential>, PluginError> {
        build_flavor(params, Flavor::Alloy)
    }
}
