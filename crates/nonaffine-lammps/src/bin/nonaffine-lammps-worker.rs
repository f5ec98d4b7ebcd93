//! The LAMMPS worker process: runs one job file and streams events on stdout.
//! Started by `nonaffine_lammps::run_job`, optionally under `mpirun -np K`.

fn main() {
    std::process::exit(nonaffine_lammps::worker::main());
}
