//! A content-addressed store of finished stage outputs shared between run
//! folders and workflows.
//!
//! `<store>/<key>/` holds one finished job's files, exactly as the run folder
//! had them. A job whose key is in the store is not recomputed in another run
//! folder or another workflow: its files are copied into place, after the
//! entry is checked against the sizes and SHA-256 its `stage.json` recorded
//! (a damaged entry is not used and is replaced by the next computed copy).
//! Entries are written to a `.tmp-` folder and renamed, so a killed run
//! leaves no half entry.
//!
//! **Copies, not hard links.** With hard links an edit in one run folder
//! changed the store and every other run folder that shared the inode
//! (permissions do not stop root). Copies keep the damage in the folder where
//! it was made; the hashes find it there and the store restores it. Measured
//! on the quick workflow's outputs (151 files, 108 MB, six 17.8 MB Hessians,
//! ext4, which has no reflinks; `std::fs::copy` uses copy_file_range, which
//! reflinks on btrfs/XFS): copy 0.05-0.23 s, hard link < 0.01 s, hashing
//! all 0.37 s; a copy costs the disk space once more per run folder. Copies
//! keep the modification time, so the size + mtime fast check holds.

use crate::cache::{verify_outputs, StageRecord, Verify};
use crate::error::RunError;
use crate::lock::{temporary_owner, temporary_tag};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The store's root folder.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    root: PathBuf,
}

/// Copies every file under `from` into `to` (which must not exist), keeping
/// modification times.
fn copy_tree(from: &Path, to: &Path) -> Result<(), RunError> {
    std::fs::create_dir_all(to).map_err(|e| RunError::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| RunError::io(from, e))? {
        let entry = entry.map_err(|e| RunError::io(from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| RunError::io(&dst, e))?;
            let modified = std::fs::metadata(&src)
                .and_then(|m| m.modified())
                .map_err(|e| RunError::io(&src, e))?;
            std::fs::File::options()
                .write(true)
                .open(&dst)
                .and_then(|f| f.set_modified(modified))
                .map_err(|e| RunError::io(&dst, e))?;
        }
    }
    Ok(())
}

/// The entry's record when it is whole: a readable `stage.json` with this
/// key and output hashes, and files that match them ([`Verify::Fast`]).
/// Damage is logged, naming each file.
fn intact(entry: &Path, key: &str) -> Option<StageRecord> {
    let text = std::fs::read_to_string(entry.join("stage.json")).ok()?;
    let record: StageRecord = serde_json::from_str(&text).ok()?;
    if record.key != key {
        return None;
    }
    let Some(outputs) = &record.outputs else {
        tracing::warn!(
            "store entry {} has no output hashes (older nonaffine): not reused",
            entry.display()
        );
        return None;
    };
    let damaged = verify_outputs(entry, outputs, Verify::Fast);
    if damaged.is_empty() {
        Some(record)
    } else {
        tracing::warn!(
            "store entry damaged, not reused (the job is recomputed and the entry replaced): {}",
            damaged.join("; ")
        );
        None
    }
}

impl Store {
    /// A store rooted at `root` (created on first use).
    pub(crate) fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Deletes `.tmp-` entries left by runs of this host that died while
    /// storing (another host's cannot be judged from here).
    pub(crate) fn remove_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if temporary_owner(&name).is_some_and(|o| o.is_gone()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// The entry's record when the store holds `key` and its files are intact.
    pub(crate) fn lookup(&self, key: &str) -> Option<StageRecord> {
        intact(&self.root.join(key), key)
    }

    /// Copies the entry of `record` (found by [`Store::lookup`]) into the new
    /// folder `tmp`, with its `stage.json` rewritten for the job (`stage`,
    /// `branch`) that takes it.
    pub(crate) fn fetch(
        &self,
        mut record: StageRecord,
        tmp: &Path,
        stage: &str,
        branch: &str,
    ) -> Result<StageRecord, RunError> {
        copy_tree(&self.root.join(&record.key), tmp)?;
        record.stage = stage.to_string();
        record.branch = branch.to_string();
        let path = tmp.join("stage.json");
        let text = serde_json::to_string_pretty(&record).map_err(|e| RunError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        std::fs::write(&path, text).map_err(|e| RunError::io(&path, e))?;
        Ok(record)
    }

    /// Adds the finished folder `dir` under `key` unless the store has it
    /// intact (a damaged or unverifiable entry is replaced).
    pub(crate) fn put(&self, key: &str, dir: &Path, counter: &AtomicUsize) -> Result<(), RunError> {
        let entry = self.root.join(key);
        if intact(&entry, key).is_some() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.root).map_err(|e| RunError::io(&self.root, e))?;
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self.root.join(format!("{key}.tmp-{}", temporary_tag(n)));
        copy_tree(dir, &tmp)?;
        if entry.exists() {
            // A broken entry (damaged, or no stage.json): replace it.
            std::fs::remove_dir_all(&entry).map_err(|e| RunError::io(&entry, e))?;
        }
        match std::fs::rename(&tmp, &entry) {
            Ok(()) => Ok(()),
            // Another run stored the same key first: theirs is as good.
            Err(_) if intact(&entry, key).is_some() => {
                std::fs::remove_dir_all(&tmp).map_err(|e| RunError::io(&tmp, e))
            }
            Err(e) => Err(RunError::io(&entry, e)),
        }
    }
}
