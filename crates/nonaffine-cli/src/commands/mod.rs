//! Subcommands, one module each.

use clap::Subcommand;

mod plugins;

/// All subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// List every plugin and stage with its parameters, units and docs.
    Plugins(plugins::Args),
}

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Plugins(a) => plugins::run(a),
    }
}
