//! Generates bindings over `lammps/library.h` and links `liblammps` through pkg-config.
//!
//! Only the system library is supported (Debian's `liblammps-dev`), as with the
//! crates.io `lammps-sys` built with `RUST_LAMMPS_SOURCE=system`.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-env-changed=RUST_LAMMPS_SOURCE");
    match env::var("RUST_LAMMPS_SOURCE").as_deref() {
        Ok("system") | Err(_) => {}
        Ok(other) => panic!(
            "RUST_LAMMPS_SOURCE={other} is not supported: this crate links the system liblammps \
             (Debian package liblammps-dev); unset it or set it to `system`"
        ),
    }
    let lib = pkg_config::Config::new()
        .probe("liblammps")
        .unwrap_or_else(|e| {
            panic!(
                "liblammps not found through pkg-config ({e}).\n\
             Install it with: apt-get install liblammps-dev  (or run scripts/setup.sh)"
            )
        });
    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .allowlist_function("lammps_.*")
        .allowlist_type("_LMP_.*")
        .allowlist_var("LAMMPS_.*|LMP_.*")
        .clang_arg("-DLAMMPS_SMALLBIG")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for inc in &lib.include_paths {
        builder = builder.clang_arg(format!("-I{}", inc.display()));
    }
    let bindings = builder.generate().unwrap_or_else(|e| {
        panic!("bindgen failed on lammps/library.h: {e}; is libclang-dev installed?")
    });
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    if let Err(e) = bindings.write_to_file(out.join("bindings.rs")) {
        panic!("cannot write bindings: {e}");
    }
}
