//! `nonaffine convert`: LAMMPS data ⇄ extended XYZ, chosen by file extension.

use anyhow::Context;
use nonaffine_io::{Format, Frame};
use std::path::PathBuf;

/// Arguments of `nonaffine convert`.
#[derive(clap::Args)]
pub struct Args {
    /// Input file: `.data`/`.lmp`/`.lammps` (LAMMPS data, atom_style atomic) or `.xyz`/`.extxyz`.
    input: PathBuf,
    /// Output file, format chosen by extension as for the input.
    output: PathBuf,
    /// Species names of LAMMPS atom types 1, 2, ... (e.g. `Cu,Zr`). LAMMPS data
    /// input: checked against the file's masses and labels. Extended XYZ input:
    /// the type order of a LAMMPS data output (default: order of first appearance).
    #[arg(long, value_delimiter = ',')]
    elements: Option<Vec<String>>,
    /// Which frame (0-based) of an extended XYZ input to write as LAMMPS data.
    /// An extended XYZ output receives every frame.
    #[arg(long, default_value_t = 0)]
    frame: usize,
}

/// Converts one file.
pub fn run(args: Args) -> anyhow::Result<()> {
    let frames = match Format::of(&args.input)? {
        Format::LammpsData => {
            let s = match &args.elements {
                Some(names) => nonaffine_io::read_structure_named(
                    &args.input,
                    &nonaffine_io::ElementNames::given(names, "--elements"),
                )?,
                None => nonaffine_io::read_lammps_data(&args.input, None)?,
            };
            vec![Frame::new(s)]
        }
        Format::ExtXyz => {
            let frames = nonaffine_io::read_extxyz(&args.input)?;
            match &args.elements {
                // The type order of a LAMMPS data output (species k = type k+1).
                Some(names) => frames
                    .into_iter()
                    .map(|mut f| {
                        f.structure = nonaffine_io::order_species(
                            &f.structure,
                            names,
                            &args.input.display().to_string(),
                            "--elements",
                        )?;
                        Ok(f)
                    })
                    .collect::<anyhow::Result<Vec<Frame>>>()?,
                None => frames,
            }
        }
    };
    match Format::of(&args.output)? {
        Format::ExtXyz => nonaffine_io::write_extxyz(&args.output, &frames)?,
        Format::LammpsData => {
            let count = frames.len();
            let frame = frames.into_iter().nth(args.frame).with_context(|| {
                format!(
                    "--frame {} asked for, but {} has {count} frame(s) (0-based)",
                    args.frame,
                    args.input.display()
                )
            })?;
            let title = format!("converted by nonaffine from {}", args.input.display());
            nonaffine_io::write_lammps_data(&args.output, &frame.structure, &title)?;
        }
    }
    Ok(())
}
