//! The stage graph expanded into jobs: one per stage and sweep point.
//!
//! A sweep point is a set of coordinates (swept key of one stage → value). A
//! stage's points are the natural join of its inputs' points (branches that
//! agree on every shared coordinate combine; independent sweeps multiply),
//! minus the coordinates it gathers, times its own sweep. So a stage fed by a
//! swept glass runs once per glass, and two inputs descended from the same
//! glass stay paired rather than crossed.

use crate::workflow::{is_path_key, Gather, Workflow};
use nonaffine_core::ParamValue;

/// One swept key of one stage.
#[derive(Clone, Debug)]
struct Coord {
    /// Key name, qualified as `stage.key` when two stages sweep the same key.
    label: String,
    /// The swept key.
    key: String,
}

/// A sweep point: (coordinate index, value), sorted by coordinate.
type Point = Vec<(usize, ParamValue)>;

/// One run of one stage at one sweep point.
#[derive(Clone, Debug)]
pub struct Job {
    /// Index of the stage in [`Workflow::stages`].
    pub stage: usize,
    /// Sweep point label (`seed=1`, `seed=1,b=0.5`), empty when not swept.
    pub branch: String,
    /// Folder name of the branch: the label made file-safe, `_` when empty.
    pub dir_name: String,
    /// This stage's own swept values at this point, in sweep order.
    pub sweep: Vec<(String, ParamValue)>,
    /// For each declared input in order, the upstream jobs it receives
    /// (one, or all matching branches when gathering). Indices into [`Plan::jobs`].
    pub inputs: Vec<Vec<usize>>,
    point: Point,
}

/// All jobs of a workflow, upstream before downstream.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Jobs in run order.
    pub jobs: Vec<Job>,
    /// Stage indices in topological order (file order where free).
    pub order: Vec<usize>,
}

fn consistent(a: &Point, b: &Point) -> bool {
    b.iter()
        .all(|(c, v)| a.iter().all(|(c2, v2)| c2 != c || v2 == v))
}

fn merged(a: &Point, b: &Point) -> Point {
    let mut out = a.clone();
    for item in b {
        if !out.iter().any(|(c, _)| *c == item.0) {
            out.push(item.clone());
        }
    }
    out.sort_by_key(|(c, _)| *c);
    out
}

/// Short text of a swept value for labels (`670`, `0.5`, `CuZr_mm.eam.fs`).
fn show(key: &str, v: &ParamValue) -> String {
    match v {
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Integer(i) => i.to_string(),
        ParamValue::Number(x) => x.to_string(),
        ParamValue::Text(t) if is_path_key(key) => std::path::Path::new(t)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| t.clone()),
        ParamValue::Text(t) => t.clone(),
        ParamValue::List(items) => {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| show(key, i))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
        // A plugin chosen without parameters reads as its name (`solver=dense`),
        // as the deprecated text form did.
        ParamValue::Map(m) if m.len() == 1 && m.contains_key("plugin") => show(key, &m["plugin"]),
        ParamValue::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", show(k, v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// The folder-name part of one swept value (`seed=1`).
pub(crate) fn folder_of(key: &str, v: &ParamValue) -> String {
    dir_name(&format!("{key}={}", show(key, v)))
}

/// Label text made safe as a folder name.
fn dir_name(label: &str) -> String {
    if label.is_empty() {
        return "_".to_string();
    }
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "=,.-+_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Plan {
    /// Expands a validated workflow into jobs.
    pub fn new(workflow: &Workflow) -> Plan {
        let order = topological(workflow);
        let mut coords: Vec<Coord> = Vec::new();
        for &s in &order {
            for (key, _) in &workflow.stages[s].sweep {
                coords.push(Coord {
                    label: key.clone(),
                    key: key.clone(),
                });
            }
        }
        let mut stage_of_coord = Vec::new();
        for &s in &order {
            for _ in &workflow.stages[s].sweep {
                stage_of_coord.push(s);
            }
        }
        for i in 0..coords.len() {
            if coords.iter().filter(|c| c.key == coords[i].key).count() > 1 {
                coords[i].label = format!(
                    "{}.{}",
                    workflow.stages[stage_of_coord[i]].name, coords[i].key
                );
            }
        }

        let mut jobs: Vec<Job> = Vec::new();
        let mut jobs_of: Vec<Vec<usize>> = vec![Vec::new(); workflow.stages.len()];
        let mut next_coord = 0;
        for &s in &order {
            let decl = &workflow.stages[s];
            let inputs: Vec<usize> = decl
                .inputs
                .iter()
                .filter_map(|n| workflow.index_of(n))
                .collect();
            let mut rows: Vec<Point> = vec![Vec::new()];
            for &u in &inputs {
                rows = rows
                    .iter()
                    .flat_map(|r| {
                        jobs_of[u]
                            .iter()
                            .filter(|&&j| consistent(r, &jobs[j].point))
                            .map(|&j| merged(r, &jobs[j].point))
                            .collect::<Vec<_>>()
                    })
                    .collect();
            }
            match &decl.gather {
                Gather::None => {}
                Gather::All => rows = vec![Vec::new()],
                Gather::Keys(keys) => {
                    for r in &mut rows {
                        r.retain(|(c, _)| !keys.contains(&coords[*c].key));
                    }
                }
            }
            let mut unique: Vec<Point> = Vec::new();
            for r in rows {
                if !unique.contains(&r) {
                    unique.push(r);
                }
            }
            let mut rows = unique;
            for (_, values) in &decl.sweep {
                let c = next_coord;
                next_coord += 1;
                rows = rows
                    .iter()
                    .flat_map(|r| values.iter().map(move |v| merged(r, &vec![(c, v.clone())])))
                    .collect();
            }
            for point in rows {
                let job_inputs: Vec<Vec<usize>> = inputs
                    .iter()
                    .map(|&u| {
                        jobs_of[u]
                            .iter()
                            .copied()
                            .filter(|&j| consistent(&point, &jobs[j].point))
                            .collect()
                    })
                    .collect();
                let branch = point
                    .iter()
                    .map(|(c, v)| format!("{}={}", coords[*c].label, show(&coords[*c].key, v)))
                    .collect::<Vec<_>>()
                    .join(",");
                let sweep = decl
                    .sweep
                    .iter()
                    .filter_map(|(key, _)| {
                        point
                            .iter()
                            .find(|(c, _)| stage_of_coord[*c] == s && coords[*c].key == *key)
                            .map(|(_, v)| (key.clone(), v.clone()))
                    })
                    .collect();
                jobs_of[s].push(jobs.len());
                jobs.push(Job {
                    stage: s,
                    dir_name: dir_name(&branch),
                    branch,
                    sweep,
                    inputs: job_inputs,
                    point,
                });
            }
        }
        Plan { jobs, order }
    }

    /// Stage indices of `roots` and everything downstream of them.
    pub fn descendants(workflow: &Workflow, roots: &[usize]) -> Vec<usize> {
        let mut out: Vec<usize> = roots.to_vec();
        let mut i = 0;
        while i < out.len() {
            let name = &workflow.stages[out[i]].name;
            for (s, d) in workflow.stages.iter().enumerate() {
                if d.inputs.contains(name) && !out.contains(&s) {
                    out.push(s);
                }
            }
            i += 1;
        }
        out
    }
}

/// Stages in dependency order, ties broken by file order. The workflow is
/// validated acyclic; a cycle would only end the walk early.
fn topological(workflow: &Workflow) -> Vec<usize> {
    let mut done: Vec<usize> = Vec::new();
    while done.len() < workflow.stages.len() {
        let next = workflow.stages.iter().enumerate().find(|(s, d)| {
            !done.contains(s)
                && d.inputs
                    .iter()
                    .all(|n| workflow.index_of(n).is_some_and(|u| done.contains(&u)))
        });
        match next {
            Some((s, _)) => done.push(s),
            None => break,
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_safe_folder_names() {
        assert_eq!(dir_name(""), "_");
        assert_eq!(dir_name("seed=1,b=0.5"), "seed=1,b=0.5");
        assert_eq!(dir_name("plugin=eam/fs"), "plugin=eam_fs");
        assert_eq!(show("file", &ParamValue::Text("/a/b/c.fs".into())), "c.fs");
        assert_eq!(show("t", &ParamValue::Number(670.0)), "670");
        let plugin = |n: &str| ("plugin".to_string(), ParamValue::Text(n.into()));
        let bare = ParamValue::Map([plugin("dense")].into());
        assert_eq!(show("solver", &bare), "dense");
        let with =
            ParamValue::Map([plugin("lanczos"), ("steps".into(), ParamValue::Integer(6))].into());
        assert_eq!(show("solver", &with), "{plugin:lanczos steps:6}");
    }
}
