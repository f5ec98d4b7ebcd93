//! `nonaffine`: from atoms to the complex modulus of a metallic glass.
//!
//! This binary is glue: it parses the command line, builds the plugin registry
//! and hands work to the library crates. Each subcommand lives in its own
//! module under `commands/`.

/// `println!` that returns an error (from the enclosing function) instead
/// of panicking when stdout is closed or full.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::commands::out::write(format_args!("{}\n", format_args!($($t)*)))?
    };
}

/// `print!` that returns an error instead of panicking; see [`outln`].
macro_rules! out {
    ($($t:tt)*) => {
        $crate::commands::out::write(format_args!($($t)*))?
    };
}

mod commands;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "nonaffine",
    version,
    about = "Viscoelastic response of metallic glasses from atoms to E*(ω)"
)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() {
    let cli = Cli::parse();
    // Errors are the user's to fix: print the chain of causes, not a backtrace.
    if let Err(e) = commands::run(cli.command) {
        // Whoever read our output has gone (`| head`): nothing to tell them.
        if commands::out::is_broken_pipe(&e) {
            std::process::exit(141);
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
