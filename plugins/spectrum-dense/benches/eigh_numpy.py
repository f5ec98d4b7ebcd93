#!/usr/bin/env python3
"""numpy/scipy eigh on the matrices the `dense` criterion bench wrote (same
mass-weighted spring networks), timed like criterion: best and mean of repeats.
Run from the workspace root: python3 plugins/spectrum-dense/benches/eigh_numpy.py [--repeats R] [3N ...]"""
import glob, os, sys, time
import numpy as np
import scipy.linalg

here = os.path.join(os.path.dirname(__file__), "..", "..", "..", "target", "spectrum-bench")
# Options: --repeats R (default 5, 3 from 3N = 4000), then the orders 3N to run (default all).
argv = sys.argv[1:]
repeats = None
if argv[:1] == ["--repeats"]:
    repeats, argv = int(argv[1]), argv[2:]
orders = {int(x) for x in argv}
files = sorted(glob.glob(os.path.join(here, "dense_*.f64")))
if not files:
    sys.exit("no matrices: run `cargo bench -p spectrum-dense --bench dense` first")
try:
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, BLAS: {cfg.get('name')} {cfg.get('version')}")
except Exception:  # older numpy
    print(f"numpy {np.__version__}, scipy {scipy.__version__}")
for f in files:
    n = int(round((os.path.getsize(f) // 8) ** 0.5))
    if orders and n not in orders:
        continue
    a = np.fromfile(f, dtype=np.float64)
    a = a.reshape(n, n)
    for name, fn in [("numpy.linalg.eigh", lambda m: np.linalg.eigh(m)),
                     ("scipy.linalg.eigh(driver=evd)", lambda m: scipy.linalg.eigh(m, driver="evd", overwrite_a=True, check_finite=False))]:
        times = []
        for _ in range(repeats or (5 if n < 4000 else 3)):
            m = a.copy()
            t = time.perf_counter()
            fn(m)
            times.append(time.perf_counter() - t)
        print(f"N = {n // 3:5d} (3N = {n:5d})  {name:30s} best {min(times):8.3f} s  mean {sum(times)/len(times):8.3f} s")
