#!/usr/bin/env python3
"""numpy/scipy eigh on the matrices the `dense` criterion bench wrote (same
mass-weighted spring networks), timed like criterion: best and mean of repeats.
Run from the workspace root: python3 plugins/spectrum-dense/benches/eigh_numpy.py"""
import glob, os, sys, time
import numpy as np
import scipy.linalg

here = os.path.join(os.path.dirname(__file__), "..", "..", "..", "target", "spectrum-bench")
files = sorted(glob.glob(os.path.join(here, "dense_*.f64")))
if not files:
    sys.exit("no matrices: run `cargo bench -p spectrum-dense --bench dense` first")
try:
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, BLAS: {cfg.get('name')} {cfg.get('version')}")
except Exception:  # older numpy
    print(f"numpy {np.__version__}, scipy {scipy.__version__}")
for f in files:
    a = np.fromfile(f, dtype=np.float64)
    n = int(round(len(a) ** 0.5))
    a = a.reshape(n, n)
    for name, fn in [("numpy.linalg.eigh", lambda m: np.linalg.eigh(m)),
                     ("scipy.linalg.eigh(driver=evd)", lambda m: scipy.linalg.eigh(m, driver="evd", overwrite_a=True, check_finite=False))]:
        times = []
        for _ in range(5 if n < 4000 else 3):
            m = a.copy()
            t = time.perf_counter()
            fn(m)
            times.append(time.perf_counter() - t)
        print(f"N = {n // 3:5d} (3N = {n:5d})  {name:30s} best {min(times):8.3f} s  mean {sum(times)/len(times):8.3f} s")
