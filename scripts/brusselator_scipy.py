#!/usr/bin/env python3
"""The peer of `simulate ode --problem brusselator2d`: SciPy's Radau on the same
2-D Brusselator (the SciML benchmarks' case on a 32^2 grid, pdekit's
ode.Brusselator2D: the same f, state layout and Jacobian pattern), for
measuring only (SciPy and h5py from Debian, run with /usr/bin/python3).

    simulate ode --problem brusselator2d --method radau5 --rtol 1e-11 --atol 1e-11 --out ref.h5
    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/brusselator_scipy.py ref.h5 1e-3,1e-4,1e-5,1e-6,1e-7

prints one JSON line per rtol (atol = rtol) with the fields of `simulate ode
--json`: nfev (without the finite-difference Jacobians' evaluations, njev
counts those), relerr_end (max_i |y_i - ref_i| / max(|ref_i|, 1) at t = 11.5,
the reference being the end state in ref.h5) and seconds."""
import json, sys, time

import h5py
import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

n = 32
m = n * n
dx = 1.0 / (n - 1)
a = 10.0 / dx**2
x = np.arange(n) * dx
X, Y = np.meshgrid(x, x, indexing="ij")  # [i, j], i along x
disc = (X - 0.3) ** 2 + (Y - 0.6) ** 2 <= 0.01


def lap(w):
    return np.roll(w, 1, 0) + np.roll(w, -1, 0) + np.roll(w, 1, 1) + np.roll(w, -1, 1) - 4 * w


def f(t, y):
    u, v = y[:m].reshape(n, n), y[m:].reshape(n, n)
    uv = u * u * v
    du = 1 + uv - 4.4 * u + a * lap(u) + (5.0 * disc if t >= 1.1 else 0.0)
    dv = 3.4 * u - uv + a * lap(v)
    return np.concatenate([du.ravel(), dv.ravel()])


y0 = np.concatenate([(22 * (Y * (1 - Y)) ** 1.5).ravel(), (27 * (X * (1 - X)) ** 1.5).ravel()])
rows, cols = [], []
for i in range(n):
    for j in range(n):
        k = i * n + j
        for c in range(2):
            for q in [k, ((i - 1) % n) * n + j, ((i + 1) % n) * n + j, i * n + (j - 1) % n, i * n + (j + 1) % n]:
                rows.append(c * m + k)
                cols.append(c * m + q)
            rows.append(c * m + k)
            cols.append((1 - c) * m + k)
pattern = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * m, 2 * m))
ref = h5py.File(sys.argv[1], "r")["y"][-1]
for tol in [float(s) for s in sys.argv[2].split(",")]:
    start = time.perf_counter()
    sol = solve_ivp(f, (0, 11.5), y0, method="Radau", rtol=tol, atol=tol, jac_sparsity=pattern)
    secs = time.perf_counter() - start
    err = float(np.max(np.abs(sol.y[:, -1] - ref) / np.maximum(np.abs(ref), 1)))
    print(json.dumps({"case": "ode-brusselator2d-rtol%g" % tol, "impl": "scipy-Radau", "nfev": int(sol.nfev),
                      "njev": int(sol.njev), "nlu": int(sol.nlu), "steps": len(sol.t) - 1, "relerr_end": err,
                      "seconds": secs, "success": bool(sol.success)}), flush=True)
