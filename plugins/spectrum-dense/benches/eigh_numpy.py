#!/usr/bin/env python3
"""numpy/scipy eigh on the matrices the `dense` criterion bench wrote (same
mass-weighted spring networks), timed like criterion: best and mean of repeats.
Run from the workspace root: python3 plugins/spectrum-dense/benches/eigh_numpy.py [--repeats R] [--in-place] [3N ...]

--in-place: one solve on the loaded matrix itself, no copies (for 3N = 24 576, where
a copy per call does not fit in 24 GiB: ctypes dsyevd then needs the matrix plus its
2n² workspace, like the Rust `dense` solver; numpy/scipy eigh are skipped, they copy)."""
import glob, os, resource, sys, time
import numpy as np
import scipy.linalg

here = os.path.join(os.path.dirname(__file__), "..", "..", "..", "target", "spectrum-bench")
# Options: --repeats R (default 5, 3 from 3N = 4000), then the orders 3N to run (default all).
argv = sys.argv[1:]
repeats = None
if argv[:1] == ["--repeats"]:
    repeats, argv = int(argv[1]), argv[2:]
in_place = "--in-place" in argv
argv = [x for x in argv if x != "--in-place"]
orders = {int(x) for x in argv}
files = sorted(glob.glob(os.path.join(here, "dense_*.f64")))
if not files:
    sys.exit("no matrices: run `cargo bench -p spectrum-dense --bench dense` first")
try:
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, BLAS: {cfg.get('name')} {cfg.get('version')}")
except Exception:  # older numpy
    print(f"numpy {np.__version__}, scipy {scipy.__version__}")
def debian_dsyevd():
    """dsyevd of Debian's libopenblas (the library the Rust binary links), via
    ctypes: the same-BLAS peer. None when the library is not installed."""
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None
    def run(m):
        n = m.shape[0]
        # m is symmetric: its transpose is a Fortran-ordered view, no copy.
        a = m.T
        w = np.empty(n)
        lwork, liwork = 1 + 6 * n + 2 * n * n, 3 + 5 * n
        work = np.empty(lwork)
        iwork = np.empty(liwork, dtype=np.int32)
        c = ctypes.c_int
        info = c(0)
        ptr = lambda x: x.ctypes.data_as(ctypes.c_void_p)
        lib.dsyevd_(ctypes.c_char_p(b"V"), ctypes.c_char_p(b"L"), ctypes.byref(c(n)), ptr(a),
                    ctypes.byref(c(n)), ptr(w), ptr(work), ctypes.byref(c(lwork)), ptr(iwork),
                    ctypes.byref(c(liwork)), ctypes.byref(info), ctypes.c_size_t(1), ctypes.c_size_t(1))
        assert info.value == 0, info.value
    return run

methods = [("numpy.linalg.eigh", lambda m: np.linalg.eigh(m)),
           ("scipy.linalg.eigh(driver=evd)", lambda m: scipy.linalg.eigh(m, driver="evd", overwrite_a=True, check_finite=False))]
if debian_dsyevd() is not None:
    methods.append(("Debian OpenBLAS dsyevd (ctypes)", debian_dsyevd()))
# EIGH_METHODS=debian (a substring of the names, case-insensitive) runs only the matching methods.
only = os.environ.get("EIGH_METHODS", "").lower()
methods = [m for m in methods if only in m[0].lower()]
for f in files:
    n = int(round((os.path.getsize(f) // 8) ** 0.5))
    if orders and n not in orders:
        continue
    a = np.fromfile(f, dtype=np.float64)
    a = a.reshape(n, n)
    if in_place:
        methods = [m for m in methods if "ctypes" in m[0]]
    for name, fn in methods:
        if in_place:
            t = time.perf_counter()
            fn(a)
            print(f"N = {n // 3:5d} (3N = {n:5d})  {name:30s} once (in place) {time.perf_counter() - t:8.3f} s, "
                  f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
            continue
        times = []
        for _ in range(repeats or (5 if n < 4000 else 3)):
            m = a.copy()
            t = time.perf_counter()
            fn(m)
            times.append(time.perf_counter() - t)
        print(f"N = {n // 3:5d} (3N = {n:5d})  {name:30s} best {min(times):8.3f} s  mean {sum(times)/len(times):8.3f} s")
