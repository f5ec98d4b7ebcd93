//! What a run reports while it goes: an [`Observer`] gets each job's start
//! (and hands the stage a [`Progress`] sink) and end. [`Bars`] draws one
//! indicatif bar per running stage; [`Quiet`] draws nothing. Either way the
//! runner also logs each event through `tracing`.

use crate::run::StageOutcome;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use nonaffine_core::{NoProgress, Progress};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Receives a run's events.
pub trait Observer: Sync {
    /// The run will go through `jobs` jobs (cached or not).
    fn planned(&self, _jobs: usize) {}
    /// A job starts running; `label` is `stage` or `stage [branch]`.
    /// The returned sink is handed to the stage and dropped when it returns.
    fn started(&self, label: &str) -> Box<dyn Progress + '_>;
    /// A job is done, run or taken from the cache.
    fn finished(&self, _outcome: &StageOutcome) {}
}

/// Draws nothing (tests, `--quiet`).
pub struct Quiet;

impl Observer for Quiet {
    fn started(&self, _label: &str) -> Box<dyn Progress + '_> {
        Box::new(NoProgress)
    }
}

/// One bar per running stage with its ETA, plus an overall stage count, on
/// stderr. indicatif hides every bar when stderr is not a terminal; the
/// runner's `tracing` lines still say what happens.
pub struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Bars {
    /// Bars on stderr.
    pub fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(style(
            "{prefix:.bold} [{bar:30}] {pos}/{len} stages, {elapsed}",
        ));
        overall.set_prefix("workflow");
        Self { multi, overall }
    }

    /// The underlying [`MultiProgress`], so that log output can be printed
    /// above the bars (`MultiProgress::suspend`).
    pub fn multi(&self) -> &MultiProgress {
        &self.multi
    }
}

impl Observer for Bars {
    fn planned(&self, jobs: usize) {
        self.overall.set_length(jobs as u64);
    }

    fn started(&self, label: &str) -> Box<dyn Progress + '_> {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(style("{spinner} {prefix} {msg} ({elapsed})"));
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Box::new(Bar {
            bar,
            label: label.to_string(),
            last_line: Mutex::new(Instant::now()),
        })
    }

    fn finished(&self, _outcome: &StageOutcome) {
        self.overall.inc(1);
        if self.overall.position() >= self.overall.length().unwrap_or(0) {
            self.overall.finish_and_clear();
        }
    }
}

/// Seconds between two status lines when the bars are hidden.
const LINE_EVERY: Duration = Duration::from_secs(10);

/// A running stage's bar: a spinner until the stage says how much work it has.
/// When stderr is not a terminal (indicatif hides the bar) a stage that runs
/// longer than [`LINE_EVERY`] prints its status as a line that often instead.
struct Bar {
    bar: ProgressBar,
    label: String,
    last_line: Mutex<Instant>,
}

impl Bar {
    fn line_if_due(&self) {
        if !self.bar.is_hidden() {
            return;
        }
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() < LINE_EVERY {
            return;
        }
        *last = Instant::now();
        let count = match self.bar.length() {
            Some(total) => format!(" {}/{total}", self.bar.position()),
            None => String::new(),
        };
        eprintln!(
            "{}:{count} {} ({:.0} s)",
            self.label,
            self.bar.message(),
            self.bar.elapsed().as_secs_f64()
        );
    }
}

impl Progress for Bar {
    fn set_total(&self, total: u64) {
        if self.bar.length() != Some(total) {
            self.bar.set_length(total);
            self.bar
                .set_style(style("  {prefix} [{bar:30}] {pos}/{len} {msg} (ETA {eta})"));
        }
    }
    fn set_position(&self, done: u64) {
        self.bar.set_position(done);
        self.line_if_due();
    }
    fn message(&self, text: &str) {
        self.bar.set_message(text.to_string());
        self.line_if_due();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
