//! LAMMPS data files in `atom_style atomic`.
//!
//! What is read: the title line (ignored); the header counts `N atoms` and
//! `N atom types`; the box `xlo xhi`, `ylo yhi`, `zlo zhi` and, for a
//! triclinic box, `xy xz yz` (or instead the general triclinic cell `avec`,
//! `bvec`, `cvec`, `abc origin` of LAMMPS 2024+, whose atom coordinates are in
//! that cell's frame); the sections `Masses` (one line per type, an optional
//! `# Name` comment after each mass), `Atom Type Labels` (LAMMPS 2022+ type
//! names, which may then stand for type numbers), `Atoms` (`id type x y z`,
//! optionally followed by the three image flags `ix iy iz`), and `Velocities`,
//! `Pair Coeffs`, `PairIJ Coeffs`, which are skipped. Counts of bonds, angles,
//! ... must be zero. `#` starts a comment anywhere. Atoms may be listed in any
//! order: they are sorted by ID, and the IDs must be exactly 1..N.
//!
//! Positions are kept as written (no wrapping into the box, image flags as
//! given), so what LAMMPS wrote is what the [`Structure`] holds.

use crate::elements::{check_label, check_species, ElementNames, Kind};
use crate::{fmt_f64, read_text, write_text, IoError};
use nonaffine_core::params::nearest;
use nonaffine_core::{Cell, Species, Structure};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Reads a LAMMPS data file (see [`parse_lammps_data`]).
pub fn read_lammps_data(path: &Path, names: Option<&[String]>) -> Result<Structure, IoError> {
    let text = read_text(path)?;
    parse_lammps_data(&text, &path.display().to_string(), names)
}

/// Parses the text of a LAMMPS data file in `atom_style atomic`.
///
/// `source` names the file in error messages. Species names come from `names`
/// (one per atom type, in type order) if given, else from the comment after
/// each mass (`1 63.546 # Cu`, as [`lammps_data_string`] and LAMMPS' own
/// `write_data` after `labelmap` write them), else they are `type1`, `type2`, ...
/// Given names are checked against the file's masses and labels
/// ([`crate::read_structure_named`]).
pub fn parse_lammps_data(
    text: &str,
    source: &str,
    names: Option<&[String]>,
) -> Result<Structure, IoError> {
    let names = names.map(|n| ElementNames::given(n, "the element names given"));
    parse_named(text, source, names.as_ref())
}

/// [`parse_lammps_data`] with names checked as [`ElementNames`] says.
pub(crate) fn parse_named(
    text: &str,
    source: &str,
    names: Option<&ElementNames<'_>>,
) -> Result<Structure, IoError> {
    let lines: Vec<Line<'_>> = text
        .lines()
        .enumerate()
        .skip(1)
        .map(|(i, l)| Line::new(i + 1, l))
        .collect();
    let last_line = text.lines().count();
    let mut it = lines.iter().filter(|l| !l.data.is_empty()).peekable();

    let mut header = Header::default();
    while let Some(line) = it.next_if(|l| !is_section(l.data)) {
        header.read(line, source)?;
    }
    let natoms = header
        .atoms
        .ok_or_else(|| IoError::missing(source, "the header has no `N atoms` line"))?;
    let ntypes = header
        .types
        .ok_or_else(|| IoError::missing(source, "the header has no `N atom types` line"))?;
    let cell = header.cell(source)?;

    // Section title → (title line, data lines); interpreted once all are read,
    // because type labels may follow the sections that use them.
    let mut sections: BTreeMap<&str, (&Line<'_>, Vec<&Line<'_>>)> = BTreeMap::new();
    while let Some(head) = it.next() {
        let name = head.data;
        if sections.contains_key(name) {
            return Err(IoError::line(
                source,
                head.no,
                format!("second `{name}` section"),
            ));
        }
        let (count, what) = match name {
            "Masses" | "Atom Type Labels" => (ntypes, "atom types"),
            "Atoms" | "Velocities" => (natoms, "atoms"),
            "Pair Coeffs" => (ntypes, "atom types"),
            "PairIJ Coeffs" => (
                ntypes.saturating_mul(ntypes.saturating_add(1)) / 2,
                "type pairs",
            ),
            _ => {
                return Err(IoError::line(
                    source,
                    head.no,
                    format!(
                        "unknown or unsupported section `{name}`; an atom_style atomic file has \
                         Masses, Atoms and optionally Atom Type Labels, Velocities, Pair Coeffs"
                    ),
                ))
            }
        };
        // Counts come from the file: never reserve more than the file can hold.
        let mut rows = Vec::with_capacity(count.min(lines.len()));
        for k in 0..count {
            match it.next_if(|l| !is_section(l.data)) {
                Some(l) => rows.push(l),
                None => {
                    let (at, after) = match it.peek() {
                        Some(l) => (l.no, format!("`{}` starts", l.data)),
                        None => (last_line, "the file ends".to_string()),
                    };
                    return Err(IoError::line(
                        source,
                        at,
                        format!(
                            "{after} after {k} of the {count} lines of the {name} section \
                             (the header declares {count} {what})"
                        ),
                    ));
                }
            }
        }
        if let Some(l) = it.peek().filter(|l| !is_section(l.data)) {
            let too_many = format!(
                "the {name} section has more than the {count} lines the header declares ({count} {what})"
            );
            let starts_with_word = l
                .data
                .split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<f64>().is_err());
            let message = match nearest(l.data, &SECTIONS) {
                Some(title) if starts_with_word => {
                    format!(
                        "`{}` is no section title (did you mean `{title}`?), or {too_many}",
                        l.data
                    )
                }
                _ => too_many,
            };
            return Err(IoError::line(source, l.no, message));
        }
        sections.insert(name, (head, rows));
    }

    let labels = match sections.get("Atom Type Labels") {
        Some((_, rows)) => read_labels(rows, ntypes, source)?,
        None => Vec::new(),
    };
    let masses = match sections.get("Masses") {
        Some((_, rows)) => Some(read_masses(rows, ntypes, &labels, source)?),
        None => None,
    };
    let atoms = match sections.get("Atoms") {
        Some((head, rows)) => {
            if let Some(style) = head.comment.and_then(|c| c.split_whitespace().next()) {
                if style != "atomic" {
                    return Err(IoError::line(
                        source,
                        head.no,
                        format!("atom style `{style}` is not supported; write the file with atom_style atomic (`id type x y z [ix iy iz]`)"),
                    ));
                }
            }
            Some(read_atoms(rows, ntypes, &labels, source)?)
        }
        None => None,
    };

    let masses = masses.ok_or_else(|| {
        IoError::missing(
            source,
            format!("no Masses section; atom_style atomic needs the mass (amu) of each of the {ntypes} atom types"),
        )
    })?;
    let atoms = match atoms {
        Some(a) => a,
        None if natoms == 0 => Vec::new(),
        None => {
            return Err(IoError::missing(
                source,
                format!("no Atoms section, but the header declares {natoms} atoms"),
            ))
        }
    };
    if let Some(n) = names {
        if n.names.len() != ntypes {
            return Err(IoError::Names {
                file: source.to_string(),
                given: n.names.len(),
                names: n.names.join(","),
                types: ntypes,
            });
        }
        for (t, (_, comment)) in masses.iter().enumerate() {
            if let Some(label) = labels.get(t).map(String::as_str).or(*comment) {
                check_label(t, label, source, n)?;
            }
        }
    }
    let species: Vec<Species> = masses
        .iter()
        .enumerate()
        .map(|(t, (mass_amu, comment))| Species {
            name: match (names.map(|n| n.names), labels.get(t), comment) {
                (Some(n), _, _) => n[t].clone(),
                (None, Some(label), _) => label.clone(),
                (None, None, Some(c)) => (*c).to_string(),
                (None, None, None) => format!("type{}", t + 1),
            },
            mass_amu: *mass_amu,
        })
        .collect();

    if let Some(n) = names {
        check_species(&species, source, n, Kind::Type)?;
    }

    Structure::new(
        cell,
        species,
        atoms.iter().map(|a| a.t).collect(),
        atoms.iter().map(|a| a.r).collect(),
        atoms.iter().map(|a| a.image).collect(),
    )
    .map_err(|error| IoError::Structure {
        file: source.to_string(),
        error,
    })
}

/// The text of a LAMMPS data file (`atom_style atomic`) holding `s`.
///
/// Atom IDs are 1..N in structure order, types are 1-based species indices,
/// image flags are written, and every number is written in Rust's shortest
/// form that reads back to the same `f64`, so [`parse_lammps_data`] of the
/// result gives `s` bit for bit. One caveat: the file stores `xhi = xlo + lx`
/// and the reader takes `lx = xhi - xlo`; that is exact when the origin is 0 or
/// the length itself came from LAMMPS bounds (any structure read from a data
/// file or LAMMPS), and otherwise may differ in the last bit. Each mass line
/// carries the species name as a comment (`1 63.546 # Cu`).
///
/// LAMMPS only accepts the restricted triclinic form `a = (lx,0,0)`,
/// `b = (xy,ly,0)`, `c = (xz,yz,lz)`: a general cell (e.g. read from extxyz) is
/// first rotated into that form with [`Structure::to_restricted`], positions
/// with it. Lengths, angles, volume and interatomic distances are unchanged,
/// Cartesian components are not. LAMMPS also refuses tilts beyond
/// |xy| ≤ lx/2, |xz| ≤ lx/2, |yz| ≤ ly/2 ("Triclinic box skew is too large"):
/// such a cell is replaced by the equivalent cell of the same lattice with
/// reduced tilts (`c -= round(yz/ly) b`, `c -= round(xz/lx) a`,
/// `b -= round(xy/lx) a`), image flags adjusted so that unwrapped positions are
/// unchanged. Cells within the limits are written as they are.
/// `title` becomes the first line (line breaks replaced by spaces).
pub fn lammps_data_string(s: &Structure, title: &str) -> String {
    let mut s = s.to_restricted();
    reduce_tilt(&mut s);
    let v = &s.cell.vectors;
    let lo = s.cell.origin;
    let title: String = title
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{title}\n");
    let _ = writeln!(out, "{} atoms\n{} atom types\n", s.len(), s.species.len());
    for (k, key) in BOX_KEYS.iter().enumerate() {
        let hi = lo[k] + v[k][k];
        let _ = writeln!(out, "{} {} {key}", fmt_f64(lo[k]), fmt_f64(hi));
    }
    let (xy, xz, yz) = (v[1][0], v[2][0], v[2][1]);
    if xy != 0.0 || xz != 0.0 || yz != 0.0 {
        let _ = writeln!(
            out,
            "{} {} {} xy xz yz",
            fmt_f64(xy),
            fmt_f64(xz),
            fmt_f64(yz)
        );
    }
    let _ = writeln!(out, "\nMasses\n");
    for (t, sp) in s.species.iter().enumerate() {
        let _ = writeln!(out, "{} {} # {}", t + 1, fmt_f64(sp.mass_amu), sp.name);
    }
    if !s.is_empty() {
        let _ = writeln!(out, "\nAtoms # atomic\n");
        for (i, ((r, t), im)) in s.positions.iter().zip(&s.types).zip(&s.images).enumerate() {
            let _ = writeln!(
                out,
                "{} {} {} {} {} {} {} {}",
                i + 1,
                t + 1,
                fmt_f64(r[0]),
                fmt_f64(r[1]),
                fmt_f64(r[2]),
                im[0],
                im[1],
                im[2]
            );
        }
    }
    out
}

/// Writes [`lammps_data_string`] of `s` to `path`.
pub fn write_lammps_data(path: &Path, s: &Structure, title: &str) -> Result<(), IoError> {
    write_text(path, &lammps_data_string(s, title))
}

const BOX_KEYS: [&str; 3] = ["xlo xhi", "ylo yhi", "zlo zhi"];

/// Brings the tilts of a restricted cell within LAMMPS' limits by lattice
/// reduction, keeping `r + image · cell` of every atom (see [`lammps_data_string`]).
fn reduce_tilt(s: &mut Structure) {
    // (vector to change, vector subtracted, tilt component, length it is compared with)
    for (target, by, comp, len_of) in [(2, 1, 1, 1), (2, 0, 0, 0), (1, 0, 0, 0)] {
        let v = &mut s.cell.vectors;
        let (tilt, len) = (v[target][comp], v[len_of][len_of]);
        if tilt.abs() <= 0.5 * len {
            continue;
        }
        let n = (tilt / len).round();
        let shift = v[by];
        for k in 0..3 {
            v[target][k] -= n * shift[k];
        }
        // target = target' + n·by, so image[target]·target adds n·image[target] to image[by].
        for im in &mut s.images {
            im[by] = (f64::from(im[by]) + n * f64::from(im[target])) as i32;
        }
    }
}

/// One non-blank line: the part before `#` and the comment after it, trimmed.
struct Line<'a> {
    no: usize,
    data: &'a str,
    comment: Option<&'a str>,
}

impl<'a> Line<'a> {
    fn new(no: usize, raw: &'a str) -> Self {
        match raw.split_once('#') {
            Some((d, c)) => Self {
                no,
                data: d.trim(),
                comment: Some(c.trim()),
            },
            None => Self {
                no,
                data: raw.trim(),
                comment: None,
            },
        }
    }
}

/// Every section title LAMMPS' read_data knows (a data line may start with a
/// type label, so "starts with a word" is not enough).
const SECTIONS: [&str; 30] = [
    "Atoms",
    "Velocities",
    "Masses",
    "Ellipsoids",
    "Lines",
    "Triangles",
    "Bodies",
    "Bonds",
    "Angles",
    "Dihedrals",
    "Impropers",
    "Pair Coeffs",
    "PairIJ Coeffs",
    "Bond Coeffs",
    "Angle Coeffs",
    "Dihedral Coeffs",
    "Improper Coeffs",
    "BondBond Coeffs",
    "BondAngle Coeffs",
    "MiddleBondTorsion Coeffs",
    "EndBondTorsion Coeffs",
    "AngleTorsion Coeffs",
    "AngleAngleTorsion Coeffs",
    "BondBond13 Coeffs",
    "AngleAngle Coeffs",
    "Atom Type Labels",
    "Bond Type Labels",
    "Angle Type Labels",
    "Dihedral Type Labels",
    "Improper Type Labels",
];

/// Whether a line (comment stripped) is a section title.
fn is_section(data: &str) -> bool {
    SECTIONS.contains(&data)
}

#[derive(Default)]
struct Header {
    atoms: Option<usize>,
    types: Option<usize>,
    /// (lo, hi, line) per axis.
    bounds: [Option<(f64, f64, usize)>; 3],
    tilt: Option<[f64; 3]>,
    /// General triclinic header of LAMMPS 2024+: `avec`, `bvec`, `cvec`, `abc origin`.
    general: [Option<[f64; 3]>; 4],
}

const GENERAL_KEYS: [&str; 4] = ["avec", "bvec", "cvec", "abc origin"];

impl Header {
    /// The cell the header describes: LAMMPS' restricted triclinic box from
    /// bounds and tilts, or a general triclinic cell from `avec bvec cvec abc origin`.
    fn cell(&self, source: &str) -> Result<Cell, IoError> {
        if self.general.iter().any(Option::is_some) {
            if self.bounds.iter().any(Option::is_some) || self.tilt.is_some() {
                return Err(IoError::missing(
                    source,
                    "the header mixes a general triclinic cell (avec, bvec, cvec, abc origin) \
                     with box bounds (xlo xhi ...); give one or the other",
                ));
            }
            let mut v = [[0.0; 3]; 4];
            for (k, g) in self.general.iter().enumerate() {
                v[k] = g.ok_or_else(|| {
                    IoError::missing(
                        source,
                        format!("the header has no `{}` line", GENERAL_KEYS[k]),
                    )
                })?;
            }
            return Ok(Cell {
                vectors: [v[0], v[1], v[2]],
                origin: v[3],
            });
        }
        let mut lo = [0.0; 3];
        let mut hi = [0.0; 3];
        for (k, b) in self.bounds.iter().enumerate() {
            let (l, h, at) = b.ok_or_else(|| {
                IoError::missing(source, format!("the header has no `{}` line", BOX_KEYS[k]))
            })?;
            if h <= l {
                return Err(IoError::line(
                    source,
                    at,
                    format!(
                        "{}: the upper bound {h} must exceed the lower bound {l}",
                        BOX_KEYS[k]
                    ),
                ));
            }
            (lo[k], hi[k]) = (l, h);
        }
        let [xy, xz, yz] = self.tilt.unwrap_or([0.0; 3]);
        Ok(Cell::from_lammps(lo, hi, xy, xz, yz))
    }

    fn read(&mut self, line: &Line<'_>, source: &str) -> Result<(), IoError> {
        let words: Vec<&str> = line.data.split_whitespace().collect();
        let k = words
            .iter()
            .position(|w| w.parse::<f64>().is_err())
            .unwrap_or(words.len());
        let keyword = words[k..].join(" ");
        let values = &words[..k];
        let err = |m: String| IoError::line(source, line.no, m);
        let expect = |n: usize| {
            if values.len() == n {
                Ok(())
            } else {
                Err(err(format!(
                    "`{keyword}` takes {n} number(s) before the keyword, found {}",
                    values.len()
                )))
            }
        };
        let count = |values: &[&str]| -> Result<usize, IoError> {
            values[0].parse::<usize>().map_err(|_| {
                err(format!(
                    "`{keyword}` needs a non-negative integer count, found `{}`",
                    values[0]
                ))
            })
        };
        let floats = |values: &[&str]| -> Result<Vec<f64>, IoError> {
            values
                .iter()
                .map(|w| match w.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(x),
                    _ => Err(err(format!("`{keyword}`: `{w}` is not a finite number"))),
                })
                .collect()
        };
        let dup = |seen: bool| {
            if seen {
                Err(err(format!("`{keyword}` appears twice in the header")))
            } else {
                Ok(())
            }
        };
        match keyword.as_str() {
            "atoms" => {
                expect(1)?;
                dup(self.atoms.is_some())?;
                self.atoms = Some(count(values)?);
            }
            "atom types" => {
                expect(1)?;
                dup(self.types.is_some())?;
                self.types = Some(count(values)?);
            }
            "xlo xhi" | "ylo yhi" | "zlo zhi" => {
                expect(2)?;
                let axis = BOX_KEYS.iter().position(|b| *b == keyword).unwrap_or(0);
                dup(self.bounds[axis].is_some())?;
                let f = floats(values)?;
                self.bounds[axis] = Some((f[0], f[1], line.no));
            }
            "xy xz yz" => {
                expect(3)?;
                dup(self.tilt.is_some())?;
                let f = floats(values)?;
                self.tilt = Some([f[0], f[1], f[2]]);
            }
            "avec" | "bvec" | "cvec" | "abc origin" => {
                expect(3)?;
                let k = GENERAL_KEYS.iter().position(|g| *g == keyword).unwrap_or(0);
                dup(self.general[k].is_some())?;
                let f = floats(values)?;
                self.general[k] = Some([f[0], f[1], f[2]]);
            }
            "bonds" | "angles" | "dihedrals" | "impropers" | "ellipsoids" | "lines"
            | "triangles" | "bodies" => {
                expect(1)?;
                if count(values)? != 0 {
                    return Err(err(format!(
                        "{} {keyword}: atom_style atomic has no {keyword}; only 0 is accepted",
                        values[0]
                    )));
                }
            }
            "bond types"
            | "angle types"
            | "dihedral types"
            | "improper types"
            | "extra bond per atom"
            | "extra angle per atom"
            | "extra dihedral per atom"
            | "extra improper per atom"
            | "extra special per atom" => {
                expect(1)?;
                count(values)?;
            }
            _ => {
                return Err(err(format!(
                    "unknown header line `{}`; expected `N atoms`, `N atom types`, \
                     `lo hi xlo xhi` (and y, z), `xy xz yz` or a section title such as `Masses`",
                    line.data
                )))
            }
        }
        Ok(())
    }
}

fn read_masses<'a>(
    rows: &[&Line<'a>],
    ntypes: usize,
    labels: &[String],
    source: &str,
) -> Result<Vec<(f64, Option<&'a str>)>, IoError> {
    let mut masses: Vec<Option<(f64, Option<&'a str>)>> = vec![None; ntypes];
    for l in rows {
        let err = |m: String| IoError::line(source, l.no, m);
        let w: Vec<&str> = l.data.split_whitespace().collect();
        if w.len() != 2 {
            return Err(err(format!(
                "a Masses line is `type mass`, found {} fields",
                w.len()
            )));
        }
        let t = parse_type(w[0], ntypes, labels).map_err(err)?;
        let m = match w[1].parse::<f64>() {
            Ok(m) if m > 0.0 && m.is_finite() => m,
            _ => {
                return Err(err(format!(
                    "mass `{}` of type {} is not a positive number of amu",
                    w[1],
                    t + 1
                )))
            }
        };
        if masses[t].is_some() {
            return Err(err(format!("second mass for atom type {}", t + 1)));
        }
        let name = l.comment.and_then(|c| c.split_whitespace().next());
        masses[t] = Some((m, name));
    }
    let end = rows.last().map_or(0, |l| l.no);
    masses
        .into_iter()
        .enumerate()
        .map(|(t, m)| {
            m.ok_or_else(|| IoError::line(source, end, format!("no mass for atom type {}", t + 1)))
        })
        .collect()
}

struct AtomRow {
    id: u64,
    no: usize,
    t: usize,
    r: [f64; 3],
    image: [i32; 3],
}

fn read_atoms(
    rows: &[&Line<'_>],
    ntypes: usize,
    labels: &[String],
    source: &str,
) -> Result<Vec<AtomRow>, IoError> {
    let mut atoms = Vec::with_capacity(rows.len());
    for l in rows {
        let err = |m: String| IoError::line(source, l.no, m);
        let w: Vec<&str> = l.data.split_whitespace().collect();
        if w.len() != 5 && w.len() != 8 {
            return Err(err(format!(
                "an atom_style atomic line is `id type x y z` or `id type x y z ix iy iz`, found {} fields",
                w.len()
            )));
        }
        let id = match w[0].parse::<u64>() {
            Ok(id) if id > 0 => id,
            _ => return Err(err(format!("atom ID `{}` is not a positive integer", w[0]))),
        };
        let t = parse_type(w[1], ntypes, labels).map_err(err)?;
        let mut r = [0.0; 3];
        for (k, rk) in r.iter_mut().enumerate() {
            *rk = match w[2 + k].parse::<f64>() {
                Ok(x) if x.is_finite() => x,
                _ => {
                    return Err(err(format!(
                        "coordinate {} = `{}` of atom {id} is not a finite number",
                        ["x", "y", "z"][k],
                        w[2 + k]
                    )))
                }
            };
        }
        let mut image = [0; 3];
        if w.len() == 8 {
            for (k, ik) in image.iter_mut().enumerate() {
                *ik = w[5 + k].parse::<i32>().map_err(|_| {
                    err(format!(
                        "image flag {} = `{}` of atom {id} is not an integer",
                        ["ix", "iy", "iz"][k],
                        w[5 + k]
                    ))
                })?;
            }
        }
        atoms.push(AtomRow {
            id,
            no: l.no,
            t,
            r,
            image,
        });
    }
    atoms.sort_by_key(|a| a.id);
    for pair in atoms.windows(2) {
        if pair[0].id == pair[1].id {
            let (first, second) = if pair[0].no < pair[1].no {
                (pair[0].no, pair[1].no)
            } else {
                (pair[1].no, pair[0].no)
            };
            return Err(IoError::line(
                source,
                second,
                format!("duplicate atom ID {} (first at line {first})", pair[0].id),
            ));
        }
    }
    if let Some(last) = atoms.last() {
        let n = atoms.len();
        if last.id != n as u64 {
            return Err(IoError::line(
                source,
                last.no,
                format!(
                    "atom ID {} exceeds the atom count {n}; IDs must be exactly 1..{n}",
                    last.id
                ),
            ));
        }
    }
    Ok(atoms)
}

/// A 1-based LAMMPS type (or a type label) to a 0-based species index, or a message.
fn parse_type(word: &str, ntypes: usize, labels: &[String]) -> Result<usize, String> {
    if let Some(t) = labels.iter().position(|l| l == word) {
        return Ok(t);
    }
    match word.parse::<usize>() {
        Ok(t) if (1..=ntypes).contains(&t) => Ok(t - 1),
        Ok(t) => Err(format!(
            "unknown atom type {t}; the header declares {ntypes} atom types (1..{ntypes})"
        )),
        Err(_) if labels.is_empty() => Err(format!("atom type `{word}` is not a positive integer")),
        Err(_) => Err(format!(
            "atom type `{word}` is neither a type number nor one of the labels {}",
            labels.join(", ")
        )),
    }
}

/// The `Atom Type Labels` section (LAMMPS 2022+ `labelmap`): `type label` per line.
fn read_labels(rows: &[&Line<'_>], ntypes: usize, source: &str) -> Result<Vec<String>, IoError> {
    let mut labels: Vec<Option<String>> = vec![None; ntypes];
    for l in rows {
        let err = |m: String| IoError::line(source, l.no, m);
        let w: Vec<&str> = l.data.split_whitespace().collect();
        if w.len() != 2 {
            return Err(err(format!(
                "an Atom Type Labels line is `type label`, found {} fields",
                w.len()
            )));
        }
        let t = parse_type(w[0], ntypes, &[]).map_err(err)?;
        if w[1].parse::<f64>().is_ok() || labels.iter().flatten().any(|x| x == w[1]) {
            return Err(err(format!(
                "type label `{}` must be unique and not a number",
                w[1]
            )));
        }
        if labels[t].replace(w[1].to_string()).is_some() {
            return Err(err(format!("second label for atom type {}", t + 1)));
        }
    }
    let end = rows.last().map_or(0, |l| l.no);
    labels
        .into_iter()
        .enumerate()
        .map(|(t, l)| {
            l.ok_or_else(|| IoError::line(source, end, format!("no label for atom type {}", t + 1)))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn box_lengths_read_as_hi_minus_lo_survive_writing_lo_plus_length() {
        // The writer relies on fl(lo + fl(hi - lo)) - lo == fl(hi - lo): a length
        // read from LAMMPS bounds comes back identical, even when lo + length != hi.
        let mut state = 12345u64;
        let mut u = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut hi_changed = 0;
        for _ in 0..100_000 {
            let lo = 200.0 * u() - 100.0;
            let hi = lo + 1e-3 + 300.0 * u();
            let len = hi - lo;
            hi_changed += usize::from(lo + len != hi);
            assert_eq!((lo + len) - lo, len, "lo {lo} hi {hi}");
        }
        assert!(
            hi_changed > 1000,
            "the test must include inexact differences ({hi_changed})"
        );
    }
}
