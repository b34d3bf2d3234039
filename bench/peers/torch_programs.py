# The PyTorch peer of bench/programs.ts: the same programs, written as in PyTorch's own
# examples (minGPT's attention, examples/mnist's Net, the polynomial tutorial's loop). Started once
# per thread count with torch.set_num_threads; reads "name budget_ms" lines and answers with the
# median milliseconds per call. The reduce and elementwise suites' single ops are here too, named
# "reduce.NAME" and "elementwise.NAME".
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

V, E, H, L, BLOCK, BATCH = 96, 128, 4, 4, 64, 16


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(E, 3 * E)
        self.c_proj = nn.Linear(E, E)
        self.register_buffer("mask", torch.tril(torch.ones(BLOCK, BLOCK, dtype=torch.bool)).view(1, 1, BLOCK, BLOCK))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.attn, self.ln2 = nn.LayerNorm(E), CausalSelfAttention(), nn.LayerNorm(E)
        self.fc, self.proj, self.gelu = nn.Linear(E, 4 * E), nn.Linear(4 * E, E), nn.GELU()

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.proj(self.gelu(self.fc(self.ln2(x))))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, E), nn.Embedding(BLOCK, E)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.ln_f, self.lm_head = nn.LayerNorm(E), nn.Linear(E, V, bias=False)

    def forward(self, idx):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x)
        return self.lm_head(self.ln_f(x))


def gpt_step():
    torch.manual_seed(0)
    model = Gpt()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    data = torch.randint(0, V, (BATCH, BLOCK + 1))
    x, y = data[:, :BLOCK].contiguous(), data[:, 1:].contiguous()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x).view(-1, V), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    return step


class MnistNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = torch.flatten(self.dropout1(F.max_pool2d(x, 2)), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def mnist_epoch():
    torch.manual_seed(0)
    model = MnistNet()
    model.train()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    batches = []
    for i in range(0, 1527, 64):
        n = min(64, 1527 - i)
        batches.append((torch.randn(n, 1, 28, 28), torch.randint(0, 10, (n,))))

    def epoch():
        last = 0.0
        for x, y in batches:
            opt.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            opt.step()
            last = loss.item()
        return last

    return epoch


def poly_step():
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    a, b, c, d = (torch.randn((), requires_grad=True) for _ in range(4))
    lr = 1e-6

    def step():
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
        return loss.item()

    return step


class Clip3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv3d(3, 16, 3, padding=1), nn.BatchNorm3d(16)
        self.conv2, self.fc = nn.Conv3d(16, 32, 3, padding=1), nn.Linear(32, 10)

    def forward(self, x):
        h = F.max_pool3d(F.relu(self.bn1(self.conv1(x))), [1, 2, 2])
        h = F.max_pool3d(F.relu(self.conv2(h)), 2)
        return self.fc(F.adaptive_avg_pool3d(h, 1).flatten(1))


def c3d_step():
    torch.manual_seed(0)
    model = Clip3d()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(8, 3, 8, 32, 32), torch.randint(0, 10, (8,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def ctc_step():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(40, 128), nn.ReLU(), nn.Linear(128, 30))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    ctc = nn.CTCLoss(zero_infinity=True)
    x, targets = torch.randn(200, 16, 40), torch.randint(1, 30, (16, 50))
    input_lengths = torch.tensor([200 - 5 * (i % 8) for i in range(16)])
    target_lengths = torch.tensor([20 + 2 * i for i in range(16)])

    def step():
        opt.zero_grad()
        loss = ctc(model(x).log_softmax(2), targets, input_lengths, target_lengths)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def reduce_ops():
    # The reduce suite's rows (bench/suites/reduce.ts), each as "reduce.NAME".
    x, scores = torch.randn(1024, 1024), torch.randn(10000, 10)
    bnx = torch.randn(32, 64, 32, 32)
    return {
        "sum_all": lambda: x.sum(),
        "sum_dim1": lambda: x.sum(1),
        "sum_dim0": lambda: x.sum(0),
        "max_dim1": lambda: x.amax(1),
        "argmax_dim1": lambda: x.argmax(1),
        "argmax_scores": lambda: scores.argmax(1),
        "var_dim1": lambda: x.var(1),
        "softmax": lambda: x.softmax(-1),
        "log_softmax": lambda: x.log_softmax(-1),
        "log_softmax_scores": lambda: scores.log_softmax(-1),
        "cross_entropy_scores": lambda: F.cross_entropy(scores, targets),
        "cumsum_dim1": lambda: x.cumsum(1),
        "batch_norm": lambda: F.batch_norm(bnx, None, None, training=True),
    }


def elementwise_ops():
    # The elementwise suite's 1M rows (bench/suites/elementwise.ts), each as "elementwise.NAME".
    n = 1 << 20
    x, y, big = torch.randn(n), torch.randn(n), torch.randn(1024, 1024)
    big_t, big_pos, cond, big_unit = big.t(), big.abs() + 0.5, x > 0, big.tanh()
    return {
        "add": lambda: x + y,
        "mul": lambda: x * y,
        "add_": lambda: x.add_(y),
        "add_scalar": lambda: x + 1.5,
        "exp": lambda: big.exp(),
        "exp_t": lambda: big_t.exp(),
        "relu": lambda: big.relu(),
        "tanh": lambda: big.tanh(),
        "erf": lambda: big.erf(),
        "erfc": lambda: big.erfc(),
        "erfinv": lambda: big_unit.erfinv(),
        "gelu": lambda: F.gelu(big),
        "gelu_backward": lambda: torch.ops.aten.gelu_backward(x.view(1024, 1024), big),
        "silu": lambda: F.silu(big),
        "silu_backward": lambda: torch.ops.aten.silu_backward(x.view(1024, 1024), big),
        "leaky_relu": lambda: F.leaky_relu(big),
        "leaky_relu_backward": lambda: torch.ops.aten.leaky_relu_backward(x.view(1024, 1024), big, 0.01, False),
        "elu": lambda: F.elu(big),
        "elu_backward": lambda: torch.ops.aten.elu_backward(x.view(1024, 1024), 1.0, 1.0, 1.0, False, big),
        "hardswish": lambda: F.hardswish(big),
        "hardswish_backward": lambda: torch.ops.aten.hardswish_backward(x.view(1024, 1024), big),
        "hardsigmoid": lambda: F.hardsigmoid(big),
        "relu6": lambda: F.relu6(big),
        "log": lambda: big_pos.log(),
        "sin": lambda: big.sin(),
        "cos": lambda: big.cos(),
        "tan": lambda: big.tan(),
        "log2": lambda: big_pos.log2(),
        "log10": lambda: big_pos.log10(),
        "exp2": lambda: big.exp2(),
        "expm1": lambda: big.expm1(),
        "sinh": lambda: big.sinh(),
        "atan": lambda: big.atan(),
        "asin": lambda: big_unit.asin(),
        "acos": lambda: big_unit.acos(),
        "atan2": lambda: torch.atan2(x, y),
        "sigmoid": lambda: big.sigmoid(),
        "sqrt": lambda: big_pos.sqrt(),
        "rsqrt": lambda: big_pos.rsqrt(),
        "floor": lambda: big.floor(),
        "round": lambda: big.round(),
        "div": lambda: x / y,
        "maximum": lambda: torch.maximum(x, y),
        "fmod": lambda: x.fmod(y),
        "remainder": lambda: x.remainder(y),
        "remainder_scalar": lambda: x.remainder(0.7),
        "floor_divide": lambda: x.div(y, rounding_mode="floor"),
        "relu_t": lambda: big_t.relu(),
        "add_broadcast": lambda: big + y[:1024],
        "clamp": lambda: big.clamp(-1, 1),
        "sign": lambda: big.sign(),
        "where": lambda: torch.where(cond, x, y),
    }


targets = torch.randint(0, 10, (10000,))
PROGRAMS = {"gpt": gpt_step, "mnist": mnist_epoch, "poly": poly_step, "c3d": c3d_step, "ctc": ctc_step}
PROGRAMS.update({f"reduce.{k}": (lambda f=f: f) for k, f in reduce_ops().items()})
PROGRAMS.update({f"elementwise.{k}": (lambda f=f: f) for k, f in elementwise_ops().items()})

def blas_name():
    """The BLAS this torch's matrix products run on, from the libraries mapped into the process.
    Debian's torch links the generic libblas.so.3, which is the reference (netlib) BLAS unless an
    optimised one (libopenblas0-pthread) provides it: then PyTorch's linear layers run ~10-20x
    slower, and the programs that are mostly matrix products would flatter tensorkit."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    try:
        with open("/proc/self/maps") as f:
            maps = f.read().lower()
    except OSError:
        return "unknown"
    for key, name in (("libmkl", "MKL"), ("openblas", "OpenBLAS"), ("blis", "BLIS"), ("atlas", "ATLAS")):
        if key in maps:
            return name
    return "reference" if "libblas.so" in maps else "unknown"


threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
hello = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_name()}
print(json.dumps(hello), flush=True)
made = {}
for line in sys.stdin:
    name, budget_ms = line.split()
    if name not in made:
        made[name] = PROGRAMS[name]()
        for _ in range(2):
            made[name]()  # warm-up: allocator, optimizer state
    fn, budget = made[name], float(budget_ms) / 1000
    samples = []
    end = time.perf_counter() + budget
    while len(samples) < 3 or time.perf_counter() < end:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    print(json.dumps({"ms": samples[len(samples) // 2] * 1e3, "n": len(samples)}), flush=True)
