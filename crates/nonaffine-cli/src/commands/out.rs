//! Standard output that reports a failed write instead of panicking (which
//! `println!` does): a closed pipe (`| head`) or a full disk (`> /dev/full`)
//! becomes an error; `main` ends quietly with 141 on a closed pipe.

use anyhow::Context;
use std::io::Write;

/// Writes `args` to stdout and flushes.
pub fn write(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// Writes one line to stdout.
pub fn line(text: &str) -> anyhow::Result<()> {
    write(format_args!("{text}\n"))
}

/// True when `e` comes from a write to a pipe whose reader has gone.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
