//! Links Debian's OpenBLAS (which carries LAPACK) by name, so the binary uses
//! OpenBLAS whatever the `libblas.so.3`/`liblapack.so.3` alternatives point to.
fn main() {
    println!("cargo:rustc-link-lib=dylib=openblas");
    println!("cargo:rerun-if-changed=build.rs");
}
