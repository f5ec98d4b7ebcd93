//! Extended XYZ, as ASE and OVITO read and write it.
//!
//! A frame is a line with the atom count, a comment line of `key=value` pairs,
//! and one line per atom whose columns the `Properties` key declares
//! (`name:type:width` triples, type `S` string, `R` real, `I` integer, `L`
//! logical). Values are bare words, `"quoted strings"` (with `\"` and `\\`
//! escapes), or `{...}`/`[...]` lists; a key without `=` means true.
//!
//! The cell: `Lattice="ax ay az bx by bz cx cy cz"` gives the three cell
//! vectors as rows (Å); ASE has no cell origin and puts it at 0. So
//! [`extxyz_string`] writes positions relative to the cell origin
//! (`r - origin`) and the frames read back have origin 0: the same periodic
//! structure, translated. (On reading, an `Origin="x y z"` key, which OVITO
//! understands, sets the origin; nonaffine does not write it, for ASE's sake.)
//! Image flags are not stored: they read back as zero.

use crate::masses::standard_atomic_mass;
use crate::{fmt_f64, read_text, write_text, IoError};
use nonaffine_core::{Cell, Species, Structure};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// One value of a frame's `key=value` info (energy, temperature, ...).
#[derive(Clone, Debug, PartialEq)]
pub enum InfoValue {
    /// An integer (`step=1000`).
    Int(i64),
    /// A real number (`energy=-3.25`). Written with a `.` or exponent so it reads back as real.
    Float(f64),
    /// Text (`config_type="melt quench"`).
    Text(String),
    /// A logical, written `T` or `F`.
    Bool(bool),
    /// A list of numbers (`stress="1 0 0 0 1 0 0 0 1"`).
    Floats(Vec<f64>),
}

/// One configuration of an extended XYZ file with its per-frame info.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The periodic structure.
    pub structure: Structure,
    /// Every `key=value` of the comment line except `Lattice`, `Properties`,
    /// `pbc` and `Origin`, which the structure itself represents. Units are whatever the
    /// writer used; nonaffine writes metal units (eV, K, bar) and says so in the key (`energy_ev`).
    pub info: BTreeMap<String, InfoValue>,
}

impl Frame {
    /// A frame without info.
    pub fn new(structure: Structure) -> Self {
        Self {
            structure,
            info: BTreeMap::new(),
        }
    }
}

/// Reads every frame of an extended XYZ file (see [`parse_extxyz`]).
pub fn read_extxyz(path: &Path) -> Result<Vec<Frame>, IoError> {
    let text = read_text(path)?;
    parse_extxyz(&text, &path.display().to_string())
}

/// Parses every frame of an extended XYZ text; `source` names it in errors.
///
/// Each frame needs `Lattice=` (nonaffine handles periodic cells only; `pbc`,
/// if given, must be `T T T`), a `species:S:1` (or `Z:I:1`) and a `pos:R:3`
/// column. Masses come from a `masses:R:1` column if present (one value per
/// species), else from [`standard_atomic_mass`]. Other columns are skipped by
/// their declared width. Species are numbered in order of first appearance.
pub fn parse_extxyz(text: &str, source: &str) -> Result<Vec<Frame>, IoError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut frames = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i..].iter().all(|l| l.trim().is_empty()) {
            break;
        }
        let (frame, next) = parse_frame(&lines, i, frames.len() + 1, source)?;
        frames.push(frame);
        i = next;
    }
    if frames.is_empty() {
        return Err(IoError::missing(
            source,
            "no frames; an extended XYZ file starts with the number of atoms",
        ));
    }
    Ok(frames)
}

/// The text of an extended XYZ file holding `frames`.
///
/// Each comment line has `Lattice` (cell vectors as rows, Å),
/// `Properties=species:S:1:pos:R:3`, `pbc="T T T"`, then each info entry in
/// key order (info keys named like those four, or `Origin`, are skipped). Positions are written relative to the cell origin (see the
/// module docs). If a species' mass differs from the standard atomic weight of
/// its name (or the name is no element), a `masses:R:1` column (amu) is added
/// so the masses survive. Numbers are written in their shortest exact form.
pub fn extxyz_string(frames: &[Frame]) -> String {
    let mut out = String::new();
    for f in frames {
        let s = &f.structure;
        let with_masses = s
            .species
            .iter()
            .any(|sp| standard_atomic_mass(&sp.name) != Some(sp.mass_amu));
        let lattice: Vec<String> = s
            .cell
            .vectors
            .iter()
            .flatten()
            .map(|x| fmt_f64(*x))
            .collect();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{}", s.len());
        let _ = write!(
            out,
            "Lattice=\"{}\" Properties=species:S:1:pos:R:3{} pbc=\"T T T\"",
            lattice.join(" "),
            if with_masses { ":masses:R:1" } else { "" }
        );
        for (key, value) in &f.info {
            if is_reserved(key) {
                continue;
            }
            let _ = write!(out, " {}={}", quote_if_needed(key), format_value(value));
        }
        out.push('\n');
        let o = s.cell.origin;
        for (r, &t) in s.positions.iter().zip(&s.types) {
            let sp = &s.species[t];
            let _ = write!(
                out,
                "{} {} {} {}",
                sp.name,
                fmt_f64(r[0] - o[0]),
                fmt_f64(r[1] - o[1]),
                fmt_f64(r[2] - o[2])
            );
            if with_masses {
                let _ = write!(out, " {}", fmt_f64(sp.mass_amu));
            }
            out.push('\n');
        }
    }
    out
}

/// Writes [`extxyz_string`] of `frames` to `path`.
pub fn write_extxyz(path: &Path, frames: &[Frame]) -> Result<(), IoError> {
    write_text(path, &extxyz_string(frames))
}

fn is_reserved(key: &str) -> bool {
    ["lattice", "properties", "pbc"]
        .iter()
        .any(|r| key.eq_ignore_ascii_case(r))
}

/// Parses the frame starting at line index `start`; returns it and the index after it.
fn parse_frame(
    lines: &[&str],
    start: usize,
    number: usize,
    source: &str,
) -> Result<(Frame, usize), IoError> {
    let count_word = lines[start].trim();
    let n: usize = count_word.parse().map_err(|_| {
        IoError::line(
            source,
            start + 1,
            format!(
                "expected the number of atoms of frame {number} (an integer), found `{count_word}`"
            ),
        )
    })?;
    let comment_no = start + 2;
    let comment = lines.get(start + 1).ok_or_else(|| {
        IoError::line(
            source,
            start + 1,
            format!("the file ends before the comment line of frame {number}"),
        )
    })?;
    let err = |m: String| IoError::line(source, comment_no, m);
    let pairs = split_pairs(comment).map_err(err)?;

    let mut lattice = None;
    let mut properties = None;
    let mut origin = [0.0; 3];
    let mut info = BTreeMap::new();
    for (key, raw) in pairs {
        if key.eq_ignore_ascii_case("lattice") {
            let v = raw.ok_or_else(|| err("`Lattice` needs 9 numbers".into()))?;
            lattice = Some(parse_lattice(&v).map_err(err)?);
        } else if key.eq_ignore_ascii_case("properties") {
            let v = raw.ok_or_else(|| err("`Properties` needs a value".into()))?;
            properties = Some(parse_properties(&v).map_err(err)?);
        } else if key.eq_ignore_ascii_case("origin") {
            let v = raw.unwrap_or_default();
            let o: Option<Vec<f64>> = v.split_whitespace().map(|w| w.parse().ok()).collect();
            origin = match o.as_deref() {
                Some(&[x, y, z]) if [x, y, z].iter().all(|c: &f64| c.is_finite()) => [x, y, z],
                _ => {
                    return Err(err(format!(
                        "Origin=\"{v}\" must hold 3 finite numbers (Å)"
                    )))
                }
            };
        } else if key.eq_ignore_ascii_case("pbc") {
            let v = raw.unwrap_or_default();
            let flags: Vec<&str> = v.split_whitespace().collect();
            let all_true = flags.len() == 3 && flags.iter().all(|f| parse_bool(f) == Some(true));
            if !all_true {
                return Err(err(format!(
                    "pbc=\"{v}\": nonaffine handles cells periodic in all three directions only (pbc=\"T T T\")"
                )));
            }
        } else {
            info.insert(
                key,
                raw.map_or(InfoValue::Bool(true), |v| convert_value(&v)),
            );
        }
    }
    let vectors = lattice.ok_or_else(|| {
        err(format!(
            "frame {number} has no Lattice=\"ax ay az bx by bz cx cy cz\"; nonaffine needs a periodic cell"
        ))
    })?;
    let props = properties.unwrap_or_else(|| {
        vec![
            Column {
                name: "species".into(),
                kind: 'S',
                width: 1,
            },
            Column {
                name: "pos".into(),
                kind: 'R',
                width: 3,
            },
        ]
    });
    let layout = Layout::new(&props).map_err(err)?;

    let mut species: Vec<Species> = Vec::new();
    // The count comes from the file: never reserve more than the file can hold.
    let capacity = n.min(lines.len());
    let mut types = Vec::with_capacity(capacity);
    let mut positions = Vec::with_capacity(capacity);
    for k in 0..n {
        let idx = start + 2 + k;
        let no = idx + 1;
        let line = lines.get(idx).ok_or_else(|| {
            IoError::line(
                source,
                lines.len(),
                format!("the file ends after {k} of the {n} atom lines of frame {number}"),
            )
        })?;
        let lerr = |m: String| IoError::line(source, no, m);
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() != layout.width {
            return Err(lerr(format!(
                "expected {} columns (Properties={}), found {}",
                layout.width,
                spec_string(&props),
                w.len()
            )));
        }
        let name = match layout.species {
            Species_::Symbol(c) => w[c].to_string(),
            Species_::Number(c) => {
                let z: usize = w[c]
                    .parse()
                    .map_err(|_| lerr(format!("atomic number `{}` is not an integer", w[c])))?;
                crate::masses::symbol(z)
                    .ok_or_else(|| lerr(format!("atomic number {z} is outside H..Pu")))?
                    .to_string()
            }
        };
        let mut r = [0.0; 3];
        for (j, rj) in r.iter_mut().enumerate() {
            let word = w[layout.pos + j];
            *rj = match word.parse::<f64>() {
                Ok(x) if x.is_finite() => x,
                _ => {
                    return Err(lerr(format!(
                        "coordinate {} = `{word}` of atom {} is not a finite number",
                        ["x", "y", "z"][j],
                        k + 1
                    )))
                }
            };
        }
        let mass = match layout.masses {
            Some(c) => match w[c].parse::<f64>() {
                Ok(m) if m > 0.0 && m.is_finite() => m,
                _ => return Err(lerr(format!("mass `{}` of atom {} is not a positive number of amu", w[c], k + 1))),
            },
            None => standard_atomic_mass(&name).ok_or_else(|| {
                lerr(format!(
                    "`{name}` is not an element symbol (H..Pu) and the file has no masses:R:1 column; \
                     use element symbols or add masses"
                ))
            })?,
        };
        let t = match species.iter().position(|sp| sp.name == name) {
            Some(t) => {
                if species[t].mass_amu != mass {
                    return Err(lerr(format!(
                        "atom {} ({name}) has mass {mass} amu but an earlier {name} atom has {} amu; \
                         nonaffine needs one mass per species",
                        k + 1,
                        species[t].mass_amu
                    )));
                }
                t
            }
            None => {
                species.push(Species {
                    name,
                    mass_amu: mass,
                });
                species.len() - 1
            }
        };
        types.push(t);
        positions.push(r);
    }
    let cell = Cell { vectors, origin };
    let structure =
        Structure::new(cell, species, types, positions, vec![[0; 3]; n]).map_err(|error| {
            IoError::Structure {
                file: format!("{source} frame {number}"),
                error,
            }
        })?;
    Ok((Frame { structure, info }, start + 2 + n))
}

/// One `name:type:width` entry of `Properties`.
struct Column {
    name: String,
    kind: char,
    width: usize,
}

fn parse_properties(v: &str) -> Result<Vec<Column>, String> {
    let parts: Vec<&str> = v.split(':').collect();
    if !parts.len().is_multiple_of(3) {
        return Err(format!(
            "Properties=`{v}` is not a list of name:type:width triples"
        ));
    }
    parts
        .chunks(3)
        .map(|c| {
            let kind = match c[1] {
                "S" | "R" | "I" | "L" => c[1].chars().next().unwrap_or('S'),
                other => {
                    return Err(format!(
                        "Properties: column `{}` has type `{other}`; expected S, R, I or L",
                        c[0]
                    ))
                }
            };
            let width = match c[2].parse::<usize>() {
                Ok(w) if w > 0 => w,
                _ => {
                    return Err(format!(
                        "Properties: column `{}` has width `{}`; expected a positive integer",
                        c[0], c[2]
                    ))
                }
            };
            Ok(Column {
                name: c[0].to_string(),
                kind,
                width,
            })
        })
        .collect()
}

fn spec_string(props: &[Column]) -> String {
    props
        .iter()
        .map(|c| format!("{}:{}:{}", c.name, c.kind, c.width))
        .collect::<Vec<_>>()
        .join(":")
}

/// Where species names (or atomic numbers) are.
enum Species_ {
    Symbol(usize),
    Number(usize),
}

/// Column offsets of the properties nonaffine uses.
struct Layout {
    species: Species_,
    pos: usize,
    masses: Option<usize>,
    width: usize,
}

impl Layout {
    fn new(props: &[Column]) -> Result<Self, String> {
        let mut offset = 0;
        let (mut symbol, mut number, mut pos, mut masses) = (None, None, None, None);
        for c in props {
            let is = |name: &str, kind: char, width: usize| -> Result<bool, String> {
                if c.name != name {
                    return Ok(false);
                }
                if c.kind != kind || c.width != width {
                    return Err(format!(
                        "Properties: `{}` must be `{name}:{kind}:{width}`, found `{}:{}:{}`",
                        c.name, c.name, c.kind, c.width
                    ));
                }
                Ok(true)
            };
            if is("species", 'S', 1)? {
                symbol = Some(offset);
            } else if is("Z", 'I', 1)? {
                number = Some(offset);
            } else if is("pos", 'R', 3)? {
                pos = Some(offset);
            } else if is("masses", 'R', 1)? {
                masses = Some(offset);
            }
            offset += c.width;
        }
        let species = match (symbol, number) {
            (Some(c), _) => Species_::Symbol(c),
            (None, Some(c)) => Species_::Number(c),
            (None, None) => {
                return Err(format!(
                    "Properties={} has no species:S:1 (or Z:I:1) column",
                    spec_string(props)
                ))
            }
        };
        let pos =
            pos.ok_or_else(|| format!("Properties={} has no pos:R:3 column", spec_string(props)))?;
        Ok(Self {
            species,
            pos,
            masses,
            width: offset,
        })
    }
}

fn parse_lattice(v: &str) -> Result<[[f64; 3]; 3], String> {
    let nums: Vec<f64> = v
        .split_whitespace()
        .map(|w| w.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| format!("Lattice=\"{v}\" must hold 9 finite numbers"))?;
    if nums.len() != 9 {
        return Err(format!(
            "Lattice=\"{v}\" must hold 9 numbers (a, b, c as rows), found {}",
            nums.len()
        ));
    }
    Ok([
        [nums[0], nums[1], nums[2]],
        [nums[3], nums[4], nums[5]],
        [nums[6], nums[7], nums[8]],
    ])
}

fn parse_bool(w: &str) -> Option<bool> {
    match w {
        "T" | "True" | "true" | "TRUE" => Some(true),
        "F" | "False" | "false" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Interprets a value as ASE does: integer, real, logical, list of numbers, else text.
fn convert_value(v: &str) -> InfoValue {
    let t = v.trim();
    if let Ok(i) = t.parse::<i64>() {
        return InfoValue::Int(i);
    }
    if let Ok(x) = t.parse::<f64>() {
        return InfoValue::Float(x);
    }
    if let Some(b) = parse_bool(t) {
        return InfoValue::Bool(b);
    }
    let list = t
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .or_else(|| t.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.replace(',', " "))
        .unwrap_or_else(|| t.to_string());
    let words: Vec<&str> = list.split_whitespace().collect();
    if words.len() > 1 {
        if let Some(xs) = words
            .iter()
            .map(|w| w.parse::<f64>().ok())
            .collect::<Option<Vec<f64>>>()
        {
            return InfoValue::Floats(xs);
        }
    }
    InfoValue::Text(v.to_string())
}

fn format_value(v: &InfoValue) -> String {
    match v {
        InfoValue::Int(i) => i.to_string(),
        InfoValue::Float(x) => format_real(*x),
        InfoValue::Bool(b) => if *b { "T" } else { "F" }.to_string(),
        InfoValue::Floats(xs) => {
            format!(
                "\"{}\"",
                xs.iter()
                    .map(|x| format_real(*x))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
        InfoValue::Text(s) => quote_if_needed(s),
    }
}

/// A real that cannot be mistaken for an integer on reading (`1` → `1.0`).
fn format_real(x: f64) -> String {
    let s = fmt_f64(x);
    if s.contains(['.', 'e', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

fn quote_if_needed(s: &str) -> String {
    let plain = !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '=' | '"' | '\\' | '{' | '}' | '[' | ']'));
    if plain {
        return s.to_string();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Splits a comment line into `(key, value)` pairs; a key without `=` has no value.
fn split_pairs(line: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut pairs = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= chars.len() {
            break;
        }
        let key = read_token(&chars, &mut i, true)?;
        skip_ws(&mut i);
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            skip_ws(&mut i);
            if i >= chars.len() {
                return Err(format!("`{key}=` has no value"));
            }
            let value = read_token(&chars, &mut i, false)?;
            pairs.push((key, Some(value)));
        } else {
            pairs.push((key, None));
        }
    }
    Ok(pairs)
}

/// Reads a quoted string, a `{...}`/`[...]` list (kept with its brackets), or
/// a bare word (ending at whitespace, or also at `=` for a key).
fn read_token(chars: &[char], i: &mut usize, is_key: bool) -> Result<String, String> {
    let mut out = String::new();
    match chars[*i] {
        '"' => {
            *i += 1;
            loop {
                match chars.get(*i) {
                    None => return Err(format!("unterminated quoted string `\"{out}`")),
                    Some('"') => {
                        *i += 1;
                        break;
                    }
                    Some('\\') => {
                        match chars.get(*i + 1) {
                            Some('n') => out.push('\n'),
                            Some(&c) => out.push(c),
                            None => return Err(format!("unterminated quoted string `\"{out}`")),
                        }
                        *i += 2;
                    }
                    Some(&c) => {
                        out.push(c);
                        *i += 1;
                    }
                }
            }
        }
        open @ ('{' | '[') if !is_key => {
            let close = if open == '{' { '}' } else { ']' };
            while *i < chars.len() && chars[*i] != close {
                out.push(chars[*i]);
                *i += 1;
            }
            if *i >= chars.len() {
                return Err(format!("`{out}` has no closing `{close}`"));
            }
            out.push(close);
            *i += 1;
        }
        _ => {
            while *i < chars.len() && !chars[*i].is_whitespace() && !(is_key && chars[*i] == '=') {
                out.push(chars[*i]);
                *i += 1;
            }
        }
    }
    Ok(out)
}
