#!/usr/bin/env python3
"""numpy/LAPACK float64 reference for the analysis phase of `npm run bench`: the same QR iteration
as src/core/dynamics/lyapunov.ts (method.md §2) over `probes` pixel-wise sequences through an
N-unit tanh RNN (orthogonal W_hh, gain 1): h_t = tanh(W_ih x_t + W_hh h_{t-1}),
J_t = diag(1 - h_t^2) W_hh, Q_t R_t = J_t Q_{t-1} (numpy.linalg.qr, reduced), signs fixed so that
diag R_t > 0, ln r stored per step. One BLAS thread is recommended (OMP_NUM_THREADS=1).
Usage: bench_numpy.py T:k:probes [...]  (N = 128). Prints ONE JSON line
{"numpy": ver, "blas": name, "blas_threads": n, "results": [...]}.
Also reports the BLAS numpy is linked against and its thread count (threadpoolctl when
installed, else the OMP/OPENBLAS/MKL environment variables that bound it).
"""
import json
import os
import sys
import time

import numpy as np


def blas_info():
    """Name/version of numpy's BLAS (np.show_config) and how many threads it may use."""
    info = {"blas": "unknown", "blas_threads": None}
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{deps.get('name', 'unknown')} {deps.get('version', '')}".strip()
    except Exception:  # numpy < 1.25 has no mode="dicts"
        pass
    try:
        import threadpoolctl

        pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            info["blas_threads"] = pools[0]["num_threads"]
    except ImportError:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            if os.environ.get(var):
                info["blas_threads"] = int(os.environ[var])
                break
        else:
            info["blas_threads"] = os.cpu_count()
    return info


def qr_iteration(W_ih, W_hh, x, k):
    N = W_hh.shape[0]
    T = x.shape[0]
    h = np.zeros(N)
    Q = np.eye(N)[:, :k]
    lnR = np.empty((T, k))
    for t in range(T):
        h = np.tanh(W_ih @ x[t] + W_hh @ h)
        V = (1 - h * h)[:, None] * (W_hh @ Q)
        Q, R = np.linalg.qr(V)
        d = np.diag(R)
        s = np.where(d < 0, -1.0, 1.0)
        Q = Q * s
        lnR[t] = np.log(np.abs(d))
    return lnR


def bench(T, k, probes, N=128, reps=2):
    rng = np.random.default_rng(2)
    W_hh, r = np.linalg.qr(rng.standard_normal((N, N)))
    W_hh = W_hh * np.sign(np.diag(r))
    W_ih = rng.standard_normal((N, 1)) * np.sqrt(2 / (N + 1))
    xs = rng.random((probes, T, 1))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for p in range(probes):
            qr_iteration(W_ih, W_hh, xs[p], k)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return {"phase": "analysis", "what": "qr", "backend": "numpy-float64", "T": T, "N": N, "k": k,
            "probes": probes, "median_ms": round(median, 2), "min_ms": round(times[0], 2),
            "max_ms": round(times[-1], 2), "reps": reps, "env": "python"}


if __name__ == "__main__":
    configs = [tuple(int(v) for v in a.split(":")) for a in sys.argv[1:]] or [(28, 16, 16)]
    rows = []
    for T, k, probes in configs:
        row = bench(T, k, probes, reps=1 if T * probes >= 784 * 16 or k > 64 else 3)
        print(f"[bench_numpy] T={T} k={k} probes={probes}: median {row['median_ms']} ms", file=sys.stderr)
        rows.append(row)
    print(json.dumps({"numpy": np.__version__, **blas_info(), "results": rows}))
