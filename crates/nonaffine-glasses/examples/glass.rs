//! Writes the benchmark glass of N atoms as a LAMMPS data file, for the CLI
//! runs of the README's performance table:
//! `cargo run --release -p nonaffine-glasses --example glass -- 2000 glass_2000.data`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(out)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: glass N OUT.data   (N = 500, 1000, 2000, 8192 or any quench size)");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a positive integer");
    let s = nonaffine_glasses::glass(n);
    nonaffine_io::write_lammps_data(std::path::Path::new(out), &s, "Cu50Zr50 benchmark glass")
        .unwrap();
    eprintln!("{} atoms written to {out}", s.len());
}
