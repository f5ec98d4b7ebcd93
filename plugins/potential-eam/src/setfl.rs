//! Reader of DYNAMO `setfl` files in the two flavours LAMMPS reads:
//! `eam/alloy` (one density function per element) and `eam/fs`
//! (Finnis–Sinclair: one density function per element pair).
//!
//! Layout (LAMMPS `pair_eam` docs and `PairEAMFS::read_file`):
//! 1. three comment lines, kept as provenance;
//! 2. `Nelements Elem1 Elem2 …`;
//! 3. `Nrho drho Nr dr cutoff`;
//! 4. per element: a line `atomic-number mass [lattice-constant lattice-type]`,
//!    then F(ρ) at Nrho points ρ = 0, drho, …, then the density tables at Nr
//!    points r = 0, dr, …: one (alloy) or Nelements (fs) of them;
//! 5. r·φ(r) (eV·Å) for every pair i ≥ j in the order 11, 21, 22, 31, …
//!
//! Tables may wrap over lines freely; `#` starts a comment after the header.
//! Unlike LAMMPS, which silently drops extra numbers at the end of a table's
//! last line and anything after the last table, this reader rejects both:
//! they mean Nrho or Nr disagrees with the tables. It also rejects a file whose
//! last value has no line end after it: that is how a file cut inside its last
//! number looks (the cut number would still parse, as a different value).

use std::path::Path;
use thiserror::Error;

/// Which setfl flavour a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `eam/alloy`: the density function depends on the neighbour's element only.
    Alloy,
    /// `eam/fs`: a density function for every (neighbour, host) element pair.
    Fs,
}

impl Flavor {
    /// The LAMMPS pair style name.
    pub fn pair_style(self) -> &'static str {
        match self {
            Flavor::Alloy => "eam/alloy",
            Flavor::Fs => "eam/fs",
        }
    }
}

/// A setfl file that cannot be read, with the place and what was expected.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SetflError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read the potential file: {source}")]
    Io {
        /// File name.
        file: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The content does not follow the setfl layout.
    #[error("{file}:{line}: {message}")]
    Format {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was found and what was expected.
        message: String,
    },
}

impl SetflError {
    /// Line number of a format error (None for I/O errors).
    pub fn line(&self) -> Option<usize> {
        match self {
            SetflError::Format { line, .. } => Some(*line),
            SetflError::Io { .. } => None,
        }
    }
}

/// One element's block of a setfl file.
#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    /// Element name as written in the file ("Cu").
    pub name: String,
    /// Atomic number (LAMMPS reads and ignores it).
    pub atomic_number: i64,
    /// Mass in amu.
    pub mass_amu: f64,
    /// Lattice constant in Å, when given.
    pub lattice_constant_angstrom: Option<f64>,
    /// Lattice type ("fcc"), when given.
    pub lattice_type: Option<String>,
    /// F(ρ) in eV at ρ = 0, drho, 2·drho, …
    pub embedding_ev: Vec<f64>,
    /// Density tables at r = 0, dr, …: one for `eam/alloy`; for `eam/fs`,
    /// entry k is the density this element contributes at a host of element k.
    pub densities: Vec<Vec<f64>>,
}

/// A parsed setfl file.
#[derive(Clone, Debug, PartialEq)]
pub struct Setfl {
    /// Name of the source (file path) used in messages.
    pub source: String,
    /// Which flavour it was read as.
    pub flavor: Flavor,
    /// The three header comment lines, verbatim (trailing whitespace removed).
    pub header: Vec<String>,
    /// Element blocks in file order.
    pub elements: Vec<Element>,
    /// Number of ρ points.
    pub nrho: usize,
    /// ρ spacing (density units).
    pub drho: f64,
    /// Number of r points.
    pub nr: usize,
    /// r spacing in Å.
    pub dr_angstrom: f64,
    /// Cutoff in Å.
    pub cutoff_angstrom: f64,
    /// r·φ(r) tables in eV·Å, lower triangle: pair (i, j) with j ≤ i at
    /// index i(i+1)/2 + j.
    pub pair_r_phi: Vec<Vec<f64>>,
}

/// Fewest points a table may have (LAMMPS' slope stencils reach two knots
/// either side).
pub const MIN_POINTS: usize = 5;

impl Setfl {
    /// Reads and parses a file.
    pub fn read(path: &Path, flavor: Flavor) -> Result<Self, SetflError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| SetflError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_bytes(bytes, &file, flavor)
    }

    /// Parses the bytes of a file (which must be UTF-8 text); `source` names
    /// it in messages.
    pub fn from_bytes(bytes: Vec<u8>, source: &str, flavor: Flavor) -> Result<Self, SetflError> {
        let file = source.to_string();
        let text = String::from_utf8(bytes).map_err(|e| {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + good.iter().filter(|b| **b == b'\n').count();
            SetflError::Format {
                file: file.clone(),
                line,
                message: "this line is not valid UTF-8 text; a setfl file is plain text".into(),
            }
        })?;
        Self::parse(&text, &file, flavor)
    }

    /// Parses setfl text; `source` names it in messages. When the text fails as
    /// one flavour but parses as the other, the error says so.
    pub fn parse(text: &str, source: &str, flavor: Flavor) -> Result<Self, SetflError> {
        match parse_as(text, source, flavor) {
            Ok(s) => Ok(s),
            Err(e) => {
                let other = match flavor {
                    Flavor::Alloy => Flavor::Fs,
                    Flavor::Fs => Flavor::Alloy,
                };
                if parse_as(text, source, other).is_ok() {
                    let line = e.line().unwrap_or(0);
                    Err(SetflError::Format {
                        file: source.to_string(),
                        line,
                        message: format!(
                            "this is an {} file, not {} (it reads cleanly as {}); \
                             use the `{}` potential plugin (first problem as {}: {})",
                            other.pair_style(),
                            flavor.pair_style(),
                            other.pair_style(),
                            other.pair_style(),
                            flavor.pair_style(),
                            match &e {
                                SetflError::Format { message, .. } => message.as_str(),
                                SetflError::Io { .. } => "unreadable",
                            }
                        ),
                    })
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Index of the element named `name` in file order.
    pub fn element_index(&self, name: &str) -> Option<usize> {
        self.elements.iter().position(|e| e.name == name)
    }

    /// Density table ρ(r) contributed at a host of element `host` by a
    /// neighbour of element `neighbor` (file indices).
    ///
    /// For `eam/fs` this is density function `host` inside `neighbor`'s block,
    /// as LAMMPS' `PairEAMFS::file2array` (`type2rhor[i][j] = map[i]·N + map[j]`)
    /// and `PairEAM::compute` (`rho[i] += rhor_spline[type2rhor[jtype][itype]]`)
    /// use it.
    pub fn density_table(&self, host: usize, neighbor: usize) -> &[f64] {
        let block = &self.elements[neighbor];
        match self.flavor {
            Flavor::Alloy => &block.densities[0],
            Flavor::Fs => &block.densities[host],
        }
    }

    /// r·φ(r) table (eV·Å) of the pair (a, b), in either order.
    pub fn pair_table(&self, a: usize, b: usize) -> &[f64] {
        let (i, j) = if a >= b { (a, b) } else { (b, a) };
        &self.pair_r_phi[i * (i + 1) / 2 + j]
    }
}

/// Line-aware token reader over the text after the header.
struct Reader<'a> {
    file: &'a str,
    lines: std::iter::Peekable<std::iter::Enumerate<std::str::Lines<'a>>>,
    last_line: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, line: usize, message: impl Into<String>) -> SetflError {
        SetflError::Format {
            file: self.file.to_string(),
            line,
            message: message.into(),
        }
    }

    /// Next raw line (for the header), or an error naming what was expected.
    fn raw_line(&mut self, what: &str) -> Result<(usize, &'a str), SetflError> {
        match self.lines.next() {
            Some((i, l)) => {
                self.last_line = i + 1;
                Ok((i + 1, l))
            }
            None => Err(self.err(
                self.last_line + 1,
                format!("expected {what}, found end of file"),
            )),
        }
    }

    /// Next line with content (comments after `#` removed, blank lines skipped).
    fn content_line(&mut self) -> Option<(usize, Vec<&'a str>)> {
        for (i, l) in self.lines.by_ref() {
            self.last_line = i + 1;
            let l = l.split('#').next().unwrap_or("");
            let tokens: Vec<&str> = l.split_whitespace().collect();
            if !tokens.is_empty() {
                return Some((i + 1, tokens));
            }
        }
        None
    }

    fn expect_line(&mut self, what: &str) -> Result<(usize, Vec<&'a str>), SetflError> {
        self.content_line().ok_or_else(|| {
            self.err(
                self.last_line + 1,
                format!("expected {what}, found end of file"),
            )
        })
    }

    /// Reads a table of `n` finite numbers spanning whole lines.
    fn table(&mut self, n: usize, what: &str, count_name: &str) -> Result<Vec<f64>, SetflError> {
        let mut out = Vec::new();
        while out.len() < n {
            let Some((line, tokens)) = self.content_line() else {
                return Err(self.err(
                    self.last_line + 1,
                    format!(
                        "{what} is truncated: expected {n} values ({count_name}) but the file ends \
                         after {}",
                        out.len()
                    ),
                ));
            };
            let room = n - out.len();
            if tokens.len() > room {
                return Err(self.err(
                    line,
                    format!(
                        "{what} should end after {n} values ({count_name}), but this line holds {} \
                         more; check {count_name} in line 5",
                        tokens.len() - room
                    ),
                ));
            }
            for t in tokens {
                out.push(finite(
                    self,
                    line,
                    t,
                    &format!("value {} of {what}", out.len() + 1),
                )?);
            }
        }
        Ok(out)
    }
}

fn finite(r: &Reader<'_>, line: usize, token: &str, what: &str) -> Result<f64, SetflError> {
    match token.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(r.err(
            line,
            format!("{what} is `{token}`; expected a finite number"),
        )),
        Err(_) => Err(r.err(line, format!("{what} is `{token}`; expected a number"))),
    }
}

fn count(r: &Reader<'_>, line: usize, token: &str, what: &str) -> Result<usize, SetflError> {
    match token.parse::<i64>() {
        Ok(n) if n >= MIN_POINTS as i64 => usize::try_from(n).map_err(|_| r.err(line, "too large")),
        Ok(n) => Err(r.err(
            line,
            format!("{what} is {n}; expected a whole number ≥ {MIN_POINTS} (LAMMPS' spline needs {MIN_POINTS} points)"),
        )),
        Err(_) => Err(r.err(line, format!("{what} is `{token}`; expected a whole number"))),
    }
}

fn positive(r: &Reader<'_>, line: usize, token: &str, what: &str) -> Result<f64, SetflError> {
    let x = finite(r, line, token, what)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(r.err(line, format!("{what} is {token}; expected a number > 0")))
    }
}

fn parse_as(text: &str, source: &str, flavor: Flavor) -> Result<Setfl, SetflError> {
    let mut r = Reader {
        file: source,
        lines: text.lines().enumerate().peekable(),
        last_line: 0,
    };
    if text.trim().is_empty() {
        return Err(r.err(1, "the file is empty; expected a setfl potential (3 comment lines, then the element line)"));
    }

    let mut header = Vec::with_capacity(3);
    for k in 1..=3 {
        let (_, l) = r.raw_line(&format!("comment line {k} of 3 of the setfl header"))?;
        header.push(l.trim_end().to_string());
    }

    // Line 4: element count and names.
    let (line, tokens) = r.raw_line("line 4 `Nelements Elem1 Elem2 …`")?;
    let tokens: Vec<&str> = tokens.split_whitespace().collect();
    let Some(first) = tokens.first() else {
        return Err(r.err(
            line,
            "expected `Nelements Elem1 Elem2 …`, found a blank line",
        ));
    };
    let nelements: usize = match first.parse::<i64>() {
        Ok(n) if n >= 1 => n as usize,
        _ => {
            return Err(r.err(
                line,
                format!("the element count is `{first}`; expected a whole number ≥ 1 followed by that many element names"),
            ))
        }
    };
    let names: Vec<String> = tokens[1..].iter().map(|s| s.to_string()).collect();
    if names.len() != nelements {
        return Err(r.err(
            line,
            format!(
                "the element count says {nelements} but {} element names follow ({}); they must agree",
                names.len(),
                names.join(" ")
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(n) = names.iter().find(|n| !seen.insert(n.as_str())) {
        return Err(r.err(line, format!("element `{n}` is listed twice")));
    }

    // Line 5: grid.
    let (line, tokens) = r.raw_line("line 5 `Nrho drho Nr dr cutoff`")?;
    let tokens: Vec<&str> = tokens.split_whitespace().collect();
    if tokens.len() != 5 {
        return Err(r.err(
            line,
            format!(
                "expected 5 values `Nrho drho Nr dr cutoff`, found {}",
                tokens.len()
            ),
        ));
    }
    let nrho = count(&r, line, tokens[0], "Nrho")?;
    let drho = positive(&r, line, tokens[1], "drho")?;
    let nr = count(&r, line, tokens[2], "Nr")?;
    let dr = positive(&r, line, tokens[3], "dr")?;
    let cutoff = positive(&r, line, tokens[4], "the cutoff")?;
    let table_end = nr as f64 * dr;
    if cutoff > table_end * (1.0 + 1e-6) {
        return Err(r.err(
            line,
            format!(
                "the cutoff {cutoff} Å lies beyond the r tables, which end at Nr·dr = {table_end} Å; \
                 LAMMPS would hold the last values constant there. Fix Nr, dr or the cutoff"
            ),
        ));
    }

    let mut elements = Vec::with_capacity(nelements.min(64));
    let ndens = match flavor {
        Flavor::Alloy => 1,
        Flavor::Fs => nelements,
    };
    for name in &names {
        let (line, tokens) = r.expect_line(&format!(
            "the line `atomic-number mass lattice-constant lattice-type` of element {name}"
        ))?;
        if tokens.len() < 2 || tokens.len() > 4 {
            return Err(r.err(
                line,
                format!(
                    "element {name}: expected `atomic-number mass [lattice-constant lattice-type]`, \
                     found {} values",
                    tokens.len()
                ),
            ));
        }
        let atomic_number = tokens[0].parse::<i64>().map_err(|_| {
            r.err(
                line,
                format!(
                    "element {name}: atomic number `{}` is not a whole number",
                    tokens[0]
                ),
            )
        })?;
        let mass_amu = positive(&r, line, tokens[1], &format!("the mass of {name}"))?;
        let lattice_constant_angstrom = match tokens.get(2) {
            Some(t) => Some(finite(
                &r,
                line,
                t,
                &format!("the lattice constant of {name}"),
            )?),
            None => None,
        };
        let lattice_type = tokens.get(3).map(|s| s.to_string());
        let embedding_ev = r.table(nrho, &format!("the F(ρ) table of {name}"), "Nrho")?;
        let mut densities = Vec::with_capacity(ndens.min(64));
        for (k, host) in names.iter().enumerate().take(ndens) {
            let what = match flavor {
                Flavor::Alloy => format!("the density table ρ(r) of {name}"),
                Flavor::Fs => format!(
                    "density table {} of {name}'s block (density at a {host} host)",
                    k + 1
                ),
            };
            densities.push(r.table(nr, &what, "Nr")?);
        }
        elements.push(Element {
            name: name.clone(),
            atomic_number,
            mass_amu,
            lattice_constant_angstrom,
            lattice_type,
            embedding_ev,
            densities,
        });
    }

    let mut pair_r_phi = Vec::new();
    let mut last_table = String::new();
    for i in 0..nelements {
        for j in 0..=i {
            last_table = format!("the r·φ(r) table of {}-{}", names[i], names[j]);
            pair_r_phi.push(r.table(nr, &last_table, "Nr")?);
        }
    }
    // A file cut inside its last number still parses (`…E-0014` → `…E-001`
    // reads as a different value), so the last value must end its line.
    let last_value_line = r.last_line;

    if let Some((line, _)) = r.content_line() {
        return Err(r.err(
            line,
            format!(
                "unexpected content after the last r·φ(r) table; with {nelements} element(s), \
                 Nrho = {nrho} and Nr = {nr} the file should end here (is it {}?)",
                match flavor {
                    Flavor::Alloy => "an eam/fs file",
                    Flavor::Fs => "a file with more elements or longer tables",
                }
            ),
        ));
    }

    if !text.ends_with('\n') && last_value_line == text.lines().count() {
        return Err(r.err(
            last_value_line,
            format!(
                "the file ends inside the last value of {last_table} (no line end after it): \
                 the file is probably truncated and that number cut short. Restore the complete \
                 file (compare its SHA-256 with the source's); if it is complete, end it with a \
                 line break"
            ),
        ));
    }

    Ok(Setfl {
        source: source.to_string(),
        flavor,
        header,
        elements,
        nrho,
        drho,
        nr,
        dr_angstrom: dr,
        cutoff_angstrom: cutoff,
        pair_r_phi,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A tiny hand-written eam/fs file with 2 elements and 5-point tables.
    fn tiny_fs() -> String {
        let mut s = String::from("c1\nc2\nc3\n2 A B\n5 0.5 5 1.0 4.0\n");
        for (z, m) in [(1, 2.0), (2, 3.0)] {
            s.push_str(&format!("{z} {m} 3.0 fcc\n"));
            s.push_str("0 -1 -2 -3 -4\n");
            s.push_str(&format!("{z}.0 0.5 0.25\n0.125 0.0\n"));
            s.push_str(&format!("{z}.5 0.75 0.25 0.1 0.0\n"));
        }
        for _ in 0..3 {
            s.push_str("9 4 1 0.5 0\n");
        }
        s
    }

    #[test]
    fn parses_a_tiny_fs_file_with_wrapped_tables() {
        let f = Setfl::parse(&tiny_fs(), "tiny", Flavor::Fs).unwrap();
        assert_eq!(f.header, vec!["c1", "c2", "c3"]);
        assert_eq!(f.elements.len(), 2);
        assert_eq!(f.elements[1].densities[0], vec![2.0, 0.5, 0.25, 0.125, 0.0]);
        assert_eq!(f.elements[1].densities[1], vec![2.5, 0.75, 0.25, 0.1, 0.0]);
        // Density at an A host (index 0) from a B neighbour (index 1): B's block, function A.
        assert_eq!(f.density_table(0, 1)[0], 2.0);
        assert_eq!(f.density_table(1, 0)[0], 1.5);
        assert_eq!(f.pair_table(0, 1), f.pair_table(1, 0));
    }

    #[test]
    fn fs_file_read_as_alloy_says_which_flavor_it_is() {
        let e = Setfl::parse(&tiny_fs(), "tiny", Flavor::Alloy)
            .unwrap_err()
            .to_string();
        assert!(e.contains("this is an eam/fs file"), "{e}");
    }
}
