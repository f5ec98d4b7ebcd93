//! The `spectrum` stage's parameters: the table `nonaffine plugins` lists, and
//! their values read and checked before any file is loaded (each error names
//! `stages.spectrum.params.<key>`).

use nonaffine_core::{
    ParamError, ParamKind, ParamSpec, Params, PluginKind, Potential, Registry, SpectrumSolver,
    StageError,
};

pub(super) const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "solver", kind: ParamKind::Plugin(PluginKind::SpectrumSolver), unit: "", default: Some("{ plugin: dense }"), doc: "spectrum solver plugin and its parameters, e.g. { plugin: lanczos, steps: 60 }: dense (all modes), arpack (lowest modes), lanczos (matrix-free quadrature + KPM), debye (model control); the text form `solver: NAME` is deprecated" },
    ParamSpec { name: "bins", kind: ParamKind::Integer, unit: "", default: Some("100"), doc: "frequency shells of the VDOS and Γ histograms" },
    ParamSpec { name: "nu_max_thz", kind: ParamKind::Number, unit: "THz", default: Some("0"), doc: "upper edge of the frequency grid (0: 2% above the highest mode of all samples)" },
    ParamSpec { name: "smoothing_thz", kind: ParamKind::Number, unit: "THz", default: Some("0"), doc: "standard deviation of the Gaussian smoothing (0: two shell widths)" },
    ParamSpec { name: "boson_peak_width", kind: ParamKind::Number, unit: "", default: Some("0.15"), doc: "relative resolution w of the curve the boson peak is searched on (modes): D(ν)/ν² smoothed by a Gaussian of standard deviation w in ln ν" },
    ParamSpec { name: "zero_tolerance", kind: ParamKind::Number, unit: "", default: Some("1e-8"), doc: "eigenvalues with |λ| below this times max|D_ii| are zero modes" },
    ParamSpec { name: "negative_modes", kind: ParamKind::Text, unit: "", default: Some("error"), doc: "what to do with negative eigenvalues beyond round-off: error (fail, naming the sample) or exclude (leave them out and report them)" },
    ParamSpec { name: "elements", kind: ParamKind::TextList, unit: "", default: Some("(from the data file)"), doc: "element names of the structure's atom types, when its data file has no type comments" },
    ParamSpec { name: "plots", kind: ParamKind::Bool, unit: "", default: Some("true"), doc: "write PNG and SVG plots" },
    ParamSpec { name: "operator", kind: ParamKind::Text, unit: "", default: Some("stored"), doc: "how D·v is computed: stored (the Hessian stage's hessian.mtx or hessian.npz, sparse) or matrix-free (from the pair list on the fly with `potential`, memory linear in N; for lanczos/arpack on large glasses — dense would build D from 3N products)" },
    ParamSpec { name: "potential", kind: ParamKind::Plugin(PluginKind::Potential), unit: "", default: Some("(none)"), doc: "with operator: matrix-free, the Hessian stage's potential: {plugin: eam/fs, file: ..., elements: [Cu, Zr]}; its Ξ must equal the stage's xi.csv" },
];

/// The checked parameters of one run.
pub(super) struct Settings {
    /// The solver plugin's name (`dense`, `arpack`, `lanczos`, `debye`).
    pub(super) solver_name: String,
    pub(super) solver: Box<dyn SpectrumSolver>,
    /// Frequency shells of the VDOS and Γ histograms.
    pub(super) bins: usize,
    /// Upper edge of the grid, THz (0: from the modes).
    pub(super) nu_max_param: f64,
    /// Gaussian smoothing σ, THz (0: two shell widths).
    pub(super) smoothing_param: f64,
    /// Relative width w of the boson-peak curve (standard deviation in ln ν).
    pub(super) peak_width: f64,
    /// Zero-mode threshold relative to max|D_ii| (dimensionless).
    pub(super) zero_tol: f64,
    /// `error` or `exclude`.
    pub(super) negative: String,
    /// Element names of the atom types, when given.
    pub(super) elements: Option<Vec<String>>,
    pub(super) plots: bool,
    /// The potential of `operator: matrix-free` (None: the stored hessian.mtx or hessian.npz).
    pub(super) potential: Option<Box<dyn Potential>>,
}

impl Settings {
    /// Reads and checks the stage's parameters `p`, building the solver and
    /// (when matrix-free) the potential through the registry.
    pub(super) fn read(p: &Params, registry: &Registry) -> Result<Self, StageError> {
        p.check_known(PARAMS)?;
        let (solver_name, solver_params) = p.plugin_or("solver", "dense")?;
        let solver = registry.spectrum_solver(&solver_name, &solver_params)?;
        let bins = p.count_or("bins", 100)? as usize;
        if bins < 4 {
            return Err(ParamError::new(p.path("bins"), "need at least 4 shells").into());
        }
        let nu_max_param = p.number_or("nu_max_thz", 0.0)?;
        let smoothing_param = p.number_or("smoothing_thz", 0.0)?;
        let peak_width = p.positive_or("boson_peak_width", 0.15)?;
        if peak_width > 1.0 {
            return Err(ParamError::new(
                p.path("boson_peak_width"),
                format!("{peak_width} is a relative width: give one between 0 and 1 (0.15: ±15%)"),
            )
            .into());
        }
        let zero_tol = p.positive_or("zero_tolerance", 1e-8)?;
        let negative = p.text_or("negative_modes", "error")?;
        if negative != "error" && negative != "exclude" {
            return Err(ParamError::new(
                p.path("negative_modes"),
                format!("`{negative}` is not one of: error, exclude"),
            )
            .into());
        }
        let elements = if p.contains("elements") {
            Some(p.texts("elements")?)
        } else {
            None
        };
        let plots = p.bool_or("plots", true)?;
        let matrix_free = match p.text_or("operator", "stored")? {
            "stored" => false,
            "matrix-free" => true,
            other => {
                return Err(ParamError::new(
                    p.path("operator"),
                    format!("`{other}` is not one of: stored, matrix-free"),
                )
                .into())
            }
        };
        let potential = if matrix_free {
            if !p.contains("potential") {
                return Err(ParamError::new(
                    p.path("potential"),
                    "operator: matrix-free computes D·v from the potential: give the Hessian stage's \
                     potential, e.g. {plugin: eam/fs, file: CuZr_mm.eam.fs, elements: [Cu, Zr]}",
                )
                .into());
            }
            let (plugin, pot_params) = p.plugin("potential")?;
            Some(registry.potential(&plugin, &pot_params)?)
        } else {
            None
        };
        Ok(Self {
            solver_name,
            solver,
            bins,
            nu_max_param,
            smoothing_param,
            peak_width,
            zero_tol,
            negative: negative.to_string(),
            elements,
            plots,
            potential,
        })
    }
}
