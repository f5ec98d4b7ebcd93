//! Documentation that runs: every YAML example of `workflows/README.md` is
//! validated and run at tiny size, and every command of `README.md`'s
//! "Commands" list is run on tiny inputs through the built `nonaffine` binary,
//! so no example can rot. Both lists are read from the documents themselves: an
//! example or a command added there without a way to run it here fails.
//!
//! Needs the LAMMPS worker: `cargo build -p nonaffine-lammps --bins`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cuzr_file;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An empty scratch folder of this test binary.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("docs-{name}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `nonaffine <args>`, asserting exit code 0; returns stdout.
fn ok(args: &[&str]) -> String {
    let (command, rest) = args.split_first().unwrap();
    let (success, stdout, stderr) = common::run(command, rest);
    assert!(
        success,
        "`nonaffine {}` failed:\n{stderr}\n{stdout}",
        args.join(" ")
    );
    stdout
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The ```yaml blocks of a markdown text with the 1-based line of each fence.
fn yaml_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in markdown.lines().enumerate() {
        match open.as_mut() {
            None if line.trim_start() == "```yaml" => open = Some((n + 1, String::new())),
            None => {}
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(open.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an unclosed ```yaml block");
    blocks
}

/// A documented workflow at tiny size: 32 atoms quenched at 2000 K/ps (about
/// a second of MD). Every other value stays as documented.
fn tiny(yaml: &str) -> String {
    let mut out = String::new();
    for line in yaml.lines() {
        let mut line = line.to_string();
        for (key, value) in [("n_atoms", "32"), ("cooling_rate_k_per_ps", "2000")] {
            let pattern = format!("{key}: ");
            if let Some(at) = line.find(&pattern) {
                let start = at + pattern.len();
                let end = line[start..]
                    .find([',', '}', ' ', '#'])
                    .map_or(line.len(), |k| start + k);
                line.replace_range(start..end, value);
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn tiny_changes_only_the_size_keys() {
    assert_eq!(
        tiny("  n_atoms: 500\n  b: { n_atoms: 7, cooling_rate_k_per_ps: 1.5 }\n  c: 1 # n\n"),
        "  n_atoms: 32\n  b: { n_atoms: 32, cooling_rate_k_per_ps: 2000 }\n  c: 1 # n\n"
    );
}

/// Each example is a whole workflow; written into a `workflows/` folder beside
/// the repository's `vendor/` (so `../vendor/...` paths resolve as documented),
/// it validates as written and runs at tiny size, every job computed.
#[test]
fn every_yaml_example_of_the_workflows_readme_validates_and_runs_tiny() {
    let doc = repo().join("workflows/README.md");
    let blocks = yaml_blocks(&std::fs::read_to_string(&doc).unwrap());
    assert!(!blocks.is_empty(), "no ```yaml block in {}", doc.display());
    let root = scratch("workflows-readme");
    std::os::unix::fs::symlink(repo().join("vendor"), root.join("vendor")).unwrap();
    std::fs::create_dir_all(root.join("workflows")).unwrap();
    for (line, yaml) in blocks {
        let at = format!("workflows/README.md:{line}");
        assert!(
            yaml.lines().any(|l| l.starts_with("stages:")),
            "{at}: a ```yaml example must be a whole workflow (`name:`, `stages:`) so that it can be run; \
             show a fragment inside one"
        );
        let file = root.join(format!("workflows/example-{line}.yaml"));
        std::fs::write(&file, &yaml).unwrap();
        let out = ok(&["validate", text(&file)]);
        assert!(out.contains(": valid ("), "{at}: {out}");

        let small = root.join(format!("workflows/example-{line}-tiny.yaml"));
        std::fs::write(&small, tiny(&yaml)).unwrap();
        let run = root.join(format!("runs/example-{line}"));
        let out = ok(&["run", text(&small), "--out", text(&run), "--no-store"]);
        assert!(
            out.contains(", 0 from cache") && !out.contains("failed"),
            "{at}: {out}"
        );
        assert!(run.join("report.md").is_file(), "{at}: no report.md");
    }
}

/// `nonaffine NAME` (and `snapshot accept|check`) of every command line in the
/// fenced blocks of README.md's "Commands" section, in order.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("\n## Commands\n")
        .expect("README.md has a `## Commands` section");
    let section = &readme[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |k| k + 1)];
    let mut fenced = false;
    let mut out = Vec::new();
    for line in section.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if fenced && words.first() == Some(&"nonaffine") {
            let mut name = words[1].to_string();
            if name == "snapshot" {
                name = format!("snapshot {}", words[2]);
            }
            out.push(name);
        }
    }
    out
}

/// The subcommands `nonaffine --help` lists.
fn cli_commands() -> BTreeSet<String> {
    let help = ok(&["--help"]);
    let list = &help[help.find("Commands:").unwrap()..help.find("Options:").unwrap()];
    list.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn close(a: &serde_json::Value, want: f64, tol: f64) -> bool {
    a.as_f64().is_some_and(|x| (x - want).abs() <= tol)
}

/// A cheap workflow for the workflow commands: a kernel and a reference stage.
const WORKFLOW: &str = "name: docs
stages:
  kernel:
    stage: kernel
    params: { plugin: stretched-exp, nu0: 0.137, b: 0.72, r: 1.2e-6 }
  reference:
    stage: reference
    params: { file: reference.yaml, points: 11 }
";

/// Runs each command of README.md's list with tiny inputs and checks its
/// output against something it must be (closed forms where there are some);
/// the list must name exactly the binary's subcommands.
#[test]
fn every_command_of_the_readme_runs_on_tiny_inputs() {
    let listed = readme_commands();
    let dir = scratch("commands");
    let potential = cuzr_file();
    let mut ran: Vec<&str> = Vec::new();

    // Tools with closed forms at β = 1: ∫₀^∞ e^{−t} cos ωt dt = 1/(1+ω²), sin: ω/(1+ω²).
    let v = json(&ok(&["kww", "--beta", "1", "--omega", "1,2"]));
    assert!(
        close(&v[1]["cos"], 0.2, 1e-12) && close(&v[1]["sin"], 0.4, 1e-12),
        "{v}"
    );
    ran.push("kww");
    let v = json(&ok(&[
        "kernel",
        "--plugin",
        "markovian",
        "--param",
        "nu0=0.137",
        "--omega",
        "1,10",
    ]));
    assert!(
        close(&v[1]["nu1"], 0.137, 1e-15) && close(&v[1]["nu2"], 0.0, 1e-15),
        "{v}"
    );
    ran.push("kernel");
    // Debye relaxation: E' = (ωτ)²/(1+(ωτ)²), E'' = ωτ/(1+(ωτ)²).
    let v = json(&ok(&[
        "kohlrausch",
        "--beta",
        "1",
        "--tau",
        "1",
        "--omega",
        "2",
    ]));
    assert!(
        close(&v[0]["storage"], 0.8, 1e-12) && close(&v[0]["loss"], 0.4, 1e-12),
        "{v}"
    );
    ran.push("kohlrausch");
    let out = ok(&["plugins"]);
    assert!(
        out.contains("quench") && out.contains("stretched-exp"),
        "{out}"
    );
    let v = json(&ok(&["plugins", "--json"]));
    let stages: Vec<&str> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for stage in [
        "quench",
        "hessian",
        "spectrum",
        "kernel",
        "reference",
        "response",
    ] {
        assert!(stages.contains(&stage), "{stage} not in {stages:?}");
    }
    ran.push("plugins");

    // One stage alone: a 32-atom glass, its Hessian and spectrum.
    let protocol = dir.join("protocol.yaml");
    std::fs::write(
        &protocol,
        format!(
            "potential: {{ plugin: eam/fs, file: {}, elements: [Cu, Zr] }}\nn_atoms: 32\n\
             composition: {{ Cu: 0.5, Zr: 0.5 }}\nmelt_time_ps: 1\ncooling_rate_k_per_ps: 2000\n\
             capture_temperatures_k: [670]\nstress_tolerance_bar: 20\n",
            potential.display()
        ),
    )
    .unwrap();
    let glass = dir.join("glass");
    ok(&["quench", text(&protocol), "--out", text(&glass)]);
    let data = glass.join("glass_T670K_s0.data");
    assert!(data.is_file(), "quench wrote no {}", data.display());
    ran.push("quench");

    let xyz = dir.join("glass.xyz");
    let back = dir.join("back.data");
    ok(&["convert", text(&data), text(&xyz), "--elements", "Cu,Zr"]);
    ok(&["convert", text(&xyz), text(&back)]);
    assert!(std::fs::read_to_string(&back).unwrap().contains("32 atoms"));
    ran.push("convert");

    // The quench minimized the glass (LAMMPS): our forces on it (read back from
    // the extended XYZ) are ~0.
    let v = json(&ok(&[
        "forces",
        "--potential",
        text(&potential),
        "--elements",
        "Cu,Zr",
        "--structure",
        text(&xyz),
    ]));
    let forces = v["forces_ev_per_angstrom"].as_array().unwrap();
    assert_eq!(forces.len(), 32);
    let fmax = forces
        .iter()
        .flat_map(|f| f.as_array().unwrap())
        .map(|x| x.as_f64().unwrap().abs())
        .fold(0.0, f64::max);
    assert!(
        fmax < 1e-6,
        "largest force {fmax} eV/Å on a minimized glass"
    );
    ran.push("forces");

    let hessian = dir.join("hessian");
    ok(&[
        "hessian",
        "--potential",
        text(&potential),
        "--elements",
        "Cu,Zr",
        "--structure",
        text(&data),
        "--out",
        text(&hessian),
    ]);
    assert!(hessian.join("hessian.mtx").is_file() && hessian.join("xi.csv").is_file());
    ran.push("hessian");

    let spectrum = dir.join("spectrum");
    ok(&[
        "spectrum",
        "--hessian",
        text(&hessian),
        "--out",
        text(&spectrum),
        "-p",
        "plots=false",
    ]);
    let v: serde_json::Value =
        json(&std::fs::read_to_string(spectrum.join("spectrum.json")).unwrap());
    assert_eq!(
        v["zero_modes"], 3,
        "three translations of a periodic solid: {v}"
    );
    ran.push("spectrum");

    // Workflows: validate, run twice, compare, snapshot, verify.
    let workflow = dir.join("docs.yaml");
    std::fs::write(&workflow, WORKFLOW).unwrap();
    std::fs::copy(
        repo().join("vendor/reference/cu50zr50-kohlrausch.yaml"),
        dir.join("reference.yaml"),
    )
    .unwrap();
    let out = ok(&["validate", text(&workflow)]);
    assert!(out.contains("valid (2 stages, 2 jobs)"), "{out}");
    ran.push("validate");
    let (run_a, run_b) = (dir.join("runs/a"), dir.join("runs/b"));
    let out = ok(&[
        "run",
        text(&workflow),
        "--out",
        text(&run_a),
        "--explain",
        "-j",
        "2",
    ]);
    assert!(out.contains("2 ran"), "{out}");
    let out = ok(&["run", text(&workflow), "--out", text(&run_b), "--no-store"]);
    assert!(out.contains("2 ran"), "{out}");
    ran.push("run");
    ok(&["diff", text(&run_a), text(&run_b)]);
    ran.push("diff");
    let reference = dir.join("snapshot");
    ok(&["snapshot", "accept", text(&run_a), text(&reference)]);
    assert!(reference.join("summaries.yaml").is_file());
    ran.push("snapshot accept");
    ok(&["snapshot", "check", text(&run_b), text(&reference)]);
    ran.push("snapshot check");
    ok(&["verify", text(&run_a)]);
    ran.push("verify");

    let listed_set: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    let ran_set: BTreeSet<&str> = ran.iter().copied().collect();
    assert_eq!(
        listed_set, ran_set,
        "README.md's Commands list and the commands this test runs differ: give a new command a case here"
    );
    let top: BTreeSet<String> = listed
        .iter()
        .map(|c| c.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        top,
        cli_commands(),
        "README.md's Commands list and `nonaffine --help` differ"
    );
}
