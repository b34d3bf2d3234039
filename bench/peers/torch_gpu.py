# The PyTorch peer of bench/suites/gpu.ts: times the GPU rows with torch on the same GPU
# and prints one JSON object {row name: median microseconds}. Each sample is timed between two
# torch.cuda.synchronize() calls, as the tensorkit side does. Run by the suite when python3 has
# torch with CUDA; never a dependency.
import json
import statistics
import sys
import time

import torch


def median_us(fn, budget=1.0, min_samples=5):
    fn()
    torch.cuda.synchronize()
    samples, start = [], time.perf_counter()
    while len(samples) < min_samples or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(samples)


def main():
    dev = "cuda"
    torch.manual_seed(0)
    out = {"_label": f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}"}
    a, b = torch.randn(4096, 4096, device=dev), torch.randn(4096, 4096, device=dev)
    torch.backends.cuda.matmul.allow_tf32 = False
    out["matmul 4096 f32"] = median_us(lambda: a @ b)
    torch.backends.cuda.matmul.allow_tf32 = True
    out["matmul 4096 tf32"] = median_us(lambda: a @ b)
    torch.backends.cuda.matmul.allow_tf32 = False
    ab, bb = a.bfloat16(), b.bfloat16()
    out["matmul 4096 bf16"] = median_us(lambda: ab @ bb)
    x, y = torch.randn(1 << 26, device=dev), torch.randn(1 << 26, device=dev)
    out["add 2^26 f32"] = median_us(lambda: x + y)
    xc, wc = torch.randn(256, 64, 16, 16, device=dev), torch.randn(64, 64, 3, 3, device=dev)
    torch.backends.cudnn.allow_tf32 = False
    out["conv2d case B batch 256"] = median_us(lambda: torch.nn.functional.conv2d(xc, wc, padding=1))

    def step_of(model, xb, yb):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        return step

    mlp = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).to(dev)
    out["MLP step (784-256-10, batch 128)"] = median_us(step_of(mlp, torch.randn(128, 784, device=dev), torch.randint(0, 10, (128,), device=dev)))
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 4 * 4, 4)).to(dev)
    out["shapes CNN step (batch 32)"] = median_us(step_of(cnn, torch.randn(32, 1, 16, 16, device=dev), torch.randint(0, 4, (32,), device=dev)))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
