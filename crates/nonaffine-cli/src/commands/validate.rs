//! `nonaffine validate`: checks a workflow without running it.

use nonaffine_workflow::{Plan, Workflow};
use std::path::PathBuf;

/// Arguments of `nonaffine validate`.
#[derive(clap::Args)]
pub struct Args {
    /// The workflow file (YAML).
    workflow: PathBuf,
}

/// Prints every problem with its line and column, or the jobs the workflow
/// would run.
pub fn run(args: Args) -> anyhow::Result<()> {
    let registry = nonaffine_registry::registry();
    let workflow = Workflow::load(&args.workflow, &registry).map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in &workflow.warnings {
        eprintln!("warning: {w}");
    }
    let plan = Plan::new(&workflow);
    outln!(
        "{}: valid ({} stages, {} jobs)",
        args.workflow.display(),
        workflow.stages.len(),
        plan.jobs.len()
    );
    for job in &plan.jobs {
        let stage = &workflow.stages[job.stage];
        let branch = if job.branch.is_empty() {
            String::new()
        } else {
            format!(" [{}]", job.branch)
        };
        outln!("  {}{branch} ({})", stage.name, stage.kind);
    }
    Ok(())
}
