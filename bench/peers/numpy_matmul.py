# Optional comparison for bench/suites/matmul.ts: times numpy's matmul (OpenBLAS, or whatever BLAS
# numpy was built with) on request. Started once per thread count with OPENBLAS_NUM_THREADS set;
# reads "M K N dtype transpose_a budget_ms" lines, answers with the median microseconds per call.
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


print(json.dumps({"numpy": np.__version__, "blas": blas_name()}), flush=True)
rng = np.random.default_rng(0)
for line in sys.stdin:
    m, k, n, dtype, transpose_a, budget_ms = line.split()
    m, k, n, budget = int(m), int(k), int(n), float(budget_ms) / 1000
    dt = np.float64 if dtype == "float64" else np.float32
    a = rng.standard_normal((k, m) if transpose_a == "1" else (m, k)).astype(dt)
    if transpose_a == "1":
        a = a.T
    b = rng.standard_normal((k, n)).astype(dt)
    a @ b
    # Like tinybench: warm up, then samples until the budget is spent (at least 5); median.
    one = time.perf_counter()
    a @ b
    one = time.perf_counter() - one
    inner = max(1, int(1e-3 / max(one, 1e-9)))
    samples = []
    end = time.perf_counter() + budget
    while len(samples) < 5 or time.perf_counter() < end:
        t = time.perf_counter()
        for _ in range(inner):
            a @ b
        samples.append((time.perf_counter() - t) / inner)
    samples.sort()
    print(json.dumps({"us": samples[len(samples) // 2] * 1e6}), flush=True)
