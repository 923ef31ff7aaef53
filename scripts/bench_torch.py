#!/usr/bin/env python3
"""PyTorch CPU reference for `npm run bench`: the identical model and step as FTLE Lab's training
(nn.RNN tanh, one layer, batch_first, + nn.Linear readout; CE of the last step, mean over the batch;
Adam lr 1e-3; batch 64 of inputs in [0, 1)), one thread. Each timed step = zero_grad, forward,
loss, backward, optimiser step, loss.item().
Usage: bench_torch.py T:N [T:N ...]   (D = 28 for T = 28, else 1)
Prints ONE JSON line: {"torch": version, "threads": 1, "results": [{T, D, N, B, median_ms, ...}]}.
"""
import json
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)


def reps_for(T):
    return (1, 8) if T >= 784 else (2, 15) if T >= 196 else (3, 40)


def bench(T, N, B=64):
    D = 28 if T == 28 else 1
    rnn = torch.nn.RNN(D, N, nonlinearity="tanh", batch_first=True)
    fc = torch.nn.Linear(N, 10)
    params = list(rnn.parameters()) + list(fc.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.rand(B, T, D)
    y = torch.randint(0, 10, (B,))
    warmup, reps = reps_for(T)
    times = []
    for i in range(warmup + reps):
        t0 = time.perf_counter()
        opt.zero_grad()
        out, _ = rnn(x)
        loss = torch.nn.functional.cross_entropy(fc(out[:, -1]), y)
        loss.backward()
        opt.step()
        loss.item()
        ms = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(ms)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return {"phase": "train", "backend": "torch-cpu-1thread", "T": T, "D": D, "N": N, "B": B,
            "median_ms": round(median, 2), "min_ms": round(times[0], 2), "max_ms": round(times[-1], 2),
            "samples_per_s": round(B * 1000 / median), "reps": reps, "env": "python"}


if __name__ == "__main__":
    configs = [tuple(int(v) for v in a.split(":")) for a in sys.argv[1:]] or [(28, 128)]
    rows = []
    for T, N in configs:
        row = bench(T, N)
        print(f"[bench_torch] T={T} N={N}: median {row['median_ms']} ms", file=sys.stderr)
        rows.append(row)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": rows}))
