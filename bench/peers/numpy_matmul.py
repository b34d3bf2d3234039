# Optional numpy peer of the bench (bench/peers/numpy.ts): times numpy on request, so a row can
# show tensorkit and numpy (OpenBLAS, or whatever BLAS numpy was built with) side by side in one
# run. Started once per thread count with OPENBLAS_NUM_THREADS set. Request lines:
#   matmul M K N dtype transpose_a budget_ms   a @ b
#   mlp_step B budget_ms                       a hand-written 784-256-10 MLP SGD step at batch B
#   add N budget_ms                            np.add of two float32 arrays of N (allocating)
#   linalg NAME N budget_ms                    np.linalg NAME (cholesky, lu_factor, solve, inv,
#                                              eigh, svd, qr) of a float64 [N, N] (LAPACK)
# each answered with the median microseconds per call.
import json
import sys
import time

import numpy as np


def blas_name():
    try:
        deps = np.__config__.CONFIG["Build Dependencies"]["blas"]
        return f"{deps.get('name', '?')} {deps.get('version', '')}".strip()
    except Exception:
        return "unknown BLAS"


def median_us(fn, budget):
    # Like tinybench: warm up, then samples until the budget is spent (at least 5); median.
    fn()
    one = time.perf_counter()
    fn()
    one = time.perf_counter() - one
    inner = max(1, int(1e-3 / max(one, 1e-9)))
    samples = []
    end = time.perf_counter() + budget
    while len(samples) < 5 or time.perf_counter() < end:
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t) / inner)
    samples.sort()
    return samples[len(samples) // 2] * 1e6


def mlp_step(B):
    # The step a numpy user writes by hand: forward, softmax cross-entropy, backward, SGD.
    w1 = (rng.standard_normal((784, 256)) * 0.05).astype(np.float32)
    b1 = np.zeros(256, np.float32)
    w2 = (rng.standard_normal((256, 10)) * 0.05).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    x = rng.standard_normal((B, 784)).astype(np.float32)
    y = rng.integers(0, 10, B)
    lr = np.float32(0.01)

    def step():
        h = np.maximum(x @ w1 + b1, 0)
        z = h @ w2 + b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(B), y]).mean()
        p[np.arange(B), y] -= 1
        dz = p / B
        dw2 = h.T @ dz
        db2 = dz.sum(axis=0)
        dh = dz @ w2.T
        dh[h <= 0] = 0
        dw1 = x.T @ dh
        db1 = dh.sum(axis=0)
        for w, d in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            w -= lr * d  # in place: the loop names the arrays, so no rebinding
        return float(loss)

    return step


print(json.dumps({"numpy": np.__version__, "blas": blas_name()}), flush=True)
rng = np.random.default_rng(0)
for line in sys.stdin:
    kind, *rest = line.split()
    budget = float(rest[-1]) / 1000
    if kind == "matmul":
        m, k, n, dtype, transpose_a = rest[:5]
        m, k, n = int(m), int(k), int(n)
        dt = np.float64 if dtype == "float64" else np.float32
        a = rng.standard_normal((k, m) if transpose_a == "1" else (m, k)).astype(dt)
        if transpose_a == "1":
            a = a.T
        b = rng.standard_normal((k, n)).astype(dt)
        us = median_us(lambda: a @ b, budget)
    elif kind == "mlp_step":
        us = median_us(mlp_step(int(rest[0])), budget)
    elif kind == "add":
        a = rng.standard_normal(int(rest[0])).astype(np.float32)
        b = rng.standard_normal(int(rest[0])).astype(np.float32)
        us = median_us(lambda: np.add(a, b), budget)
    elif kind == "linalg":
        name, n = rest[0], int(rest[1])
        a = rng.standard_normal((n, n))
        spd = a @ a.T + n * np.eye(n)
        b = rng.standard_normal((n, n))
        fns = {
            "cholesky": lambda: np.linalg.cholesky(spd),
            "solve": lambda: np.linalg.solve(a, b),
            "inv": lambda: np.linalg.inv(a),
            "eigh": lambda: np.linalg.eigh(spd),
            "svd": lambda: np.linalg.svd(a, full_matrices=False),
            "qr": lambda: np.linalg.qr(a),
        }
        us = median_us(fns[name], budget)
    else:
        raise SystemExit(f"unknown request {kind}")
    print(json.dumps({"us": us}), flush=True)
