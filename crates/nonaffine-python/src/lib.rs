//! `nonaffine._core`: the Rust half of the Python package in `python/`.
//!
//! It exposes the library calls the CLI makes (`nonaffine forces`, `hessian`,
//! `kww`, `kernel`) on numpy arrays. Everything here works in the frame the
//! caller gives: the pure-Python layer (`python/nonaffine`) rotates a general
//! cell into LAMMPS' restricted form with [`restricted_frame`] and rotates the
//! results back. Units are metal units (Å, eV, amu); moduli in GPa.
//!
//! Copy policy: arrays come in as float64 C-contiguous (the Python layer
//! converts other inputs once); results are new numpy arrays. Every long
//! call releases the GIL, and the potential and kernel objects are immutable,
//! so calls from several Python threads are safe.

use nonaffine_core::{
    Cell, MemoryKernel, Modes, ModesKind, ParamValue, Params, Potential, Species, Structure,
};
use nonaffine_hessian::{HessianOptions, PcgOptions};
use nonaffine_response::Affine;
use nonaffine_spectrum::analysis::frequency_thz;
use num_complex::Complex64;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pyo3::create_exception!(
    _core,
    NonaffineError,
    PyValueError,
    "An error reported by nonaffine's Rust library (bad input, file or parameter); the message is the library's."
);

/// A float64 vector as returned to Python.
type Vector<'py> = Bound<'py, PyArray1<f64>>;
/// A float64 matrix as returned to Python.
type Matrix<'py> = Bound<'py, PyArray2<f64>>;

/// Fixed-width rows (3 for vectors, 6 for Voigt) as an (n, K) numpy array.
fn matrix<'py, const K: usize>(py: Python<'py>, rows: &[[f64; K]]) -> Matrix<'py> {
    numpy::ndarray::Array2::from_shape_fn((rows.len(), K), |(i, j)| rows[i][j]).into_pyarray(py)
}

/// The error and every source below it, as `a: b: c` (what the CLI prints).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// A library error as a Python `NonaffineError` with the same message.
fn py_err(err: impl std::error::Error) -> PyErr {
    NonaffineError::new_err(chain(&err))
}

/// A Python value as a plugin parameter: bool, int, float, str, path, list, dict.
fn param_value(value: &Bound<'_, PyAny>, key: &str) -> PyResult<ParamValue> {
    if value.is_instance_of::<PyBool>() {
        return Ok(ParamValue::Bool(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(ParamValue::Integer(value.extract()?));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(ParamValue::Number(value.extract()?));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(ParamValue::Text(value.extract()?));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        return value
            .try_iter()?
            .map(|item| param_value(&item?, key))
            .collect::<PyResult<Vec<_>>>()
            .map(ParamValue::List);
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return params_map(dict).map(ParamValue::Map);
    }
    if let Ok(path) = value.extract::<PathBuf>() {
        return Ok(ParamValue::Text(path.display().to_string()));
    }
    if let Ok(x) = value.extract::<f64>() {
        // numpy scalars and other numbers.
        return Ok(ParamValue::Number(x));
    }
    Err(NonaffineError::new_err(format!(
        "parameter `{key}`: a {} is not a parameter value (use a bool, int, float, str, path, list or dict)",
        value.get_type().name()?
    )))
}

/// A Python dict as a parameter map.
fn params_map(dict: &Bound<'_, PyDict>) -> PyResult<BTreeMap<String, ParamValue>> {
    let mut map = BTreeMap::new();
    for (k, v) in dict.iter() {
        let key: String = k.extract()?;
        let value = param_value(&v, &key)?;
        map.insert(key, value);
    }
    Ok(map)
}

/// A potential plugin (`eam/fs`, `eam/alloy`, `lj/cut`) built by the registry,
/// as `nonaffine hessian --kind KIND --potential FILE --elements ...` builds it.
#[pyclass(frozen, module = "nonaffine._core", name = "Potential")]
struct PyPotential {
    kind: String,
    inner: Arc<dyn Potential>,
}

#[pymethods]
impl PyPotential {
    /// `Potential(kind, file=None, elements=None, **params)`: `file` the
    /// potential file (EAM kinds), `elements` the element names in the
    /// potential's order, `params` the plugin's further parameters.
    #[new]
    #[pyo3(signature = (kind, file=None, elements=None, **params))]
    fn new(
        py: Python<'_>,
        kind: &str,
        file: Option<PathBuf>,
        elements: Option<Vec<String>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut values = match params {
            Some(d) => params_map(d)?,
            None => BTreeMap::new(),
        };
        if let Some(elements) = elements {
            values.insert(
                "elements".into(),
                ParamValue::List(elements.into_iter().map(ParamValue::Text).collect()),
            );
        }
        if let Some(file) = file {
            values.insert("file".into(), ParamValue::Text(file.display().to_string()));
        }
        let params = Params::new("potential", values);
        let kind_owned = kind.to_string();
        let built = py
            .detach(|| nonaffine_registry::registry().potential(&kind_owned, &params))
            .map_err(py_err)?;
        Ok(Self {
            kind: kind_owned,
            inner: Arc::from(built),
        })
    }

    /// The plugin name (`eam/fs`, ...).
    #[getter]
    fn kind(&self) -> &str {
        &self.kind
    }

    /// Element names in the potential's order (LAMMPS type k+1 is element k).
    #[getter]
    fn elements(&self) -> Vec<String> {
        self.inner.elements().to_vec()
    }

    /// Mass of each element in amu, as the potential gives it.
    #[getter]
    fn masses_amu(&self) -> Vec<f64> {
        self.inner.masses_amu()
    }

    /// Interaction cutoff in Å.
    #[getter]
    fn cutoff_angstrom(&self) -> f64 {
        self.inner.cutoff_angstrom()
    }

    fn __repr__(&self) -> String {
        format!(
            "Potential({:?}, elements={:?}, cutoff_angstrom={})",
            self.kind,
            self.inner.elements(),
            self.inner.cutoff_angstrom()
        )
    }
}

/// Rows of an (n, 3) float64 array.
fn rows3(array: &PyReadonlyArray2<'_, f64>, what: &str) -> PyResult<Vec<[f64; 3]>> {
    let view = array.as_array();
    if view.ncols() != 3 {
        return Err(NonaffineError::new_err(format!(
            "{what} must have 3 columns, got shape {:?}",
            view.shape()
        )));
    }
    Ok(view
        .rows()
        .into_iter()
        .map(|r| [r[0], r[1], r[2]])
        .collect())
}

/// A structure in the potential's species order (masses from the potential),
/// from positions (Å), cell rows (Å) and one element name per atom.
fn structure(
    potential: &dyn Potential,
    positions: &PyReadonlyArray2<'_, f64>,
    cell: &PyReadonlyArray2<'_, f64>,
    symbols: Vec<String>,
) -> PyResult<Structure> {
    let positions = rows3(positions, "positions")?;
    let vectors = rows3(cell, "cell")?;
    let vectors: [[f64; 3]; 3] = vectors.try_into().map_err(|v: Vec<_>| {
        NonaffineError::new_err(format!("cell must be 3×3, got {} rows", v.len()))
    })?;
    if symbols.len() != positions.len() {
        return Err(NonaffineError::new_err(format!(
            "{} element names for {} atoms",
            symbols.len(),
            positions.len()
        )));
    }
    let mut names: Vec<String> = Vec::new();
    let types = symbols
        .iter()
        .map(|s| match names.iter().position(|n| n == s) {
            Some(k) => k,
            None => {
                names.push(s.clone());
                names.len() - 1
            }
        })
        .collect();
    // Masses are placeholders until `align_species` takes the potential's.
    let species = names
        .into_iter()
        .map(|name| Species {
            name,
            mass_amu: 1.0,
        })
        .collect();
    let n = positions.len();
    let s = Structure::new(
        Cell {
            vectors,
            origin: [0.0; 3],
        },
        species,
        types,
        positions,
        vec![[0; 3]; n],
    )
    .map_err(py_err)?;
    nonaffine_forces::align_species(&s, potential).map_err(py_err)
}

/// The cell rotated into LAMMPS' restricted triclinic form and the rotation
/// `R` (r' = R r), or `None` for `R` when the cell is already in that form.
#[pyfunction]
fn restricted_frame<'py>(
    py: Python<'py>,
    cell: PyReadonlyArray2<'py, f64>,
) -> PyResult<(Matrix<'py>, Option<Matrix<'py>>)> {
    let rows = rows3(&cell, "cell")?;
    let vectors: [[f64; 3]; 3] = rows
        .try_into()
        .map_err(|_| NonaffineError::new_err("cell must be 3×3"))?;
    let cell = Cell {
        vectors,
        origin: [0.0; 3],
    };
    let volume = cell.volume();
    if volume.is_nan() || volume <= 0.0 {
        return Err(NonaffineError::new_err(format!(
            "the cell has volume {volume} Å³: it needs three independent, right-handed lattice vectors"
        )));
    }
    if cell.to_lammps().is_some() {
        return Ok((matrix(py, &vectors), None));
    }
    let (restricted, rot) = cell.to_restricted();
    Ok((matrix(py, &restricted.vectors), Some(matrix(py, &rot))))
}

/// Energy (eV), forces (N×3, eV/Å), virial (Voigt xx yy zz yz xz xy, eV;
/// W = −∂U/∂ε) and per-atom energies (eV) of one structure
/// (as `nonaffine forces`).
#[pyfunction]
fn evaluate<'py>(
    py: Python<'py>,
    potential: &PyPotential,
    positions: PyReadonlyArray2<'py, f64>,
    cell: PyReadonlyArray2<'py, f64>,
    symbols: Vec<String>,
) -> PyResult<(f64, Matrix<'py>, Vector<'py>, Vector<'py>)> {
    let pot = potential.inner.as_ref();
    let s = structure(pot, &positions, &cell, symbols)?;
    let form = pot.form().ok_or_else(|| {
        NonaffineError::new_err(format!(
            "potential `{}` has no form this program can evaluate",
            potential.kind
        ))
    })?;
    let ev = py
        .detach(|| nonaffine_forces::evaluate(form, &s))
        .map_err(py_err)?;
    Ok((
        ev.energy_ev,
        matrix(py, &ev.forces_ev_per_a),
        ev.virial_ev.to_vec().into_pyarray(py),
        ev.per_atom_energy_ev.into_pyarray(py),
    ))
}

/// The `hessian` stage's products of one structure (as `nonaffine hessian`):
/// a dict with the CSR parts of H (`indptr`, `indices`, `data`, `n`; eV/Å², or
/// eV/(Å²·amu) when `mass_weighted`), `xi` (3N×6, eV/Å), `born_gpa` (6×6),
/// `stress_gpa` (6, tension positive), `relaxed_gpa` (6×6 or None),
/// `masses_amu` (N) and `volume_a3`.
#[pyfunction]
#[pyo3(signature = (potential, positions, cell, symbols, relaxed=false, mass_weighted=false, pcg_tolerance=1e-10))]
#[allow(clippy::too_many_arguments)]
fn hessian<'py>(
    py: Python<'py>,
    potential: &PyPotential,
    positions: PyReadonlyArray2<'py, f64>,
    cell: PyReadonlyArray2<'py, f64>,
    symbols: Vec<String>,
    relaxed: bool,
    mass_weighted: bool,
    pcg_tolerance: f64,
) -> PyResult<Bound<'py, PyDict>> {
    if !(pcg_tolerance > 0.0 && pcg_tolerance < 1.0) {
        return Err(NonaffineError::new_err(format!(
            "pcg_tolerance {pcg_tolerance} must be between 0 and 1"
        )));
    }
    let pot = potential.inner.as_ref();
    let s = structure(pot, &positions, &cell, symbols)?;
    let options = HessianOptions {
        relaxed,
        pcg: PcgOptions {
            relative_tolerance: pcg_tolerance,
            ..PcgOptions::default()
        },
    };
    let (run, h) = py
        .detach(|| {
            nonaffine_hessian::compute(&s, pot, &options).map(|run| {
                let h = if mass_weighted {
                    run.products.mass_weighted()
                } else {
                    run.products.hessian.clone()
                };
                (run, h)
            })
        })
        .map_err(py_err)?;
    let p = &run.products;
    let n = h.nrows();
    let (indptr, indices, data) = h.disassemble();
    let out = PyDict::new(py);
    out.set_item("n", n)?;
    out.set_item("indptr", indptr.into_pyarray(py))?;
    out.set_item("indices", indices.into_pyarray(py))?;
    out.set_item("data", data.into_pyarray(py))?;
    out.set_item("xi", matrix(py, &p.xi))?;
    out.set_item("born_gpa", matrix(py, &p.born_gpa))?;
    out.set_item("stress_gpa", p.stress_gpa.to_vec().into_pyarray(py))?;
    match &p.relaxed_gpa {
        Some(c) => out.set_item("relaxed_gpa", matrix(py, c))?,
        None => out.set_item("relaxed_gpa", py.None())?,
    }
    out.set_item("masses_amu", p.structure.masses().into_pyarray(py))?;
    out.set_item("volume_a3", p.volume_a3())?;
    Ok(out)
}

/// c(β, ω) = ∫₀^∞ e^{−t^β} cos ωt dt and s(β, ω) = ∫₀^∞ e^{−t^β} sin ωt dt
/// at each ω (rad per unit time of t), as `nonaffine kww`.
#[pyfunction]
fn kww<'py>(
    py: Python<'py>,
    beta: f64,
    omega: PyReadonlyArray1<'py, f64>,
) -> PyResult<(Vector<'py>, Vector<'py>)> {
    let omega = omega.as_array().to_vec();
    let pairs = py
        .detach(|| {
            omega
                .iter()
                .map(|&w| nonaffine_kww::kww(beta, w))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(py_err)?;
    let (c, s): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    Ok((c.into_pyarray(py), s.into_pyarray(py)))
}

/// A memory-kernel plugin (`markovian`, `exponential`, `stretched-exp`,
/// `tabulated`) built by the registry, as `nonaffine kernel` builds it.
#[pyclass(frozen, module = "nonaffine._core", name = "Kernel")]
struct PyKernel {
    inner: Arc<dyn MemoryKernel>,
}

#[pymethods]
impl PyKernel {
    /// `Kernel(plugin, **params)` with the plugin's parameters (see `nonaffine plugins`).
    #[new]
    #[pyo3(signature = (plugin, **params))]
    fn new(plugin: &str, params: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let values = match params {
            Some(d) => params_map(d)?,
            None => BTreeMap::new(),
        };
        let params = Params::new("kernel", values);
        let built = nonaffine_registry::registry()
            .kernel(plugin, &params)
            .map_err(py_err)?;
        Ok(Self {
            inner: Arc::from(built),
        })
    }

    /// The plugin name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The kernel's memory time (its time unit), if it has one.
    #[getter]
    fn memory_time(&self) -> Option<f64> {
        self.inner.memory_time()
    }

    /// The kernel's parameters as (name, value, unit).
    fn parameters(&self) -> Vec<(String, f64, String)> {
        self.inner.parameters()
    }

    /// ν̃(ω) = ν1 − iν2 at each ω (rad per the kernel's time unit); complex, 1/time.
    fn nu<'py>(
        &self,
        py: Python<'py>,
        omega: PyReadonlyArray1<'py, f64>,
    ) -> Bound<'py, PyArray1<num_complex::Complex64>> {
        let omega = omega.as_array().to_vec();
        let k = &self.inner;
        py.detach(|| omega.iter().map(|&w| k.nu_freq(w)).collect::<Vec<_>>())
            .into_pyarray(py)
    }

    /// ν(t) at each t (the kernel's time unit).
    fn nu_time<'py>(&self, py: Python<'py>, t: PyReadonlyArray1<'py, f64>) -> Vector<'py> {
        let t = t.as_array().to_vec();
        let k = &self.inner;
        py.detach(|| t.iter().map(|&x| k.nu_time(x)).collect::<Vec<_>>())
            .into_pyarray(py)
    }

    fn __repr__(&self) -> String {
        let params: Vec<String> = self
            .inner
            .parameters()
            .iter()
            .map(|(k, v, _)| format!("{k}={v}"))
            .collect();
        format!("kernel({:?}, {})", self.inner.name(), params.join(", "))
    }
}

/// A structure's spectrum as the response's predict mode needs it: the modes
/// (eigenpairs or quadrature nodes with Ξ̂), Born moduli and volume, in the
/// computing frame.
#[pyclass(frozen, module = "nonaffine._core", name = "Spectrum")]
struct PySpectrum {
    modes: Arc<Modes>,
    affine: Affine,
}

/// The `spectrum` stage's computation for one structure (as `nonaffine
/// spectrum`, without files): `params` holds the stage's keys (`solver: {plugin:
/// NAME, ...}`, `bins`, `nu_max_thz`, `smoothing_thz`, `boson_peak_width`, `zero_tolerance`,
/// `negative_modes`). Returns the spectrum handle and a dict of arrays:
/// `eigenvalues` (eV/(Å²·amu)), `frequencies_thz`, `projections` (M×6,
/// eV/(Å·amu^½)), `participation`, `kind`, `nu_thz`, `vdos`, `vdos_histogram`
/// (1/THz), `gamma`, `gamma_shell` (bins×6, eV²/(Å²·amu)), `density` (KPM
/// or None), `lowest_eigenvalue`, `diagnostics`, `warnings`, `born_gpa`,
/// `stress_gpa`, `volume_a3` and `report` (the sample.json text).
#[pyfunction]
fn spectrum<'py>(
    py: Python<'py>,
    potential: &PyPotential,
    positions: PyReadonlyArray2<'py, f64>,
    cell: PyReadonlyArray2<'py, f64>,
    symbols: Vec<String>,
    params: &Bound<'py, PyDict>,
) -> PyResult<(PySpectrum, Bound<'py, PyDict>)> {
    let pot = potential.inner.as_ref();
    let s = structure(pot, &positions, &cell, symbols)?;
    let params = Params::new("spectrum", params_map(params)?);
    let (products, sp) = py
        .detach(|| {
            let run = nonaffine_hessian::compute(&s, pot, &HessianOptions::default())
                .map_err(|e| chain(&e))?;
            let sp = nonaffine_spectrum::stage::spectrum_of(
                &run.products,
                &params,
                &nonaffine_registry::registry(),
                std::path::Path::new("atoms"),
            )
            .map_err(|e| chain(&e))?;
            Ok::<_, String>((run.products, sp))
        })
        .map_err(NonaffineError::new_err)?;
    let modes = &sp.result.modes;
    let out = PyDict::new(py);
    let kind = match modes.kind.unwrap_or(ModesKind::Complete) {
        ModesKind::Complete => "complete",
        ModesKind::Lowest => "lowest",
        ModesKind::Quadrature => "quadrature",
        ModesKind::Model => "model",
    };
    out.set_item("kind", kind)?;
    out.set_item("eigenvalues", modes.eigenvalues.clone().into_pyarray(py))?;
    let nu: Vec<f64> = modes
        .eigenvalues
        .iter()
        .map(|&l| frequency_thz(l))
        .collect();
    out.set_item("frequencies_thz", nu.into_pyarray(py))?;
    out.set_item("projections", matrix(py, &modes.projections))?;
    out.set_item(
        "participation",
        modes.participation.clone().into_pyarray(py),
    )?;
    out.set_item("nu_thz", sp.nu_thz.into_pyarray(py))?;
    out.set_item("vdos", sp.vdos.into_pyarray(py))?;
    out.set_item("vdos_histogram", sp.vdos_histogram.into_pyarray(py))?;
    out.set_item("gamma", matrix(py, &sp.gamma))?;
    out.set_item("gamma_shell", matrix(py, &sp.gamma_shell))?;
    match &sp.result.density {
        Some(d) => {
            let density = PyDict::new(py);
            density.set_item("lambda", d.lambda.clone().into_pyarray(py))?;
            density.set_item("density", d.density.clone().into_pyarray(py))?;
            density.set_item(
                "zero_mode_density",
                d.zero_mode_density.clone().into_pyarray(py),
            )?;
            density.set_item("projected", matrix(py, &d.projected))?;
            density.set_item("resolution", d.resolution)?;
            out.set_item("density", density)?;
        }
        None => out.set_item("density", py.None())?,
    }
    out.set_item("lowest_eigenvalue", sp.result.lowest_eigenvalue)?;
    let diagnostics = PyDict::new(py);
    for (k, v) in &sp.result.diagnostics {
        diagnostics.set_item(k, v)?;
    }
    out.set_item("diagnostics", diagnostics)?;
    out.set_item("warnings", sp.warnings.clone())?;
    out.set_item("born_gpa", matrix(py, &products.born_gpa))?;
    out.set_item("stress_gpa", products.stress_gpa.to_vec().into_pyarray(py))?;
    out.set_item("volume_a3", products.volume_a3())?;
    let report = serde_json::to_string(&sp.report)
        .map_err(|e| NonaffineError::new_err(format!("the spectrum report: {e}")))?;
    out.set_item("report", report)?;
    let handle = PySpectrum {
        affine: Affine {
            born_gpa: products.born_gpa,
            volume_a3: products.volume_a3(),
        },
        modes: Arc::new(sp.result.modes),
    };
    Ok((handle, out))
}

/// The response's predict mode (docs/theory.md Eq. (42)) at each ω (rad/ps)
/// with `kernel` in ps: C*(ω) (n×6×6, GPa, complex; the η convention, in the
/// computing frame) and its Voigt-averaged bulk, shear and Young's moduli.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn modulus<'py>(
    py: Python<'py>,
    spectrum: &PySpectrum,
    kernel: &PyKernel,
    omega: PyReadonlyArray1<'py, f64>,
) -> PyResult<(
    Bound<'py, PyArray3<Complex64>>,
    Bound<'py, PyArray1<Complex64>>,
    Bound<'py, PyArray1<Complex64>>,
    Bound<'py, PyArray1<Complex64>>,
)> {
    let omega = omega.as_array().to_vec();
    if let Some(w) = omega.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
        return Err(NonaffineError::new_err(format!(
            "omega {w} rad/ps: frequencies must be finite and ≥ 0"
        )));
    }
    let (modes, affine, k) = (&spectrum.modes, &spectrum.affine, &kernel.inner);
    let moduli: Vec<[[Complex64; 6]; 6]> = py.detach(|| {
        omega
            .iter()
            .map(|&w| {
                nonaffine_response::predict::predicted_moduli(affine, modes.as_ref(), k.as_ref(), w)
            })
            .collect()
    });
    let n = moduli.len();
    let c = numpy::ndarray::Array3::from_shape_fn((n, 6, 6), |(p, a, b)| moduli[p][a][b]);
    let iso = |f: &dyn Fn(&nonaffine_response::Isotropic) -> Complex64| {
        moduli
            .iter()
            .map(|m| f(&nonaffine_response::Isotropic::from_voigt(m)))
            .collect::<Vec<_>>()
            .into_pyarray(py)
    };
    Ok((
        c.into_pyarray(py),
        iso(&|i| i.bulk),
        iso(&|i| i.shear),
        iso(&|i| i.young),
    ))
}

/// Runs the workflow file `path` into `out` (default `runs/<workflow name>`),
/// reusing the store `.store` beside it, up to `jobs` jobs at once, as
/// `nonaffine run` does; returns the run report as JSON text: `workflow`,
/// `out_dir`, `report`, `manifest`, `seconds` and per job `stage`, `branch`,
/// `dir`, `status` (ran, cached, stored), `reason`, `seconds`, `key`.
#[pyfunction]
#[pyo3(signature = (path, out=None, jobs=None))]
fn run_workflow(
    py: Python<'_>,
    path: PathBuf,
    out: Option<PathBuf>,
    jobs: Option<usize>,
) -> PyResult<String> {
    use nonaffine_workflow::Status;
    let registry = nonaffine_registry::registry();
    let workflow = nonaffine_workflow::Workflow::load(&path, &registry)
        .map_err(|e| NonaffineError::new_err(e.to_string()))?;
    let out_dir = out.unwrap_or_else(|| PathBuf::from("runs").join(&workflow.name));
    let store = match out_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join(".store"),
        _ => PathBuf::from(".store"),
    };
    let options = nonaffine_workflow::RunOptions {
        out_dir,
        force: Vec::new(),
        jobs: jobs.unwrap_or(1),
        store: Some(store),
    };
    let report = py
        .detach(|| {
            nonaffine_workflow::run(&workflow, &registry, &options, &nonaffine_workflow::Quiet)
        })
        .map_err(|e| {
            NonaffineError::new_err(format!(
                "running workflow {}: {}",
                path.display(),
                chain(&e)
            ))
        })?;
    let stages: Vec<serde_json::Value> = report
        .outcomes
        .iter()
        .map(|o| {
            let (status, reason) = match &o.status {
                Status::Cached => ("cached", None),
                Status::Stored => ("stored", None),
                Status::Ran(r) => ("ran", Some(r.to_string())),
            };
            serde_json::json!({
                "stage": o.stage,
                "branch": o.branch,
                "dir": report.out_dir.join(&o.dir),
                "status": status,
                "reason": reason,
                "seconds": o.record.seconds,
                "key": o.record.key,
            })
        })
        .collect();
    let value = serde_json::json!({
        "workflow": report.workflow,
        "out_dir": report.out_dir,
        "report": report.out_dir.join("report.md"),
        "manifest": report.out_dir.join("manifest.json"),
        "seconds": report.seconds,
        "stages": stages,
    });
    Ok(value.to_string())
}

/// The LAMMPS worker's entry point (`nonaffine-lammps-worker --job FILE --log
/// FILE`, reading the process' arguments), for the script the package installs:
/// the worker runs in a process of its own, never in a caller's. Returns the exit code.
#[pyfunction]
fn lammps_worker(py: Python<'_>) -> i32 {
    py.detach(nonaffine_lammps::worker::main)
}

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NonaffineError", m.py().get_type::<NonaffineError>())?;
    m.add_class::<PyPotential>()?;
    m.add_class::<PyKernel>()?;
    m.add_function(wrap_pyfunction!(restricted_frame, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(hessian, m)?)?;
    m.add_function(wrap_pyfunction!(kww, m)?)?;
    m.add_class::<PySpectrum>()?;
    m.add_function(wrap_pyfunction!(spectrum, m)?)?;
    m.add_function(wrap_pyfunction!(modulus, m)?)?;
    m.add_function(wrap_pyfunction!(run_workflow, m)?)?;
    m.add_function(wrap_pyfunction!(lammps_worker, m)?)?;
    m.add("LAMMPS_WORKER", nonaffine_lammps::supervisor::WORKER_NAME)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
