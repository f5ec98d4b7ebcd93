//! Fuzz target: any bytes, read as either setfl flavour, must give a value or
//! an error, never a panic, an abort or a hang; whatever parses is splined and
//! evaluated, including outside the tables.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nonaffine_core::EamForm;
use potential_eam::{EamTables, Flavor, Setfl};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for flavor in [Flavor::Fs, Flavor::Alloy] {
        let Ok(file) = Setfl::parse(&text, "fuzz", flavor) else {
            continue;
        };
        let names: Vec<String> = file.elements.iter().map(|e| e.name.clone()).collect();
        let Ok(tables) = EamTables::new(&file, &names) else {
            continue;
        };
        let n = tables.species_count();
        for x in [-1.0, 0.0, 1e-3, 0.37, 1.0, 2.5, 7.6, 1e3, 1e300, f64::NAN, f64::INFINITY] {
            for a in 0..n {
                let _ = tables.embedding(a, x);
                for b in 0..n {
                    let _ = tables.pair(a, b, x);
                    let _ = tables.density(a, b, x);
                }
            }
        }
    }
});
