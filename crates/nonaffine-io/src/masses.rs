//! Standard atomic weights, for files that name elements but carry no masses.

/// (symbol, mass in amu) for H (Z = 1) to Pu (Z = 94), in order of Z.
///
/// Values are the IUPAC 2013 standard atomic weights (Meija et al., Pure Appl.
/// Chem. 88, 265 (2016)), conventional values where IUPAC gives an interval
/// (H 1.008, C 12.011, ...). Elements without a standard atomic weight (Tc, Pm,
/// Po–Ac, Np, Pu) carry the mass of their longest-lived isotope. This is the
/// table ASE uses (`ase.data.atomic_masses_iupac2016`), so masses agree when an
/// extxyz file moves between ASE and nonaffine.
const MASSES_AMU: [(&str, f64); 94] = [
    ("H", 1.008),
    ("He", 4.002602),
    ("Li", 6.94),
    ("Be", 9.0121831),
    ("B", 10.81),
    ("C", 12.011),
    ("N", 14.007),
    ("O", 15.999),
    ("F", 18.998403163),
    ("Ne", 20.1797),
    ("Na", 22.98976928),
    ("Mg", 24.305),
    ("Al", 26.9815385),
    ("Si", 28.085),
    ("P", 30.973761998),
    ("S", 32.06),
    ("Cl", 35.45),
    ("Ar", 39.948),
    ("K", 39.0983),
    ("Ca", 40.078),
    ("Sc", 44.955908),
    ("Ti", 47.867),
    ("V", 50.9415),
    ("Cr", 51.9961),
    ("Mn", 54.938044),
    ("Fe", 55.845),
    ("Co", 58.933194),
    ("Ni", 58.6934),
    ("Cu", 63.546),
    ("Zn", 65.38),
    ("Ga", 69.723),
    ("Ge", 72.63),
    ("As", 74.921595),
    ("Se", 78.971),
    ("Br", 79.904),
    ("Kr", 83.798),
    ("Rb", 85.4678),
    ("Sr", 87.62),
    ("Y", 88.90584),
    ("Zr", 91.224),
    ("Nb", 92.90637),
    ("Mo", 95.95),
    ("Tc", 97.90721),
    ("Ru", 101.07),
    ("Rh", 102.9055),
    ("Pd", 106.42),
    ("Ag", 107.8682),
    ("Cd", 112.414),
    ("In", 114.818),
    ("Sn", 118.71),
    ("Sb", 121.76),
    ("Te", 127.6),
    ("I", 126.90447),
    ("Xe", 131.293),
    ("Cs", 132.90545196),
    ("Ba", 137.327),
    ("La", 138.90547),
    ("Ce", 140.116),
    ("Pr", 140.90766),
    ("Nd", 144.242),
    ("Pm", 144.91276),
    ("Sm", 150.36),
    ("Eu", 151.964),
    ("Gd", 157.25),
    ("Tb", 158.92535),
    ("Dy", 162.5),
    ("Ho", 164.93033),
    ("Er", 167.259),
    ("Tm", 168.93422),
    ("Yb", 173.054),
    ("Lu", 174.9668),
    ("Hf", 178.49),
    ("Ta", 180.94788),
    ("W", 183.84),
    ("Re", 186.207),
    ("Os", 190.23),
    ("Ir", 192.217),
    ("Pt", 195.084),
    ("Au", 196.966569),
    ("Hg", 200.592),
    ("Tl", 204.38),
    ("Pb", 207.2),
    ("Bi", 208.9804),
    ("Po", 208.98243),
    ("At", 209.98715),
    ("Rn", 222.01758),
    ("Fr", 223.01974),
    ("Ra", 226.02541),
    ("Ac", 227.02775),
    ("Th", 232.0377),
    ("Pa", 231.03588),
    ("U", 238.02891),
    ("Np", 237.04817),
    ("Pu", 244.06421),
];

/// Standard atomic weight of an element in amu, H to Pu; None for any other
/// symbol. Symbols are case-sensitive as in the periodic table ("Cu", not "CU").
pub fn standard_atomic_mass(symbol: &str) -> Option<f64> {
    MASSES_AMU
        .iter()
        .find(|(s, _)| *s == symbol)
        .map(|(_, m)| *m)
}

/// The element whose standard atomic weight is nearest `mass_amu`, if that
/// weight matches it ([`crate::mass_matches`]).
pub(crate) fn element_of_mass(mass_amu: f64) -> Option<&'static str> {
    MASSES_AMU
        .iter()
        .filter(|(_, m)| crate::mass_matches(mass_amu, *m))
        .min_by(|a, b| (a.1 - mass_amu).abs().total_cmp(&(b.1 - mass_amu).abs()))
        .map(|(s, _)| *s)
}

/// Element symbol of atomic number `z` (1 = H ... 94 = Pu).
pub(crate) fn symbol(z: usize) -> Option<&'static str> {
    z.checked_sub(1)
        .and_then(|i| MASSES_AMU.get(i))
        .map(|(s, _)| *s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_order_of_atomic_number_and_masses_increase_mostly() {
        // Independent spot checks against CIAAW values, and a structural check:
        // masses grow with Z except the four known inversions (Ar/K, Co/Ni, Te/I, Th/Pa... U/Np/Pu).
        assert_eq!(standard_atomic_mass("Cu"), Some(63.546));
        assert_eq!(standard_atomic_mass("Zr"), Some(91.224));
        assert_eq!(standard_atomic_mass("H"), Some(1.008));
        assert_eq!(standard_atomic_mass("Pu"), Some(244.06421));
        assert_eq!(standard_atomic_mass("Am"), None);
        assert_eq!(standard_atomic_mass("cu"), None);
        let inversions: Vec<&str> = MASSES_AMU
            .windows(2)
            .filter(|w| w[1].1 < w[0].1)
            .map(|w| w[1].0)
            .collect();
        assert_eq!(inversions, ["K", "Ni", "I", "Pa", "Np"]);
    }
}
