//! `nonaffine`: from atoms to the complex modulus of a metallic glass.
//!
//! This binary is glue: it parses the command line, builds the plugin registry
//! and hands work to the library crates. Each subcommand lives in its own
//! module under `commands/`.

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
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
