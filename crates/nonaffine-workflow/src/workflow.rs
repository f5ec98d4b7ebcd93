//! A validated workflow: stages with their kinds, parameters (file paths
//! resolved and hashed), sweeps, inputs and gathers.
//!
//! [`Workflow::load`] checks everything that can be checked before running and
//! reports every problem with the file, line and column of the offending key.

use crate::error::{Diagnostic, WorkflowError};
use crate::node::{KeyPath, Node};
use crate::plan;
use crate::yaml;
use nonaffine_core::params::nearest;
use nonaffine_core::{
    InputsError, ParamKind, ParamSpec, ParamValue, Params, PluginInfo, PluginKind, Registry, Stage,
    StageError,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A workflow ready to run.
#[derive(Clone, Debug)]
pub struct Workflow {
    /// Name; the default run folder is `runs/<name>`.
    pub name: String,
    /// One line saying what it computes.
    pub description: String,
    /// The file it was read from, as named by the user.
    pub file: PathBuf,
    /// SHA-256 of the file's text (recorded in the manifest, not in any cache key).
    pub source_sha256: String,
    /// Stages in file order.
    pub stages: Vec<StageDecl>,
    /// What validated but should change (deprecated forms), with where it is;
    /// `validate` and `run` print them and the run report records them.
    pub warnings: Vec<Diagnostic>,
    /// Where jobs run (the top-level `executor:` map); never in a cache key.
    pub executor: ExecutorSettings,
}

/// The top-level `executor:` map: where the jobs run and what a batch
/// scheduler is asked for. Command-line options override it. None of it
/// enters a cache key: the same job gives the same output wherever it runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecutorSettings {
    /// `local` (every job in the runner's process) or `slurm`; None: not set.
    pub kind: Option<String>,
    /// Slurm partition (`sbatch --partition`).
    pub partition: Option<String>,
    /// Slurm account (`sbatch --account`).
    pub account: Option<String>,
    /// Time limit per stage kind in Slurm's format (`2-00:00:00`, `90`
    /// minutes); the key `default` for every other kind.
    pub time_limits: BTreeMap<String, String>,
    /// Further `sbatch` options, each one argument (`--qos=long`).
    pub sbatch_options: Vec<String>,
    /// Stage kinds run in the runner's process even with a scheduler
    /// (None: the executor's default, the quick `kernel` and `reference`).
    pub local_stages: Option<Vec<String>>,
    /// How often a waiting job's state is looked at, in s.
    pub poll_s: Option<f64>,
}

/// Keys of the `executor:` map.
const EXECUTOR_KEYS: &[&str] = &[
    "kind",
    "partition",
    "account",
    "time_limit",
    "sbatch_options",
    "local_stages",
    "poll_s",
];

/// Whether `text` reads as a Slurm time limit: `MM`, `MM:SS`, `HH:MM:SS`,
/// `D-HH`, `D-HH:MM`, `D-HH:MM:SS` (digits, at most one `-` first, up to
/// three `:`-separated fields), or `UNLIMITED`/`INFINITE`.
pub fn is_slurm_time(text: &str) -> bool {
    if text.eq_ignore_ascii_case("unlimited") || text.eq_ignore_ascii_case("infinite") {
        return true;
    }
    let (days, rest) = match text.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, text),
    };
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    let fields: Vec<&str> = rest.split(':').collect();
    days.is_none_or(digits) && fields.len() <= 3 && fields.iter().all(|f| digits(f))
}

/// One stage of a workflow.
#[derive(Clone, Debug)]
pub struct StageDecl {
    /// Unique name in the workflow (also its output folder's name).
    pub name: String,
    /// Stage kind, a name in [`Registry::stages`].
    pub kind: String,
    /// Parameters with every file path resolved to an absolute path.
    pub params: Params,
    /// Swept parameters and their values, in file order (paths resolved).
    pub sweep: Vec<(String, Vec<ParamValue>)>,
    /// Names of upstream stages, in the order the stage receives them.
    pub inputs: Vec<String>,
    /// Which upstream sweep coordinates this stage gathers instead of following.
    pub gather: Gather,
    /// Every file the parameters name, with its content hash.
    pub files: Vec<FileRef>,
}

/// How a stage treats swept upstream stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gather {
    /// Run once per upstream branch (the default).
    None,
    /// Run once and receive every upstream branch as an input (`gather: true`).
    All,
    /// Gather only these swept keys and follow the others (`gather: [seed]`).
    Keys(Vec<String>),
}

/// A file named by a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    /// Key path of the parameter (`potential.file`, `sweep.data_file[1]`).
    pub param: String,
    /// The path as written in the workflow.
    pub written: String,
    /// Absolute path.
    pub resolved: PathBuf,
    /// SHA-256 of the file's content, hex; this (never the path) enters cache keys.
    pub sha256: String,
}

/// Whether a key names a file path (see "Path rule" in the crate docs).
pub fn is_path_key(key: &str) -> bool {
    key == "file" || key.ends_with("_file") || key.ends_with("_path")
}

const TOP_KEYS: &[&str] = &["name", "description", "stages", "executor"];
const STAGE_KEYS: &[&str] = &["stage", "params", "sweep", "inputs", "gather"];

/// Word pieces of unit suffixes, to tell a wrong unit from a typo.
const UNIT_WORDS: &[&str] = &[
    "k", "c", "f", "s", "ps", "fs", "ns", "us", "ms", "min", "h", "hr", "ev", "mev", "kev", "j",
    "kj", "kcal", "mol", "per", "a", "ang", "angstrom", "nm", "um", "m", "cm", "amu", "g", "kg",
    "da", "bar", "kbar", "mbar", "pa", "kpa", "mpa", "gpa", "atm", "thz", "ghz", "hz", "rad",
    "deg", "a2", "a3", "nm2", "nm3", "m2", "m3", "percent", "sq", "cubic",
];

impl Workflow {
    /// Reads and validates the workflow file at `path`.
    pub fn load(path: &Path, registry: &Registry) -> Result<Workflow, WorkflowError> {
        let text = std::fs::read_to_string(path).map_err(|error| WorkflowError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::parse(&text, path, registry)
    }

    /// Validates workflow `text` read from `file` (relative paths in it are
    /// resolved against `file`'s folder).
    pub fn parse(text: &str, file: &Path, registry: &Registry) -> Result<Workflow, WorkflowError> {
        let node = yaml::parse_node(text).map_err(|e| {
            WorkflowError::Invalid(vec![Diagnostic {
                file: file.to_path_buf(),
                location: e.location.map(|l| (l.line, l.column)),
                message: e.message,
            }])
        })?;
        let base = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut checker = Checker {
            registry,
            base,
            problems: Vec::new(),
            warnings: Vec::new(),
            hashes: BTreeMap::new(),
        };
        let workflow = checker.workflow(&node, text, file);
        let located = |found: Vec<(KeyPath, String)>| -> Vec<Diagnostic> {
            found
                .into_iter()
                .map(|(path, message)| Diagnostic {
                    file: file.to_path_buf(),
                    location: yaml::locate(text, &path).map(|l| (l.line, l.column)),
                    message,
                })
                .collect()
        };
        if checker.problems.is_empty() {
            if let Some(mut w) = workflow {
                w.warnings = located(checker.warnings);
                return Ok(w);
            }
        }
        let mut diags = located(checker.problems);
        diags.sort_by_key(|d| d.location.unwrap_or((usize::MAX, 0)));
        diags.dedup();
        Err(WorkflowError::Invalid(diags))
    }

    /// The stage named `name`.
    pub fn stage(&self, name: &str) -> Option<&StageDecl> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// Index of the stage named `name`.
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name == name)
    }

    /// All stage names in file order.
    pub fn stage_names(&self) -> Vec<&str> {
        self.stages.iter().map(|s| s.name.as_str()).collect()
    }
}

/// Most sweep points a stage's own parameter check ([`Stage::check`]) is run
/// at during validation (the rest are checked when their jobs run).
const MAX_CHECKED_POINTS: usize = 1000;

/// What one parameter map is checked against.
struct MapCheck<'s> {
    /// Stage kind or plugin name, for messages.
    owner: &'s str,
    /// Parameters it takes.
    specs: &'s [ParamSpec],
    /// False when a plugin name is unknown, so its keys cannot be judged.
    report_unknown: bool,
    /// Where to report a missing key.
    missing_at: KeyPath,
}

/// Collects problems while building the workflow.
struct Checker<'a> {
    registry: &'a Registry,
    base: PathBuf,
    problems: Vec<(KeyPath, String)>,
    warnings: Vec<(KeyPath, String)>,
    hashes: BTreeMap<PathBuf, String>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn hint(word: &str, candidates: &[&str]) -> String {
    nearest(word, candidates)
        .map(|n| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

impl Checker<'_> {
    fn problem(&mut self, path: KeyPath, message: impl Into<String>) {
        self.problems.push((path, message.into()));
    }

    fn workflow(&mut self, node: &Node, text: &str, file: &Path) -> Option<Workflow> {
        let root = KeyPath::default();
        let Node::Map(entries) = node else {
            let msg = match node {
                Node::Null => {
                    "the file is empty; a workflow needs `name:` and `stages:`".to_string()
                }
                other => format!(
                    "a workflow is a map with `name`, `description` and `stages`; found {}",
                    other.kind_name()
                ),
            };
            self.problem(root, msg);
            return None;
        };
        for (key, _) in entries {
            if !TOP_KEYS.contains(&key.as_str()) {
                self.problem(
                    root.key(key),
                    format!(
                        "unknown key `{key}`{}; a workflow has `name`, `description`, `stages` and `executor`",
                        hint(key, TOP_KEYS)
                    ),
                );
            }
        }
        let name = match node.get("name") {
            Some(Node::Text(n)) if valid_name(n) => Some(n.clone()),
            Some(Node::Text(n)) => {
                self.problem(
                    root.key("name"),
                    format!(
                        "name `{n}` must be letters, digits, `_` or `-` (it names the run folder)"
                    ),
                );
                None
            }
            Some(other) => {
                self.problem(
                    root.key("name"),
                    format!("`name` must be text, found {}", other.kind_name()),
                );
                None
            }
            None => {
                self.problem(
                    root.clone(),
                    "missing `name:` (the default run folder is runs/<name>)",
                );
                None
            }
        };
        let description = match node.get("description") {
            None | Some(Node::Null) => String::new(),
            Some(Node::Text(d)) => d.clone(),
            Some(other) => {
                let p = root.key("description");
                self.problem(
                    p,
                    format!("`description` must be text, found {}", other.kind_name()),
                );
                String::new()
            }
        };
        let stages = match node.get("stages") {
            Some(Node::Map(stages)) if !stages.is_empty() => self.stages(stages),
            Some(Node::Map(_) | Node::Null) => {
                self.problem(
                    root.key("stages"),
                    "`stages` is empty; name at least one stage",
                );
                Vec::new()
            }
            Some(other) => {
                self.problem(
                    root.key("stages"),
                    format!(
                        "`stages` must be a map of stage name → stage, found {}",
                        other.kind_name()
                    ),
                );
                Vec::new()
            }
            None => {
                self.problem(root, "missing `stages:` (a map of stage name → stage)");
                Vec::new()
            }
        };
        let executor = match node.get("executor") {
            None | Some(Node::Null) => ExecutorSettings::default(),
            Some(n) => self.executor(n),
        };
        let mut hasher = Sha256::new();
        hasher.update(text.as_bytes());
        Some(Workflow {
            executor,
            name: name?,
            description,
            file: file.to_path_buf(),
            source_sha256: hex::encode(hasher.finalize()),
            stages,
            warnings: Vec::new(),
        })
    }

    /// Reads the `executor:` map.
    fn executor(&mut self, node: &Node) -> ExecutorSettings {
        let root = KeyPath::default().key("executor");
        let mut out = ExecutorSettings::default();
        let Node::Map(entries) = node else {
            self.problem(
                root,
                format!(
                    "`executor` must be a map (e.g. `executor: {{ kind: slurm, partition: cpu }}`), found {}",
                    node.kind_name()
                ),
            );
            return out;
        };
        let kind_names = self.stage_kinds();
        let kinds: Vec<&str> = kind_names.iter().map(String::as_str).collect();
        let text = |n: &Node| match n {
            Node::Text(t) => Some(t.clone()),
            _ => None,
        };
        for (key, value) in entries {
            let at = root.key(key);
            match key.as_str() {
                "kind" => match text(value).as_deref() {
                    Some(k @ ("local" | "slurm")) => out.kind = Some(k.to_string()),
                    _ => self.problem(at, "`executor.kind` must be `local` or `slurm`"),
                },
                "partition" | "account" => match text(value) {
                    Some(t) if !t.is_empty() => {
                        if key == "partition" {
                            out.partition = Some(t);
                        } else {
                            out.account = Some(t);
                        }
                    }
                    _ => self.problem(at, format!("`executor.{key}` must be a name (text)")),
                },
                "time_limit" => {
                    let pairs: Vec<(String, &Node)> = match value {
                        Node::Map(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
                        other => vec![("default".to_string(), other)],
                    };
                    for (kind, v) in pairs {
                        let at = if matches!(value, Node::Map(_)) {
                            at.key(&kind)
                        } else {
                            at.clone()
                        };
                        if kind != "default" && !kinds.contains(&kind.as_str()) {
                            let mut known = kinds.clone();
                            known.push("default");
                            self.problem(
                                at.clone(),
                                format!(
                                    "`{kind}` is no stage kind{}; time limits are per kind ({}) or `default`",
                                    hint(&kind, &known),
                                    kinds.join(", ")
                                ),
                            );
                            continue;
                        }
                        let limit = match v {
                            Node::Int(m) if *m > 0 => Some(m.to_string()),
                            Node::Text(t) if is_slurm_time(t) => Some(t.clone()),
                            _ => None,
                        };
                        match limit {
                            Some(l) => {
                                out.time_limits.insert(kind, l);
                            }
                            None => self.problem(
                                at,
                                "a time limit is minutes or Slurm's `[D-]HH:MM:SS` as text, e.g. `\"2-00:00:00\"`",
                            ),
                        }
                    }
                }
                "sbatch_options" | "local_stages" => {
                    let items: Option<Vec<String>> = match value {
                        Node::List(items) => items.iter().map(text).collect(),
                        _ => None,
                    };
                    match items {
                        Some(items) if key == "sbatch_options" => out.sbatch_options = items,
                        Some(items) => {
                            for (i, k) in items.iter().enumerate() {
                                if !kinds.contains(&k.as_str()) {
                                    self.problem(
                                        at.index(i),
                                        format!("`{k}` is no stage kind{}", hint(k, &kinds)),
                                    );
                                }
                            }
                            out.local_stages = Some(items);
                        }
                        None => {
                            self.problem(at, format!("`executor.{key}` must be a list of text"))
                        }
                    }
                }
                "poll_s" => match value {
                    Node::Int(i) if *i > 0 => out.poll_s = Some(*i as f64),
                    Node::Float(x) if *x > 0.0 => out.poll_s = Some(*x),
                    _ => self.problem(at, "`executor.poll_s` must be a positive number of seconds"),
                },
                _ => self.problem(
                    at,
                    format!(
                        "unknown key `{key}`{}; `executor` has {}",
                        hint(key, EXECUTOR_KEYS),
                        EXECUTOR_KEYS.join(", ")
                    ),
                ),
            }
        }
        out
    }

    fn stages(&mut self, entries: &[(String, Node)]) -> Vec<StageDecl> {
        let names: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        let mut decls = Vec::new();
        for (name, node) in entries {
            let path = KeyPath::default().key("stages").key(name);
            if !valid_name(name) {
                self.problem(
                    path.clone(),
                    format!("stage name `{name}` must be letters, digits, `_` or `-` (it names a folder)"),
                );
            }
            if let Some(decl) = self.stage(name, node, &path, &names) {
                decls.push(decl);
            }
        }
        self.check_cycles(&decls);
        self.check_input_kinds(&decls);
        self.check_gathers(&decls);
        decls
    }

    fn stage(
        &mut self,
        name: &str,
        node: &Node,
        path: &KeyPath,
        names: &[&str],
    ) -> Option<StageDecl> {
        let problems_before = self.problems.len();
        let Node::Map(entries) = node else {
            self.problem(
                path.clone(),
                format!(
                    "stage `{name}` must be a map with `stage:` and `params:`, found {}",
                    node.kind_name()
                ),
            );
            return None;
        };
        for (key, _) in entries {
            if !STAGE_KEYS.contains(&key.as_str()) {
                self.problem(
                    path.key(key),
                    format!(
                        "unknown key `{key}` in stage `{name}`{}; a stage has {}",
                        hint(key, STAGE_KEYS),
                        STAGE_KEYS
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        let kind = match node.get("stage") {
            Some(Node::Text(k)) => Some(k.clone()),
            Some(other) => {
                let msg = format!(
                    "`stage` must be a stage kind name, found {}",
                    other.kind_name()
                );
                self.problem(path.key("stage"), msg);
                None
            }
            None => {
                let known = self.stage_kinds().join(", ");
                self.problem(
                    path.clone(),
                    format!("stage `{name}` lacks `stage:` (its kind; known: {known})"),
                );
                None
            }
        };
        let info = kind.as_deref().and_then(|k| match self.registry.stage(k) {
            Ok(stage) => Some(stage.info()),
            Err(_) => {
                let kinds = self.stage_kinds();
                let refs: Vec<&str> = kinds.iter().map(String::as_str).collect();
                self.problem(
                    path.key("stage"),
                    format!(
                        "unknown stage kind `{k}`{}; known: {}",
                        hint(k, &refs),
                        kinds.join(", ")
                    ),
                );
                None
            }
        });

        let params_path = path.key("params");
        let mut values = BTreeMap::new();
        match node.get("params") {
            None | Some(Node::Null) => {}
            Some(Node::Map(entries)) => {
                for (key, n) in entries {
                    match n.to_param(&params_path.key(key)) {
                        Ok(v) => {
                            values.insert(key.clone(), v);
                        }
                        Err(at) => self.problem(at.clone(), format!("`{at}` has no value")),
                    }
                }
            }
            Some(other) => {
                let msg = format!(
                    "`params` must be a map of parameter → value, found {}",
                    other.kind_name()
                );
                self.problem(params_path.clone(), msg);
            }
        }

        let sweep_path = path.key("sweep");
        let mut sweep = Vec::new();
        match node.get("sweep") {
            None | Some(Node::Null) => {}
            Some(Node::Map(entries)) => {
                for (key, n) in entries {
                    let at = sweep_path.key(key);
                    match n {
                        Node::List(items) if !items.is_empty() => {
                            let vals: Result<Vec<ParamValue>, KeyPath> = items
                                .iter()
                                .enumerate()
                                .map(|(i, v)| v.to_param(&at.index(i)))
                                .collect();
                            match vals {
                                Ok(v) => sweep.push((key.clone(), v)),
                                Err(p) => self.problem(p.clone(), format!("`{p}` has no value")),
                            }
                        }
                        Node::List(_) => {
                            self.problem(at, format!("sweep of `{key}` has no values"))
                        }
                        other => self.problem(
                            at,
                            format!(
                                "sweep of `{key}` must be a list of values like [1, 2], found {}",
                                other.kind_name()
                            ),
                        ),
                    }
                }
            }
            Some(other) => {
                let msg = format!(
                    "`sweep` must be a map of parameter → list of values, found {}",
                    other.kind_name()
                );
                self.problem(sweep_path.clone(), msg);
            }
        }

        self.check_distinct_folders(&sweep, &sweep_path);

        let mut inputs: Vec<String> = Vec::new();
        let inputs_path = path.key("inputs");
        match node.get("inputs") {
            None | Some(Node::Null) => {}
            Some(Node::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = inputs_path.index(i);
                    match item {
                        Node::Text(input) if input == name => self.problem(
                            at,
                            format!("stage `{name}` cannot take its own output as input"),
                        ),
                        Node::Text(input) if inputs.contains(input) => {
                            self.problem(at, format!("input `{input}` is listed twice"))
                        }
                        Node::Text(input) if names.contains(&input.as_str()) => {
                            inputs.push(input.clone())
                        }
                        Node::Text(input) => self.problem(
                            at,
                            format!(
                                "unknown input `{input}`{}; stages: {}",
                                hint(input, names),
                                names.join(", ")
                            ),
                        ),
                        other => self.problem(
                            at,
                            format!("an input is a stage name, found {}", other.kind_name()),
                        ),
                    }
                }
            }
            Some(other) => self.problem(
                inputs_path,
                format!(
                    "`inputs` must be a list of stage names like [glass], found {}",
                    other.kind_name()
                ),
            ),
        }

        let gather = match node.get("gather") {
            None | Some(Node::Null) | Some(Node::Bool(false)) => Gather::None,
            Some(Node::Bool(true)) => Gather::All,
            Some(Node::List(items)) if items.iter().all(|i| matches!(i, Node::Text(_))) => {
                Gather::Keys(
                    items
                        .iter()
                        .filter_map(|i| {
                            if let Node::Text(t) = i {
                                Some(t.clone())
                            } else {
                                None
                            }
                        })
                        .collect(),
                )
            }
            Some(other) => {
                let shown = match other {
                    Node::Text(t) => format!("`{t}`"),
                    o => o.kind_name().to_string(),
                };
                self.problem(
                    path.key("gather"),
                    format!("`gather` must be true, false or a list of swept keys like [seed], found {shown}"),
                );
                Gather::None
            }
        };

        let mut files = Vec::new();
        if let Some(info) = info {
            self.plugin_text_to_map(info, &mut values, &mut sweep, path);
            self.check_params(info, &values, &sweep, path);
        }
        // Resolve every file path, in params and in sweep values.
        for (key, value) in values.iter_mut() {
            let spec_path = info
                .and_then(|i| i.params.iter().find(|s| s.name == key))
                .map(|s| s.kind == ParamKind::Path);
            self.resolve_paths(
                key,
                value,
                spec_path.unwrap_or(false),
                &params_path.key(key),
                &mut files,
            );
        }
        for (key, vals) in sweep.iter_mut() {
            let spec_path = info
                .and_then(|i| i.params.iter().find(|s| s.name == key))
                .map(|s| s.kind == ParamKind::Path);
            for (i, v) in vals.iter_mut().enumerate() {
                self.resolve_paths(
                    key,
                    v,
                    spec_path.unwrap_or(false),
                    &sweep_path.key(key).index(i),
                    &mut files,
                );
            }
        }
        if let (Some(kind), true) = (&kind, self.problems.len() == problems_before) {
            if let Ok(stage) = self.registry.stage(kind) {
                self.check_stage(stage, name, &values, &sweep, path);
            }
        }
        Some(StageDecl {
            name: name.to_string(),
            kind: kind?,
            params: Params::new(format!("stages.{name}.params"), values),
            sweep,
            inputs,
            gather,
            files,
        })
    }

    /// Swept values of one key that would give two jobs the same folder
    /// (`seed: [1, 1]`, two files of the same name): a problem at the second
    /// value. Linear in the number of values.
    fn check_distinct_folders(&mut self, sweep: &[(String, Vec<ParamValue>)], at: &KeyPath) {
        for (key, vals) in sweep {
            let mut seen: std::collections::HashMap<String, usize> =
                std::collections::HashMap::with_capacity(vals.len());
            for (i, v) in vals.iter().enumerate() {
                let folder = plan::folder_of(key, v);
                if let Some(first) = seen.insert(folder.clone(), i) {
                    seen.insert(folder.clone(), first);
                    self.problem(
                        at.key(key).index(i),
                        format!(
                            "values [{first}] and [{i}] of the sweep of `{key}` would share the \
                             folder `{folder}`; make the swept values distinct"
                        ),
                    );
                }
            }
        }
    }

    /// The stage's own check of its parameters ([`Stage::check`]: zero-step
    /// phases, out-of-range combinations) at every sweep point (at most
    /// [`MAX_CHECKED_POINTS`]), once the generic checks found nothing. The
    /// first refusal is reported at the key it names (at the swept value, when
    /// that key is swept).
    fn check_stage(
        &mut self,
        stage: &dyn Stage,
        name: &str,
        values: &BTreeMap<String, ParamValue>,
        sweep: &[(String, Vec<ParamValue>)],
        path: &KeyPath,
    ) {
        let origin = format!("stages.{name}.params");
        let mut points: Vec<Vec<usize>> = vec![Vec::new()];
        for (_, vals) in sweep {
            points = points
                .into_iter()
                .flat_map(|p| {
                    (0..vals.len()).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .take(MAX_CHECKED_POINTS)
                .collect();
        }
        for point in points {
            let mut v = values.clone();
            for ((key, vals), &i) in sweep.iter().zip(&point) {
                v.insert(key.clone(), vals[i].clone());
            }
            let Err(e) = stage.check(&Params::new(origin.clone(), v), self.registry) else {
                continue;
            };
            let mut at = path.key("params");
            if let StageError::Param(p) = &e {
                let rest = p.key.strip_prefix(&format!("{origin}.")).unwrap_or("");
                let mut segs = rest.split('.').filter(|s| !s.is_empty());
                if let Some(first) = segs.next() {
                    at = match sweep.iter().zip(&point).find(|((k, _), _)| k == first) {
                        Some((_, &i)) => path.key("sweep").key(first).index(i),
                        None => segs.fold(at.key(first), |a, s| a.key(s)),
                    };
                }
            }
            self.problem(at, e.to_string());
            return;
        }
    }

    fn stage_kinds(&self) -> Vec<String> {
        self.registry
            .stages
            .entries()
            .iter()
            .map(|(i, _)| i.name.to_string())
            .collect()
    }

    /// Rewrites the deprecated text form `key: NAME` of a plugin parameter
    /// ([`ParamKind::Plugin`]) as `key: { plugin: NAME }`, in params and sweeps,
    /// with a warning: both forms then give the same parameters and cache key.
    fn plugin_text_to_map(
        &mut self,
        info: PluginInfo,
        values: &mut BTreeMap<String, ParamValue>,
        sweep: &mut [(String, Vec<ParamValue>)],
        path: &KeyPath,
    ) {
        let plugin_keys = info
            .params
            .iter()
            .filter(|s| matches!(s.kind, ParamKind::Plugin(_)));
        for spec in plugin_keys {
            let mut at_values: Vec<(KeyPath, &mut ParamValue)> = Vec::new();
            if let Some(v) = values.get_mut(spec.name) {
                at_values.push((path.key("params").key(spec.name), v));
            }
            for (k, vals) in sweep.iter_mut().filter(|(k, _)| k == spec.name) {
                for (i, v) in vals.iter_mut().enumerate() {
                    at_values.push((path.key("sweep").key(k).index(i), v));
                }
            }
            for (at, value) in at_values {
                if let ParamValue::Text(name) = value {
                    self.warnings.push((
                        at,
                        format!(
                            "`{key}: {name}` is deprecated; write `{key}: {{ plugin: {name} }}` \
                             (the plugin's parameters go beside `plugin:`, see `nonaffine plugins`)",
                            key = spec.name
                        ),
                    ));
                    let map =
                        BTreeMap::from([("plugin".to_string(), ParamValue::Text(name.clone()))]);
                    *value = ParamValue::Map(map);
                }
            }
        }
    }

    /// Top-level keys against the stage's (and its `plugin`'s) parameters;
    /// nested maps with a `plugin:` key against that plugin's parameters.
    fn check_params(
        &mut self,
        info: PluginInfo,
        values: &BTreeMap<String, ParamValue>,
        sweep: &[(String, Vec<ParamValue>)],
        path: &KeyPath,
    ) {
        let params_path = path.key("params");
        let sweep_path = path.key("sweep");
        let mut specs: Vec<ParamSpec> = info.params.to_vec();
        // A stage map with `plugin: X` also takes X's parameters.
        let mut plugin_names: Vec<(KeyPath, String)> = Vec::new();
        if let Some(ParamValue::Text(p)) = values.get("plugin") {
            plugin_names.push((params_path.key("plugin"), p.clone()));
        }
        let swept_plugin = sweep.iter().any(|(k, _)| k == "plugin");
        for (k, vals) in sweep {
            if k == "plugin" {
                for (i, v) in vals.iter().enumerate() {
                    if let ParamValue::Text(p) = v {
                        plugin_names.push((sweep_path.key(k).index(i), p.clone()));
                    }
                }
            }
        }
        let mut required_from_plugin = Vec::new();
        let mut plugins_known = true;
        for (at, name) in &plugin_names {
            match self.plugin(name, at) {
                Some(pinfo) => {
                    for s in pinfo.params {
                        if !specs.iter().any(|x| x.name == s.name) {
                            specs.push(*s);
                            if !swept_plugin {
                                required_from_plugin.push(s.name);
                            }
                        }
                    }
                }
                None => plugins_known = false,
            }
        }
        let swept: BTreeSet<&str> = sweep.iter().map(|(k, _)| k.as_str()).collect();
        let required = |s: &ParamSpec| {
            info.params.iter().any(|x| x.name == s.name) || required_from_plugin.contains(&s.name)
        };
        let missing_at = if values.is_empty() {
            path.clone()
        } else {
            params_path.clone()
        };
        let check = MapCheck {
            owner: info.name,
            specs: &specs,
            report_unknown: plugins_known,
            missing_at,
        };
        self.check_map(&check, values, &swept, &required, &params_path);
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        for (key, vals) in sweep {
            let at = sweep_path.key(key);
            match specs.iter().find(|s| s.name == key) {
                Some(spec) => {
                    for (i, v) in vals.iter().enumerate() {
                        self.check_value(spec, v, &at.index(i));
                    }
                }
                None => self.problem(
                    at.clone(),
                    format!(
                        "stage kind `{}` has no parameter `{key}` to sweep{}; known: {}",
                        info.name,
                        hint(key, &names),
                        names.join(", ")
                    ),
                ),
            }
            if values.contains_key(key) {
                self.problem(
                    at,
                    format!("`{key}` is both set in `params` and swept; keep one"),
                );
            }
        }
    }

    /// Checks one parameter map: unknown keys (a wrong unit suffix or a typo),
    /// value kinds, nested plugin maps, and missing required keys (except one
    /// an unknown key already points at, to say each mistake once).
    fn check_map(
        &mut self,
        check: &MapCheck<'_>,
        map: &BTreeMap<String, ParamValue>,
        also_present: &BTreeSet<&str>,
        required: &dyn Fn(&ParamSpec) -> bool,
        at: &KeyPath,
    ) {
        let names: Vec<&str> = check.specs.iter().map(|s| s.name).collect();
        let mut claimed: Vec<&str> = Vec::new();
        for (key, value) in map
            .iter()
            .filter(|(k, _)| *k != "plugin" || names.contains(&"plugin"))
        {
            match check.specs.iter().find(|s| s.name == key) {
                Some(spec) => self.check_value(spec, value, &at.key(key)),
                None if check.report_unknown => {
                    claimed.extend(
                        wrong_unit(key, check.specs)
                            .map(|s| s.name)
                            .or(nearest(key, &names)),
                    );
                    let full = at.key(key).to_string();
                    let msg = unknown_param(key, &full, check.owner, check.specs);
                    self.problem(at.key(key), msg);
                    self.check_nested_plugins(value, &at.key(key));
                }
                None => self.check_nested_plugins(value, &at.key(key)),
            }
        }
        for spec in check
            .specs
            .iter()
            .filter(|s| required(s) && s.default.is_none())
        {
            let present = map.contains_key(spec.name) || also_present.contains(spec.name);
            if !present && !claimed.contains(&spec.name) {
                let unit = if spec.unit.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", spec.unit)
                };
                self.problem(
                    check.missing_at.clone(),
                    format!(
                        "`{}` needs parameter `{}`{unit}: {}",
                        check.owner, spec.name, spec.doc
                    ),
                );
            }
        }
    }

    /// One value of a known parameter: its kind, then a plugin choice against
    /// its catalog or any nested `plugin:` map against its plugin.
    fn check_value(&mut self, spec: &ParamSpec, value: &ParamValue, at: &KeyPath) {
        self.check_kind(spec, value, at);
        match (spec.kind, value) {
            (ParamKind::Plugin(kind), ParamValue::Map(map)) => {
                self.check_plugin_choice(kind, spec.name, map, at)
            }
            (ParamKind::Plugin(_), _) => {}
            _ => self.check_nested_plugins(value, at),
        }
    }

    /// `key: { plugin: NAME, ... }`: NAME must be in the `kind` catalog and the
    /// other keys its parameters (unknown ones named `<at>.<key>` with the
    /// nearest valid name).
    fn check_plugin_choice(
        &mut self,
        kind: PluginKind,
        key: &str,
        map: &BTreeMap<String, ParamValue>,
        at: &KeyPath,
    ) {
        let infos = self.registry.infos(kind);
        let known: Vec<&str> = infos.iter().map(|i| i.name).collect();
        let info = match map.get("plugin") {
            Some(ParamValue::Text(name)) => match infos.iter().find(|i| i.name == name) {
                Some(i) => *i,
                None => {
                    self.problem(
                        at.key("plugin"),
                        format!(
                            "unknown {} `{name}`{}; known: {}",
                            kind.noun(),
                            hint(name, &known),
                            known.join(", ")
                        ),
                    );
                    return;
                }
            },
            Some(other) => {
                self.problem(
                    at.key("plugin"),
                    format!(
                        "`plugin` must name a {} (text), found {}",
                        kind.noun(),
                        describe(other)
                    ),
                );
                return;
            }
            None => {
                self.problem(
                    at.clone(),
                    format!(
                        "`{key}` needs `plugin: NAME` naming a {} (known: {}), its parameters beside it",
                        kind.noun(),
                        known.join(", ")
                    ),
                );
                return;
            }
        };
        let check = MapCheck {
            owner: info.name,
            specs: info.params,
            report_unknown: true,
            missing_at: at.clone(),
        };
        self.check_map(&check, map, &BTreeSet::new(), &|_| true, at);
    }

    /// The plugin named `name` in any catalog, or a problem at `at`.
    fn plugin(&mut self, name: &str, at: &KeyPath) -> Option<PluginInfo> {
        let infos = self.registry.plugin_infos();
        if let Some(i) = infos.iter().find(|i| i.name == name) {
            return Some(*i);
        }
        let known: Vec<&str> = infos.iter().map(|i| i.name).collect();
        self.problem(
            at.clone(),
            format!(
                "unknown plugin `{name}`{}; known: {}",
                hint(name, &known),
                known.join(", ")
            ),
        );
        None
    }

    /// Every map inside `value` that has `plugin: X` takes X's parameters.
    fn check_nested_plugins(&mut self, value: &ParamValue, at: &KeyPath) {
        match value {
            ParamValue::Map(map) => match map.get("plugin") {
                Some(ParamValue::Text(name)) => {
                    if let Some(info) = self.plugin(name, &at.key("plugin")) {
                        let check = MapCheck {
                            owner: info.name,
                            specs: info.params,
                            report_unknown: true,
                            missing_at: at.clone(),
                        };
                        self.check_map(&check, map, &BTreeSet::new(), &|_| true, at);
                    }
                }
                _ => {
                    for (k, v) in map {
                        self.check_nested_plugins(v, &at.key(k));
                    }
                }
            },
            ParamValue::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.check_nested_plugins(v, &at.index(i));
                }
            }
            _ => {}
        }
    }

    fn check_kind(&mut self, spec: &ParamSpec, value: &ParamValue, at: &KeyPath) {
        let unit = if spec.unit.is_empty() {
            String::new()
        } else {
            format!(" in {}", spec.unit)
        };
        let ok = match (spec.kind, value) {
            (ParamKind::Number, ParamValue::Integer(_) | ParamValue::Number(_)) => true,
            (ParamKind::Integer, ParamValue::Integer(_)) => true,
            (ParamKind::Bool, ParamValue::Bool(_)) => true,
            (ParamKind::Text | ParamKind::Path, ParamValue::Text(_)) => true,
            (ParamKind::Map | ParamKind::Plugin(_), ParamValue::Map(_)) => true,
            (ParamKind::NumberList, ParamValue::Integer(_) | ParamValue::Number(_)) => true,
            (ParamKind::NumberList, ParamValue::List(items)) => items
                .iter()
                .all(|i| matches!(i, ParamValue::Integer(_) | ParamValue::Number(_))),
            (ParamKind::TextList, ParamValue::Text(_)) => true,
            (ParamKind::TextList, ParamValue::List(items)) => {
                items.iter().all(|i| matches!(i, ParamValue::Text(_)))
            }
            _ => false,
        };
        if ok {
            return;
        }
        let want = match spec.kind {
            ParamKind::Number => format!("a number{unit}"),
            ParamKind::Integer => format!("a whole number{unit}"),
            ParamKind::Bool => "true or false".to_string(),
            ParamKind::Text => "text".to_string(),
            ParamKind::Path => "a file path".to_string(),
            ParamKind::NumberList => format!("a list of numbers{unit}"),
            ParamKind::TextList => "a list of names".to_string(),
            ParamKind::Map => "a map".to_string(),
            ParamKind::Plugin(kind) => {
                format!("a {} choice `{{ plugin: NAME, ... }}`", kind.noun())
            }
        };
        let found = match value {
            ParamValue::Text(t) => format!("text `{t}`"),
            // A whole number beyond 64 bits (the YAML reader made it a float).
            ParamValue::Number(x)
                if spec.kind == ParamKind::Integer
                    && x.fract() == 0.0
                    && x.abs() >= -(i64::MIN as f64) =>
            {
                format!(
                    "{x:e}, outside the range of a whole-number key, {}..={} ({at})",
                    i64::MIN,
                    i64::MAX
                )
            }
            ParamValue::Number(x) => format!("{x:?}"),
            other => describe(other).to_string(),
        };
        let advice = match (spec.kind, value) {
            (
                ParamKind::Number | ParamKind::Integer | ParamKind::NumberList,
                ParamValue::Text(t),
            ) => {
                match t.split_whitespace().next().and_then(|n| n.parse::<f64>().ok()) {
                    Some(n) => format!(
                        "; write `{}: {n}` (the unit is fixed by the key name; nothing is converted)",
                        spec.name
                    ),
                    None => String::new(),
                }
            }
            _ => String::new(),
        };
        self.problem(
            at.clone(),
            format!("`{}` must be {want}, found {found}{advice}", spec.name),
        );
    }

    /// Resolves path-valued strings under `value` (key rule or `Path` kind),
    /// checks they exist and records their content hashes.
    fn resolve_paths(
        &mut self,
        key: &str,
        value: &mut ParamValue,
        is_path: bool,
        at: &KeyPath,
        files: &mut Vec<FileRef>,
    ) {
        if is_path || is_path_key(key) {
            match value {
                ParamValue::Text(written) => {
                    if let Some(r) = self.resolve(written, at) {
                        *value = ParamValue::Text(r.resolved.to_string_lossy().into_owned());
                        files.push(r);
                    }
                }
                ParamValue::List(items) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.resolve_paths(key, item, true, &at.index(i), files);
                    }
                }
                other => {
                    let msg = format!(
                        "`{key}` names a file and must be a path (text), found {}",
                        describe(other)
                    );
                    self.problem(at.clone(), msg);
                }
            }
            return;
        }
        match value {
            ParamValue::Map(map) => {
                for (k, v) in map.iter_mut() {
                    self.resolve_paths(k, v, false, &at.key(k), files);
                }
            }
            ParamValue::List(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.resolve_paths(key, item, false, &at.index(i), files);
                }
            }
            _ => {}
        }
    }

    fn resolve(&mut self, written: &str, at: &KeyPath) -> Option<FileRef> {
        let joined = self.base.join(written);
        let resolved = match std::fs::canonicalize(&joined) {
            Ok(p) if p.is_file() => p,
            Ok(p) => {
                self.problem(
                    at.clone(),
                    format!("`{written}` ({}) is not a file", p.display()),
                );
                return None;
            }
            Err(_) => {
                self.problem(
                    at.clone(),
                    format!(
                        "file `{written}` not found (looked for {}; paths are relative to the workflow's folder)",
                        joined.display()
                    ),
                );
                return None;
            }
        };
        let sha256 = match self.hashes.get(&resolved) {
            Some(h) => h.clone(),
            None => match sha256_file(&resolved) {
                Ok(h) => {
                    self.hashes.insert(resolved.clone(), h.clone());
                    h
                }
                Err(e) => {
                    self.problem(at.clone(), format!("cannot read `{written}`: {e}"));
                    return None;
                }
            },
        };
        // `params.potential.file` or `sweep.data_file[1]`: the path below the stage.
        let full = at.to_string();
        let param = full.splitn(3, '.').nth(2).unwrap_or(&full).to_string();
        Some(FileRef {
            param,
            written: written.to_string(),
            resolved,
            sha256,
        })
    }

    fn check_cycles(&mut self, decls: &[StageDecl]) {
        let mut indegree: BTreeMap<&str, usize> =
            decls.iter().map(|d| (d.name.as_str(), 0)).collect();
        for d in decls {
            for i in &d.inputs {
                if indegree.contains_key(i.as_str()) {
                    *indegree.entry(d.name.as_str()).or_default() += 1;
                }
            }
        }
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(k, _)| *k)
            .collect();
        while let Some(done) = ready.pop() {
            indegree.remove(done);
            for d in decls.iter().filter(|d| d.inputs.iter().any(|i| i == done)) {
                if let Some(n) = indegree.get_mut(d.name.as_str()) {
                    *n -= 1;
                    if *n == 0 {
                        ready.push(d.name.as_str());
                    }
                }
            }
        }
        // What is left lies on or behind a cycle: walk inputs until a stage repeats.
        let Some(start) = decls
            .iter()
            .find(|d| indegree.contains_key(d.name.as_str()))
        else {
            return;
        };
        let mut chain: Vec<&str> = vec![start.name.as_str()];
        loop {
            let Some(cur) = decls
                .iter()
                .find(|d| Some(&d.name.as_str()) == chain.last())
            else {
                return;
            };
            let Some(next) = cur
                .inputs
                .iter()
                .find(|i| indegree.contains_key(i.as_str()))
            else {
                return;
            };
            if let Some(pos) = chain.iter().position(|c| c == next) {
                let mut cycle: Vec<&str> = chain[pos..].to_vec();
                cycle.reverse();
                cycle.push(cycle[0]);
                let first = cycle[0].to_string();
                self.problem(
                    KeyPath::default().key("stages").key(&first).key("inputs"),
                    format!(
                        "inputs form a cycle: {}; a stage cannot depend on its own output",
                        cycle.join(" → ")
                    ),
                );
                return;
            }
            chain.push(next);
        }
    }

    /// Each stage's inputs against the upstream kinds it reads
    /// ([`Stage::check_inputs`]), with its parameters at its first sweep point.
    fn check_input_kinds(&mut self, decls: &[StageDecl]) {
        for d in decls {
            let Ok(stage) = self.registry.stage(&d.kind) else {
                continue;
            };
            let kinds: Vec<&str> = d
                .inputs
                .iter()
                .filter_map(|i| decls.iter().find(|x| &x.name == i))
                .map(|x| x.kind.as_str())
                .collect();
            if kinds.len() != d.inputs.len() {
                continue; // an unknown input is reported already
            }
            let mut values = d.params.values().clone();
            for (key, vals) in &d.sweep {
                if let Some(first) = vals.first() {
                    values.insert(key.clone(), first.clone());
                }
            }
            let params = Params::new(d.params.origin(), values);
            let path = KeyPath::default().key("stages").key(&d.name);
            match stage.check_inputs(&params, &kinds) {
                Ok(()) => {}
                Err(e @ InputsError::Unexpected { index, .. }) => {
                    let message = format!("input `{}`: {e}", d.inputs[index]);
                    self.problem(path.key("inputs").index(index), message)
                }
                Err(e) if d.inputs.is_empty() => self.problem(path, e.to_string()),
                Err(e) => self.problem(path.key("inputs"), e.to_string()),
            }
        }
    }

    fn check_gathers(&mut self, decls: &[StageDecl]) {
        for d in decls {
            let Gather::Keys(keys) = &d.gather else {
                continue;
            };
            // Sweep keys of every stage upstream of d.
            let mut upstream: BTreeSet<&str> = BTreeSet::new();
            let mut todo: Vec<&str> = d.inputs.iter().map(String::as_str).collect();
            while let Some(u) = todo.pop() {
                if upstream.insert(u) {
                    if let Some(ud) = decls.iter().find(|x| x.name == u) {
                        todo.extend(ud.inputs.iter().map(String::as_str));
                    }
                }
            }
            let swept: Vec<&str> = decls
                .iter()
                .filter(|x| upstream.contains(x.name.as_str()))
                .flat_map(|x| x.sweep.iter().map(|(k, _)| k.as_str()))
                .collect();
            for (i, k) in keys.iter().enumerate() {
                if !swept.contains(&k.as_str()) {
                    let shown = if swept.is_empty() {
                        "none".to_string()
                    } else {
                        swept.join(", ")
                    };
                    self.problem(
                        KeyPath::default().key("stages").key(&d.name).key("gather").index(i),
                        format!(
                            "cannot gather `{k}`: no upstream stage sweeps it{}; swept upstream: {shown}",
                            hint(k, &swept)
                        ),
                    );
                }
            }
        }
    }
}

fn describe(v: &ParamValue) -> &'static str {
    match v {
        ParamValue::Bool(_) => "a boolean",
        ParamValue::Integer(_) => "an integer",
        ParamValue::Number(_) => "a number",
        ParamValue::Text(_) => "text",
        ParamValue::List(_) => "a list",
        ParamValue::Map(_) => "a map",
    }
}

/// Message for an unknown parameter `key` at key path `full`
/// (`stages.<stage>.params.solver.<key>`): a wrong unit suffix, a typo, or neither.
fn unknown_param(key: &str, full: &str, owner: &str, specs: &[ParamSpec]) -> String {
    if let Some(spec) = wrong_unit(key, specs) {
        return format!(
            "`{key}` has the wrong unit: `{owner}` takes `{}` in {}; convert the value and rename the key (units are never converted silently)",
            spec.name, spec.unit
        );
    }
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    format!(
        "unknown parameter `{full}` of `{owner}`{}; known: {}",
        hint(key, &names),
        names.join(", ")
    )
}

/// The unit-bearing parameter that `key` names with another unit suffix:
/// same leading words, and the differing trailing words are all unit words.
fn wrong_unit<'s>(key: &str, specs: &'s [ParamSpec]) -> Option<&'s ParamSpec> {
    let is_unit = |w: &&str| UNIT_WORDS.contains(w) || w.chars().all(|c| c.is_ascii_digit());
    let words: Vec<&str> = key.split('_').collect();
    specs
        .iter()
        .filter(|s| !s.unit.is_empty())
        .filter_map(|s| {
            let theirs: Vec<&str> = s.name.split('_').collect();
            let common = words
                .iter()
                .zip(&theirs)
                .take_while(|(a, b)| a == b)
                .count();
            let (mine, other) = (&words[common..], &theirs[common..]);
            let unit_only = !mine.is_empty()
                && !other.is_empty()
                && mine.iter().all(is_unit)
                && other.iter().all(is_unit);
            (common > 0 && unit_only).then_some((common, s))
        })
        .max_by_key(|(c, _)| *c)
        .map(|(_, s)| s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const RATE: ParamSpec = ParamSpec {
        name: "cooling_rate_k_per_ps",
        kind: ParamKind::Number,
        unit: "K/ps",
        default: None,
        doc: "cooling rate",
    };

    #[test]
    fn unit_suffix_is_told_apart_from_typo() {
        assert!(wrong_unit("cooling_rate_k_per_s", &[RATE]).is_some());
        assert!(wrong_unit("cooling_rate_k_per_p", &[RATE]).is_none());
        assert!(wrong_unit("heating_rate_k_per_s", &[RATE]).is_none());
        assert!(
            unknown_param("cooling_rate_k_per_p", "x", "quench", &[RATE])
                .contains("did you mean `cooling_rate_k_per_ps`")
        );
    }

    #[test]
    fn path_keys() {
        assert!(is_path_key("file"));
        assert!(is_path_key("reference_file"));
        assert!(is_path_key("data_path"));
        assert!(!is_path_key("profile"));
        assert!(!is_path_key("files"));
    }
}
