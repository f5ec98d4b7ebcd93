//! Dummy stages and plugins: no physics, just enough behaviour to see what the
//! runner does. Every stage appends a line to `<out>/calls.log` when it runs,
//! an independent record of what was computed.

use nonaffine_core::{
    MemoryKernel, ParamKind, ParamSpec, Params, PluginError, PluginInfo, PluginKind, Potential,
    Registry, SpectrumSolver, Stage, StageContext, StageError, Summary,
};
use std::io::Write as _;
use std::path::{Path, PathBuf};

const fn spec(
    name: &'static str,
    kind: ParamKind,
    unit: &'static str,
    default: Option<&'static str>,
) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        unit,
        default,
        doc: "test parameter",
    }
}

/// The run folder, found from a stage's output folder `<out>/stages/<s>/<b>.tmp-..`.
fn run_root(out_dir: &Path) -> PathBuf {
    out_dir.ancestors().nth(3).unwrap_or(out_dir).to_path_buf()
}

fn log_call(ctx: &StageContext<'_>, what: &str) {
    let branch = ctx
        .out_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split(".tmp-")
        .next()
        .unwrap()
        .to_string();
    let stage = ctx
        .out_dir
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run_root(ctx.out_dir).join("calls.log"))
        .unwrap();
    writeln!(f, "{what} {stage}/{branch}").unwrap();
}

/// The runs recorded in `<out>/calls.log`, as `kind stage/branch` lines.
pub fn calls(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn read_value(dir: &Path) -> f64 {
    std::fs::read_to_string(dir.join("value.txt"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn write_value(ctx: &StageContext<'_>, v: f64) -> Result<(), StageError> {
    let p = ctx.out_dir.join("value.txt");
    std::fs::write(&p, format!("{v}\n")).map_err(|e| StageError::io(p, e))
}

/// `source`: value + seed (+ the byte count of `data_file` when given).
pub struct Source;
impl Stage for Source {
    fn info(&self) -> PluginInfo {
        const P: &[ParamSpec] = &[
            spec("value", ParamKind::Number, "", None),
            spec("seed", ParamKind::Integer, "", Some("0")),
            spec("data_file", ParamKind::Path, "", Some("none")),
            spec("scale", ParamKind::Number, "", Some("1")),
            spec("report_every_s", ParamKind::Number, "s", Some("1")),
        ];
        PluginInfo {
            name: "source",
            version: "1",
            doc: "writes value + seed",
            params: P,
        }
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        log_call(ctx, "source");
        let mut v = ctx.params.number("value")? * ctx.params.number_or("scale", 1.0)?
            + ctx.params.count_or("seed", 0)? as f64;
        if ctx.params.contains("data_file") {
            let p = ctx.params.path_value("data_file")?;
            assert!(p.is_absolute(), "stage must get an absolute path");
            v += std::fs::read(&p).map_err(|e| StageError::io(p, e))?.len() as f64;
        }
        write_value(ctx, v)?;
        let mut s = Summary::new();
        s.float("value", v, 6);
        Ok(s)
    }
    /// How often it would report progress: not what it computes.
    fn unkeyed_params(&self) -> &'static [&'static str] {
        &["report_every_s"]
    }
}

/// `double`: factor × the sum of its inputs' values; the field is its version.
pub struct Double(pub &'static str);
impl Stage for Double {
    fn info(&self) -> PluginInfo {
        const P: &[ParamSpec] = &[spec("factor", ParamKind::Number, "", Some("2"))];
        PluginInfo {
            name: "double",
            version: self.0,
            doc: "factor × sum of inputs",
            params: P,
        }
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        log_call(ctx, "double");
        let sum: f64 = ctx.inputs.iter().map(|i| read_value(&i.dir)).sum();
        let v = ctx.params.number_or("factor", 2.0)? * sum;
        write_value(ctx, v)?;
        let mut s = Summary::new();
        s.float("value", v, 6)
            .int("inputs", ctx.inputs.len() as i64);
        Ok(s)
    }
}

/// `collect`: lists its inputs (stage, kind, branch) and sums their values;
/// also writes a figure, a table and a provenance file.
pub struct Collect;
impl Stage for Collect {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "collect",
            version: "2",
            doc: "lists and sums inputs",
            params: &[],
        }
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        log_call(ctx, "collect");
        let listing: Vec<String> = ctx
            .inputs
            .iter()
            .map(|i| format!("{}|{}|{}|{}", i.stage, i.kind, i.branch, read_value(&i.dir)))
            .collect();
        std::fs::write(ctx.out_dir.join("inputs.csv"), listing.join("\n")).unwrap();
        std::fs::write(ctx.out_dir.join("plot.svg"), "<svg/>").unwrap();
        std::fs::write(
            ctx.out_dir.join("provenance.json"),
            r#"{"engine": "dummy 0.1"}"#,
        )
        .unwrap();
        let sum: f64 = ctx.inputs.iter().map(|i| read_value(&i.dir)).sum();
        write_value(ctx, sum)?;
        let mut s = Summary::new();
        s.float("sum", sum, 6)
            .int("inputs", ctx.inputs.len() as i64);
        Ok(s)
    }
}

/// `slow`: writes `started`, then sleeps `NONAFFINE_TEST_SLEEP_MS` (default 0)
/// before writing its value: the stage a test kills mid-way.
pub struct Slow;
impl Stage for Slow {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "slow",
            version: "1",
            doc: "sleeps, then copies its input",
            params: &[],
        }
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        log_call(ctx, "slow");
        std::fs::write(ctx.out_dir.join("partial.txt"), "half-written").unwrap();
        std::fs::write(ctx.out_dir.join("started"), "").unwrap();
        let ms: u64 = std::env::var("NONAFFINE_TEST_SLEEP_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        ctx.progress.set_total(10);
        for i in 0..10 {
            std::thread::sleep(std::time::Duration::from_millis(ms / 10));
            ctx.progress.set_position(i + 1);
        }
        std::fs::remove_file(ctx.out_dir.join("partial.txt")).unwrap();
        let v: f64 = ctx.inputs.iter().map(|i| read_value(&i.dir)).sum();
        write_value(ctx, v)?;
        Ok(Summary::new())
    }
}

/// How many `meet` jobs have started (one test uses it).
static MET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// `meet`: waits until two `meet` jobs are running at once (fails after 60 s
/// alone): proof that independent branches run concurrently.
pub struct Meet;
impl Stage for Meet {
    fn info(&self) -> PluginInfo {
        const P: &[ParamSpec] = &[spec("seed", ParamKind::Integer, "", Some("0"))];
        PluginInfo {
            name: "meet",
            version: "1",
            doc: "waits for a partner",
            params: P,
        }
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        MET.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let t0 = std::time::Instant::now();
        while MET.load(std::sync::atomic::Ordering::SeqCst) < 2 {
            if t0.elapsed() > std::time::Duration::from_secs(60) {
                return Err(StageError::Failed(
                    "no partner: branches did not run concurrently".into(),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        write_value(ctx, 1.0)?;
        Ok(Summary::new())
    }
}

/// `fail`: always fails.
pub struct Fail;
impl Stage for Fail {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "fail",
            version: "1",
            doc: "always fails",
            params: &[],
        }
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        std::fs::write(ctx.out_dir.join("junk"), "x").unwrap();
        Err(StageError::Failed("deliberate failure".into()))
    }
}

/// `vandal`: deletes its first input's `value.txt` (damage done to a cached
/// output while a run goes on), then writes 0.
pub struct Vandal;
impl Stage for Vandal {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "vandal",
            version: "1",
            doc: "deletes an input file",
            params: &[],
        }
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        log_call(ctx, "vandal");
        if let Some(i) = ctx.inputs.first() {
            let _ = std::fs::remove_file(i.dir.join("value.txt"));
        }
        write_value(ctx, 0.0)?;
        Ok(Summary::new())
    }
}

/// `quench`, `kernel`, `response`: parameter schemas shaped like the real
/// stages, for validation tests; they run as trivial stages.
pub struct Shaped(pub PluginInfo);
impl Stage for Shaped {
    fn info(&self) -> PluginInfo {
        self.0
    }
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        log_call(ctx, self.0.name);
        if let Ok(pot) = ctx.params.nested("potential") {
            let file = pot.path_value("file")?;
            std::fs::metadata(&file).map_err(|e| StageError::io(file, e))?;
        }
        write_value(ctx, ctx.inputs.len() as f64)?;
        Ok(Summary::new())
    }
}

const QUENCH: &[ParamSpec] = &[
    spec("n_atoms", ParamKind::Integer, "", None),
    spec("cooling_rate_k_per_ps", ParamKind::Number, "K/ps", None),
    spec("seed", ParamKind::Integer, "", Some("1")),
    spec(
        "temperatures_k",
        ParamKind::NumberList,
        "K",
        Some("[670, 603, 536]"),
    ),
    spec("potential", ParamKind::Map, "", None),
];
const KERNEL: &[ParamSpec] = &[spec("plugin", ParamKind::Text, "", None)];
const RESPONSE: &[ParamSpec] = &[spec(
    "frequency_thz",
    ParamKind::NumberList,
    "THz",
    Some("[1]"),
)];
const EAM: &[ParamSpec] = &[
    spec("file", ParamKind::Path, "", None),
    spec("elements", ParamKind::TextList, "", None),
];
const STRETCHED: &[ParamSpec] = &[
    spec("nu0", ParamKind::Number, "", None),
    spec("b", ParamKind::Number, "", None),
    spec("r", ParamKind::Number, "", None),
];
const MARKOVIAN: &[ParamSpec] = &[spec("nu0_per_ps", ParamKind::Number, "1/ps", None)];
const SPECTRUM: &[ParamSpec] = &[
    spec(
        "solver",
        ParamKind::Plugin(PluginKind::SpectrumSolver),
        "",
        Some("{ plugin: dense }"),
    ),
    spec("bins", ParamKind::Integer, "", Some("100")),
];
const LANCZOS: &[ParamSpec] = &[
    spec("steps", ParamKind::Integer, "", Some("150")),
    spec("moments", ParamKind::Integer, "", Some("800")),
];

fn no_potential(_: &Params) -> Result<Box<dyn Potential>, PluginError> {
    Err(PluginError::Build {
        plugin: "eam/fs".into(),
        message: "test registry builds no potential".into(),
    })
}
fn no_solver(_: &Params) -> Result<Box<dyn SpectrumSolver>, PluginError> {
    Err(PluginError::Build {
        plugin: "solver".into(),
        message: "test registry builds no solver".into(),
    })
}
fn no_kernel(_: &Params) -> Result<Box<dyn MemoryKernel>, PluginError> {
    Err(PluginError::Build {
        plugin: "kernel".into(),
        message: "test registry builds no kernel".into(),
    })
}

/// Registry of the dummies.
pub fn registry() -> Registry {
    registry_with_double_version("1")
}

/// Registry of the dummies with `double` at version `version`.
pub fn registry_with_double_version(version: &'static str) -> Registry {
    registry_with_versions(version, "1")
}

/// Registry of the dummies with `double` at version `version` and the
/// `lanczos` spectrum solver at version `lanczos`.
pub fn registry_with_versions(version: &'static str, lanczos: &'static str) -> Registry {
    let mut r = Registry::default();
    r.spectrum_solvers.register(
        PluginInfo {
            name: "dense",
            version: "2",
            doc: "all modes",
            params: &[],
        },
        no_solver,
    );
    r.spectrum_solvers.register(
        PluginInfo {
            name: "lanczos",
            version: lanczos,
            doc: "quadrature",
            params: LANCZOS,
        },
        no_solver,
    );
    r.potentials.register(
        PluginInfo {
            name: "eam/fs",
            version: "3",
            doc: "setfl EAM",
            params: EAM,
        },
        no_potential,
    );
    r.kernels.register(
        PluginInfo {
            name: "stretched-exp",
            version: "1",
            doc: "ν0 exp(−r t^b)",
            params: STRETCHED,
        },
        no_kernel,
    );
    r.kernels.register(
        PluginInfo {
            name: "markovian",
            version: "1",
            doc: "ν0",
            params: MARKOVIAN,
        },
        no_kernel,
    );
    let stages: Vec<Box<dyn Stage>> = vec![
        Box::new(Source),
        Box::new(Double(version)),
        Box::new(Collect),
        Box::new(Slow),
        Box::new(Fail),
        Box::new(Meet),
        Box::new(Vandal),
        Box::new(Shaped(PluginInfo {
            name: "quench",
            version: "1",
            doc: "quench",
            params: QUENCH,
        })),
        Box::new(Shaped(PluginInfo {
            name: "kernel",
            version: "1",
            doc: "kernel",
            params: KERNEL,
        })),
        Box::new(Shaped(PluginInfo {
            name: "spectrum",
            version: "1",
            doc: "spectrum",
            params: SPECTRUM,
        })),
        Box::new(Shaped(PluginInfo {
            name: "response",
            version: "1",
            doc: "response",
            params: RESPONSE,
        })),
    ];
    for s in stages {
        let info = s.info();
        r.stages.register(info, s);
    }
    r
}

#[test]
fn dummy_registry_is_consistent() {
    assert_eq!(registry().check(), Vec::<String>::new());
}
