//! Subcommands, one module each.

use clap::Subcommand;

mod convert;
mod plugins;

/// All subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// List every plugin and stage with its parameters, units and docs.
    Plugins(plugins::Args),
    /// Convert a structure between LAMMPS data and extended XYZ (format by extension).
    Convert(convert::Args),
}

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Plugins(a) => plugins::run(a),
        Command::Convert(a) => convert::run(a),
    }
}
