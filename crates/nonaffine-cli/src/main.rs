//! `nonaffine`: from atoms to the complex modulus of a metallic glass.
//!
//! This binary is glue: it parses the command line, builds the plugin registry
//! and hands work to the library crates. Each subcommand lives in its own
//! module under `commands/`.

mod commands;

use clap::Parser;

#[derive(Parser)]
#[command(name = "nonaffine", version, about = "Viscoelastic response of metallic glasses from atoms to E*(ω)")]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    commands::run(cli.command)
}
