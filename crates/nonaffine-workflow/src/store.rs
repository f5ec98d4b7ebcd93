//! A content-addressed store of finished stage outputs shared between run
//! folders and workflows.
//!
//! `<store>/<key>/` holds one finished job's files, exactly as the run folder
//! had them. A job whose key is in the store is not recomputed in another run
//! folder or another workflow: its files are hard-linked (copied where links
//! are impossible) into place. Outputs are never edited after they are
//! written, so sharing inodes is safe. Entries are written to a `.tmp-` folder
//! and renamed, so a killed run leaves no half entry.

use crate::cache::StageRecord;
use crate::error::RunError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The store's root folder.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    root: PathBuf,
}

/// Hard-links (or copies) every file under `from` into `to`, which must not exist.
fn link_tree(from: &Path, to: &Path) -> Result<(), RunError> {
    std::fs::create_dir_all(to).map_err(|e| RunError::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| RunError::io(from, e))? {
        let entry = entry.map_err(|e| RunError::io(from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            link_tree(&src, &dst)?;
        } else if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst).map_err(|e| RunError::io(&dst, e))?;
        }
    }
    Ok(())
}

impl Store {
    /// A store rooted at `root` (created on first use).
    pub(crate) fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Deletes `.tmp-` entries left by runs that died while storing.
    pub(crate) fn remove_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.split(".tmp-").nth(1) else {
                continue;
            };
            let pid = rest.split('-').next().unwrap_or_default();
            let ours = pid == std::process::id().to_string();
            if !ours && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// The entry's record when the store holds `key`.
    pub(crate) fn lookup(&self, key: &str) -> Option<StageRecord> {
        let text = std::fs::read_to_string(self.root.join(key).join("stage.json")).ok()?;
        let record: StageRecord = serde_json::from_str(&text).ok()?;
        (record.key == key).then_some(record)
    }

    /// Links the entry of `record` (found by [`Store::lookup`]) into the new
    /// folder `tmp`, with its `stage.json` rewritten for the job (`stage`,
    /// `branch`) that takes it.
    pub(crate) fn fetch(
        &self,
        mut record: StageRecord,
        tmp: &Path,
        stage: &str,
        branch: &str,
    ) -> Result<StageRecord, RunError> {
        link_tree(&self.root.join(&record.key), tmp)?;
        record.stage = stage.to_string();
        record.branch = branch.to_string();
        let path = tmp.join("stage.json");
        // Replace the link, not the shared file.
        std::fs::remove_file(&path).map_err(|e| RunError::io(&path, e))?;
        let text = serde_json::to_string_pretty(&record).map_err(|e| RunError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        std::fs::write(&path, text).map_err(|e| RunError::io(&path, e))?;
        Ok(record)
    }

    /// Adds the finished folder `dir` under `key` unless the store has it.
    pub(crate) fn put(&self, key: &str, dir: &Path, counter: &AtomicUsize) -> Result<(), RunError> {
        let entry = self.root.join(key);
        if entry.join("stage.json").is_file() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.root).map_err(|e| RunError::io(&self.root, e))?;
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join(format!("{key}.tmp-{}-{n}", std::process::id()));
        link_tree(dir, &tmp)?;
        if entry.exists() {
            // A broken entry (no stage.json): replace it.
            std::fs::remove_dir_all(&entry).map_err(|e| RunError::io(&entry, e))?;
        }
        match std::fs::rename(&tmp, &entry) {
            Ok(()) => Ok(()),
            // Another run stored the same key first: theirs is as good.
            Err(_) if entry.join("stage.json").is_file() => {
                std::fs::remove_dir_all(&tmp).map_err(|e| RunError::io(&tmp, e))
            }
            Err(e) => Err(RunError::io(&entry, e)),
        }
    }
}
