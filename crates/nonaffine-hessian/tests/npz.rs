//! `hessian.npz` (scipy's `.npz` CSR layout) against scipy itself: scipy's
//! `load_npz` reads our file and finds the matrix of our `hessian.mtx`
//! (read by scipy's `mmread`), and our reader reads what scipy's `save_npz`
//! writes (deflated, `<i8` indices, unsorted columns). Needs a Python 3 with
//! scipy (Debian's python3-scipy; `NONAFFINE_PYTHON` names another
//! interpreter): its absence is a failure, not a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use nonaffine_hessian::npz::{npz_size, read_csr_npz, write_csr_npz};
use nonaffine_hessian::products::{matrix_file, matrix_size, read_matrix};
use nonaffine_hessian::{compute, HessianOptions, HessianProducts, HessianRun, MatrixFormat};
use std::path::Path;
use std::process::Command;
use support::*;

/// The first interpreter that imports scipy.
fn python() -> String {
    let candidates = std::env::var("NONAFFINE_PYTHON")
        .into_iter()
        .chain(["python3".to_string(), "/usr/bin/python3".to_string()]);
    for p in candidates {
        let ok = Command::new(&p)
            .args(["-c", "import scipy.sparse, scipy.io"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return p;
        }
    }
    panic!(
        "no python3 with scipy: install python3-scipy (scripts/setup.sh) or set NONAFFINE_PYTHON"
    );
}

fn run_python(script: &str, args: &[&Path]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The Hessian of a 128-atom CuZr structure in a small cell.
fn glass_run() -> HessianRun {
    let options = HessianOptions {
        relaxed: false,
        ..Default::default()
    };
    compute(
        &cuzr(4, [1.3, 0.4, -0.8], 0.2, 7),
        &cuzr_potential(),
        &options,
    )
    .unwrap()
}

#[test]
fn scipy_reads_our_npz_as_the_matrix_of_our_mtx() {
    let run = glass_run();
    let dir = tempfile::tempdir().unwrap();
    let (mtx, npz) = (dir.path().join("a"), dir.path().join("b"));
    run.products.write_dir(&mtx).unwrap();
    run.products.write_dir_as(&npz, MatrixFormat::Npz).unwrap();
    assert!(!npz.join("hessian.mtx").exists());
    let script = r#"
import sys, numpy as np, scipy.io, scipy.sparse as sp
a = sp.load_npz(sys.argv[1])
b = scipy.io.mmread(sys.argv[2]).tocsr()
assert a.format == "csr" and a.dtype == np.float64, (a.format, a.dtype)
assert a.has_sorted_indices
assert a.shape == b.shape, (a.shape, b.shape)
d = abs(a - b)
print(a.shape[0], a.nnz, d.max() if d.nnz else 0.0, abs(a - a.T).max())
"#;
    let out = run_python(
        script,
        &[&npz.join("hessian.npz"), &mtx.join("hessian.mtx")],
    );
    let f: Vec<&str> = out.split_whitespace().collect();
    let h = &run.products.hessian;
    assert_eq!(f[0], h.nrows().to_string(), "{out}");
    assert_eq!(f[1], h.nnz().to_string(), "{out}");
    // Bit for bit: Matrix Market holds every double exactly.
    assert_eq!(f[2].parse::<f64>().unwrap(), 0.0, "{out}");
    assert_eq!(f[3].parse::<f64>().unwrap(), 0.0, "{out}");
    // And our reader gives back the same matrix, folder and file alike.
    let back = HessianProducts::read_dir(&npz, None).unwrap();
    assert_eq!(back.hessian, run.products.hessian);
    assert_eq!(read_matrix(&npz.join("hessian.npz")).unwrap(), *h);
    assert_eq!(
        matrix_size(&npz.join("hessian.npz")).unwrap(),
        (h.nrows(), h.ncols(), h.nnz())
    );
}

#[test]
fn our_reader_reads_what_scipy_writes() {
    let run = glass_run();
    let dir = tempfile::tempdir().unwrap();
    run.products.write_dir(dir.path()).unwrap();
    let mtx = dir.path().join("hessian.mtx");
    let (plain, deflated, wide) = (
        dir.path().join("plain.npz"),
        dir.path().join("deflated.npz"),
        dir.path().join("wide.npz"),
    );
    // Deflated (save_npz's default), uncompressed, and with int64 indices in
    // reversed (unsorted) column order.
    let script = r#"
import sys, numpy as np, scipy.io, scipy.sparse as sp
m = scipy.io.mmread(sys.argv[1]).tocsr()
sp.save_npz(sys.argv[2], m, compressed=False)
sp.save_npz(sys.argv[3], m)
w = m.copy()
for r in range(w.shape[0]):
    s, e = w.indptr[r], w.indptr[r + 1]
    w.indices[s:e] = w.indices[s:e][::-1].copy()
    w.data[s:e] = w.data[s:e][::-1].copy()
w.indices = w.indices.astype(np.int64); w.indptr = w.indptr.astype(np.int64)
w.has_sorted_indices = False
np.savez(sys.argv[4], data=w.data, indices=w.indices, indptr=w.indptr,
         format=np.array("csr"), shape=np.array(w.shape))
"#;
    run_python(script, &[&mtx, &plain, &deflated, &wide]);
    let h = &run.products.hessian;
    for p in [&plain, &deflated, &wide] {
        let m = read_csr_npz(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(m, *h, "{}", p.display());
        assert_eq!(npz_size(p).unwrap(), (h.nrows(), h.ncols(), h.nnz()));
    }
}

#[test]
fn damaged_or_foreign_npz_files_are_refused_naming_the_file() {
    let run = glass_run();
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("h.npz");
    write_csr_npz(&ours, &run.products.hessian).unwrap();
    let bytes = std::fs::read(&ours).unwrap();
    // A flipped byte in data.npy (the last member, before the directory).
    let mut flipped = bytes.clone();
    let at = bytes.len() - 400;
    flipped[at] ^= 0x40;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("flipped.npz", flipped, "CRC-32 mismatch"),
        (
            "cut.npz",
            bytes[..bytes.len() / 2].to_vec(),
            "not a zip archive",
        ),
        ("text.npz", b"%%MatrixMarket".to_vec(), "not a zip archive"),
    ];
    for (name, content, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let e = read_csr_npz(&p).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains(name), "{e}");
    }
    // A CSC matrix, and an archive of other arrays.
    let csc = dir.path().join("csc.npz");
    let other = dir.path().join("other.npz");
    run_python(
        "import sys, numpy as np, scipy.sparse as sp\n\
         sp.save_npz(sys.argv[1], sp.random(4, 4, density=0.5, format='csc'))\n\
         np.savez(sys.argv[2], x=np.arange(3))",
        &[&csc, &other],
    );
    let e = read_csr_npz(&csc).unwrap_err().to_string();
    assert!(e.contains("`csc`") && e.contains("tocsr()"), "{e}");
    let e = read_csr_npz(&other).unwrap_err().to_string();
    assert!(e.contains("no format.npy") && e.contains("x.npy"), "{e}");
}

#[test]
fn a_folder_with_both_formats_is_ambiguous() {
    let run = glass_run();
    let dir = tempfile::tempdir().unwrap();
    run.products.write_dir(dir.path()).unwrap();
    write_csr_npz(&dir.path().join("hessian.npz"), &run.products.hessian).unwrap();
    let e = matrix_file(dir.path()).unwrap_err().to_string();
    assert!(e.contains("both hessian.mtx and hessian.npz"), "{e}");
    assert!(HessianProducts::read_dir(dir.path(), None).is_err());
    // Writing one format removes the other.
    run.products
        .write_dir_as(dir.path(), MatrixFormat::Npz)
        .unwrap();
    assert_eq!(
        matrix_file(dir.path()).unwrap(),
        Some(dir.path().join("hessian.npz"))
    );
}
