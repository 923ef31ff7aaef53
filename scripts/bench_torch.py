#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the identical model and step as FTLE Lab's training
(nn.RNN tanh, one layer, batch_first, + nn.Linear readout; CE of the last step, mean over the batch;
Adam lr 1e-3; batch 64 of inputs in [0, 1)). Each timed step = zero_grad, forward, loss, backward,
optimiser step, loss.item() (which also waits for the GPU).

A tuned reference, not a strawman: denormals are flushed (torch.set_flush_denormal(True); on x86
CPUs without it the T = 196 backward runs 10-15x slower as the hidden state decays into
denormals), and the BLAS, the thread count and the CUDA device are reported.

Usage: bench_torch.py [--threads K] [--cuda] T:N [T:N ...]   (D = 28 for T = 28, else 1)
  --threads K   CPU rows with K intra-op threads (0 = all cores; default 1)
  --cuda        also CUDA rows when torch.cuda.is_available()
  --serve       one T:N on the CPU, step by step for an interleaving driver (scripts/bench-vs-torch.mjs):
                prints {"ready": ...} then, for each line read on stdin, runs one step and prints its ms
Prints ONE JSON line: {"torch": version, "blas": ..., "threads": K, "flush_denormal": bool,
"cuda": device name or null, "results": [{T, D, N, B, median_ms, backend, threads, ...}]}.
"""
import json
import os
import re
import sys
import time

import torch

FLUSH_DENORMAL = torch.set_flush_denormal(True)
torch.manual_seed(0)


def reps_for(T):
    return (1, 8) if T >= 784 else (2, 15) if T >= 196 else (3, 40)


def blas_info():
    """BLAS and LAPACK torch was built with, from torch.__config__.show()."""
    show = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", show)
    lapack = re.search(r"LAPACK_INFO=(\w+)", show)
    return {"blas": blas.group(1) if blas else "unknown", "lapack": lapack.group(1) if lapack else "unknown",
            "mkl": torch.backends.mkl.is_available(), "mkldnn": torch.backends.mkldnn.is_available()}


def make_step(T, N, device, B=64):
    """The timed step (zero_grad, forward, loss, backward, Adam, loss.item()) of a fresh model."""
    D = 28 if T == 28 else 1
    rnn = torch.nn.RNN(D, N, nonlinearity="tanh", batch_first=True).to(device)
    fc = torch.nn.Linear(N, 10).to(device)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(fc.parameters()), lr=1e-3)
    x = torch.rand(B, T, D, device=device)
    y = torch.randint(0, 10, (B,), device=device)

    def step():
        opt.zero_grad()
        out, _ = rnn(x)
        loss = torch.nn.functional.cross_entropy(fc(out[:, -1]), y)
        loss.backward()
        opt.step()
        loss.item()

    return step


def serve(T, N):
    step = make_step(T, N, torch.device("cpu"))
    print(json.dumps({"ready": True, "torch": torch.__version__, **blas_info(), "threads": torch.get_num_threads(),
                      "flush_denormal": FLUSH_DENORMAL}), flush=True)
    for _ in sys.stdin:
        t0 = time.perf_counter()
        step()
        print(round((time.perf_counter() - t0) * 1000, 3), flush=True)


def bench(T, N, device, B=64):
    D = 28 if T == 28 else 1
    step = make_step(T, N, device, B)
    warmup, reps = reps_for(T)
    if device.type == "cuda":
        warmup += 2  # cuDNN plan selection and the first kernel launches
    times = []
    for i in range(warmup + reps):
        t0 = time.perf_counter()
        step()
        ms = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(ms)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    threads = torch.get_num_threads()
    if device.type == "cuda":
        backend, gpu = "torch-cuda", torch.cuda.get_device_name(device)
    else:
        backend, gpu = ("torch-cpu-1thread" if threads == 1 else f"torch-cpu-{threads}threads"), None
    row = {"phase": "train", "backend": backend, "T": T, "D": D, "N": N, "B": B,
           "median_ms": round(median, 2), "min_ms": round(times[0], 2), "max_ms": round(times[-1], 2),
           "samples_per_s": round(B * 1000 / median), "reps": reps, "threads": threads, "env": "python"}
    if gpu:
        row["gpu"] = gpu
    return row


def main(argv):
    threads, cuda, configs, serving = 1, False, [], False
    i = 0
    while i < len(argv):
        if argv[i] == "--serve":
            serving = True
            i += 1
        elif argv[i] == "--threads":
            threads = int(argv[i + 1])
            i += 2
        elif argv[i] == "--cuda":
            cuda = True
            i += 1
        else:
            configs.append(tuple(int(v) for v in argv[i].split(":")))
            i += 1
    configs = configs or [(28, 128)]
    torch.set_num_threads(threads if threads > 0 else (os.cpu_count() or 1))
    if serving:
        serve(*configs[0])
        return
    devices = [torch.device("cpu")]
    if cuda and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    rows = []
    for device in devices:
        for T, N in configs:
            row = bench(T, N, device)
            print(f"[bench_torch] {row['backend']} T={T} N={N}: median {row['median_ms']} ms", file=sys.stderr)
            rows.append(row)
    print(json.dumps({"torch": torch.__version__, **blas_info(), "threads": torch.get_num_threads(),
                      "interop_threads": torch.get_num_interop_threads(), "flush_denormal": FLUSH_DENORMAL,
                      "cuda": torch.cuda.get_device_name(0) if cuda and torch.cuda.is_available() else None,
                      "results": rows}))


if __name__ == "__main__":
    main(sys.argv[1:])
