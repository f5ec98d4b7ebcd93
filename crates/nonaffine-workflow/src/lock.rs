//! Who owns a run folder and a temporary name, on a file system that several
//! hosts may share (NFS on a cluster).
//!
//! The run folder's `.lock` is created with `O_CREAT | O_EXCL` (atomic on
//! local file systems and on NFS v3 and later, where the server decides) and
//! holds `pid@host`. A lock of a process that is gone is taken over only when
//! the process was on this host, where `/proc` can tell; a lock from another
//! host is reported with that host's name, for the user to judge; a stale
//! lock is renamed aside before it is removed (renames are atomic on NFS
//! too), so a run that took it over meanwhile keeps it. The store's
//! temporary entries carry the same `pid@host`, so a run cleaning up after a
//! crash removes only what dead processes of its own host left.

use crate::error::RunError;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// A process on a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pid: u32,
    host: String,
}

/// This machine's host name (the kernel's), or `localhost` if unreadable.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl Owner {
    /// This process.
    pub(crate) fn this() -> Self {
        Self {
            pid: std::process::id(),
            host: this_host(),
        }
    }

    /// `pid@host`; a bare `pid` (as older versions wrote) is on this host.
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (pid, host) = match text.split_once('@') {
            Some((pid, host)) => (pid, host.to_string()),
            None => (text, this_host()),
        };
        Some(Self {
            pid: pid.parse().ok()?,
            host,
        })
    }

    fn on_this_host(&self) -> bool {
        self.host == this_host()
    }

    /// Whether the process is running: None when it is on another host.
    fn alive(&self) -> Option<bool> {
        self.on_this_host()
            .then(|| Path::new("/proc").join(self.pid.to_string()).exists())
    }

    /// Whether this owner is a process of this host that has ended.
    pub(crate) fn is_gone(&self) -> bool {
        self.alive() == Some(false)
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.pid, self.host)
    }
}

/// The part of a temporary name that says who wrote it and which of its
/// temporaries it is: `pid-n@host`.
pub(crate) fn temporary_tag(n: usize) -> String {
    let me = Owner::this();
    format!("{}-{n}@{}", me.pid, me.host)
}

/// The owner recorded in a temporary name `…​.tmp-pid-n@host` (or the older
/// `….tmp-pid-n`, of this host); None when the name has no `.tmp-` tag.
pub(crate) fn temporary_owner(name: &str) -> Option<Owner> {
    let tag = name.split(".tmp-").nth(1)?;
    let (numbers, host) = match tag.split_once('@') {
        Some((numbers, host)) => (numbers, host.to_string()),
        None => (tag, this_host()),
    };
    let pid = numbers.split('-').next()?.parse().ok()?;
    Some(Owner { pid, host })
}

/// The run folder's lock; removed when dropped, if it is still ours.
#[derive(Debug)]
pub(crate) struct RunLock(PathBuf);

impl Drop for RunLock {
    fn drop(&mut self) {
        release_if_ours(&self.0);
    }
}

/// Removes the lock file `path` if this process holds it.
pub(crate) fn release_if_ours(path: &Path) {
    let ours = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| Owner::parse(&t))
        .is_some_and(|o| o == Owner::this());
    if ours {
        let _ = std::fs::remove_file(path);
    }
}

/// Takes `out/.lock`: refused while another live process holds it (on this
/// host, or on any other, which cannot be checked from here).
pub(crate) fn acquire(out: &Path) -> Result<RunLock, RunError> {
    let path = out.join(".lock");
    let me = Owner::this();
    // A few rounds: a lock may be half-written (created, owner not yet in it)
    // or be removed by its owner while we look.
    for _ in 0..20 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(me.to_string().as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| RunError::io(&path, e))?;
                return Ok(RunLock(path));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(RunError::io(&path, e)),
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(RunError::io(&path, e)),
        };
        match Owner::parse(&text) {
            Some(owner) if owner.is_gone() => {
                tracing::info!(
                    "taking over {} from process {owner}, which has ended",
                    path.display()
                );
                set_aside_if_unchanged(&path, &text, &me);
            }
            Some(owner) if owner.on_this_host() => {
                return Err(RunError::Locked {
                    path,
                    pid: owner.pid,
                })
            }
            Some(owner) => {
                return Err(RunError::LockedOnHost {
                    path,
                    pid: owner.pid,
                    host: owner.host,
                })
            }
            // Created but not yet written: its owner is writing it.
            None => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    Err(RunError::io(
        &path,
        std::io::Error::other(
            "the lock file stays empty or keeps changing; if no other run uses this folder, delete it",
        ),
    ))
}

/// Removes the stale lock `path` that read `text`, by renaming it aside
/// first (atomic, on NFS too): if another run replaced it meanwhile, the
/// renamed file is theirs and is put back.
fn set_aside_if_unchanged(path: &Path, text: &str, me: &Owner) {
    let aside = path.with_file_name(format!(".lock.stale-{me}"));
    if std::fs::rename(path, &aside).is_err() {
        return; // gone already: the next round creates it
    }
    if std::fs::read_to_string(&aside).is_ok_and(|t| t != text) {
        // Not the stale lock any more: give it back (unless yet another run
        // has created one since, which then holds the folder).
        let _ = std::fs::hard_link(&aside, path);
    }
    let _ = std::fs::remove_file(&aside);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_back_with_and_without_host() {
        let me = Owner::this();
        assert_eq!(Owner::parse(&me.to_string()), Some(me.clone()));
        assert_eq!(Owner::parse(&format!("{}\n", me.pid)), Some(me.clone()));
        assert_eq!(Owner::parse("x@y"), None);
        let tag = temporary_tag(7);
        assert_eq!(temporary_owner(&format!("abc.tmp-{tag}")), Some(me.clone()));
        assert_eq!(
            temporary_owner(&format!("abc.tmp-{}-3", me.pid)),
            Some(me.clone())
        );
        let far = temporary_owner("abc.tmp-12-3@node-07.cluster").unwrap();
        assert_eq!(far.host, "node-07.cluster");
        assert_eq!(far.pid, 12);
        assert!(
            !far.is_gone(),
            "another host's process cannot be judged gone"
        );
        assert_eq!(temporary_owner("abc"), None);
    }

    /// O_EXCL: of eight threads taking the lock at once exactly one gets
    /// it; the others are told which process holds it, and it is free again
    /// when dropped.
    #[test]
    fn one_of_many_takes_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let results: Vec<Result<RunLock, RunError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| acquire(out))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let held: Vec<&RunLock> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(held.len(), 1);
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, RunError::Locked { pid, .. } if *pid == std::process::id()),
                    "{e}"
                );
            }
        }
        assert_eq!(
            std::fs::read_to_string(out.join(".lock")).unwrap(),
            Owner::this().to_string()
        );
        drop(results);
        assert!(!out.join(".lock").exists());
        drop(acquire(out).unwrap());
    }

    /// A lock of another host is left alone, named with its host; a dead
    /// process's lock of this host is taken over.
    #[test]
    fn locks_of_other_hosts_are_reported_and_dead_ones_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join(".lock"), "4242@node-07").unwrap();
        let e = acquire(out).unwrap_err().to_string();
        assert!(e.contains("in use by process 4242 on host node-07"), "{e}");
        assert_eq!(
            std::fs::read_to_string(out.join(".lock")).unwrap(),
            "4242@node-07"
        );
        std::fs::write(out.join(".lock"), format!("{}@{}", u32::MAX, this_host())).unwrap();
        let lock = acquire(out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join(".lock")).unwrap(),
            Owner::this().to_string()
        );
        drop(lock);
        let names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".lock")), "{names:?}");
    }
}
