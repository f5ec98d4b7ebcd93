#!/usr/bin/env python3
"""scipy.sparse.linalg.eigsh, lowest `--modes` eigenpairs of D = M^{-1/2} H M^{-1/2}
of a `nonaffine hessian` output folder (hessian.npz or hessian.mtx, structure.data): regular
which='SA' and shift-invert about σ = −1e-4·max|D_ii| (SuperLU), tol = 0, default
ncv (2k + 1), the peer of `cargo bench -p spectrum-arpack --bench arpack`, which
runs it with OPENBLAS_NUM_THREADS=1. Prints one JSON line per mode."""
import argparse, json, os, time
import numpy as np
import scipy, scipy.io, scipy.sparse as sp, scipy.sparse.linalg as sla

ap = argparse.ArgumentParser()
ap.add_argument("hessian_dir")
ap.add_argument("--modes", type=int, default=50)
ap.add_argument("--repeats", type=int, default=1)
ap.add_argument("--which", default="regular,shift-invert")
a = ap.parse_args()
npz = f"{a.hessian_dir}/hessian.npz"
h = (sp.load_npz(npz) if os.path.exists(npz) else scipy.io.mmread(f"{a.hessian_dir}/hessian.mtx")).tocsr()
lines = open(f"{a.hessian_dir}/structure.data").read().splitlines()
masses, atoms = {}, []
section = None
for l in lines:
    s = l.split("#")[0].split()
    if l.strip() in ("Masses",) or l.startswith("Atoms"):
        section = l.split()[0]
        continue
    if len(s) == 2 and section == "Masses":
        masses[int(s[0])] = float(s[1])
    elif len(s) >= 5 and section == "Atoms":
        atoms.append((int(s[0]), int(s[1])))
atoms.sort()
m = np.repeat([masses[t] for _, t in atoms], 3)
s = sp.diags(1 / np.sqrt(m))
# The product drops entries that are exactly zero, as our solver does.
d = (s @ h @ s).tocsr()
sigma = -1e-4 * abs(d.diagonal()).max()
for name in a.which.split(","):
    kw = dict(which="SA") if name == "regular" else dict(sigma=sigma, which="LM")
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        w, v = sla.eigsh(d, k=a.modes, tol=0, **kw)
        times.append(time.perf_counter() - t)
    print(json.dumps(dict(mode=name, scipy=scipy.__version__, n=d.shape[0], nnz=int(d.nnz),
                          seconds=min(times), fourth_lowest=float(np.sort(w)[3]))), flush=True)
