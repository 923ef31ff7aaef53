#!/usr/bin/env python3
"""
The batched PyTorch float64 anchor of issue 23 for the CLI's flip test: the paper's full flip plan
on a tanh RNN model file and probe file (scripts/paper_flip_case.py writes the N=512, T=784,
15-probe case): for each of the 12 paper k values, 50 random step sets shared by all probes,
plus each probe's R-top and R-bottom sets (the k steps with the largest / smallest s_t(1) = ln r_1
of the forward QR iteration with one vector), every k's B * 50 + 2 B flipped sequences batched as
ONE matrix product per step over all T steps (flip: x < 0.001 -> 1, else 0), last-step
cross-entropy. Denormals flushed (torch.set_flush_denormal(True)); timed with 1 thread and with
all cores (torch.set_num_threads), each after one untimed warm-up k; wall and process CPU time
(the CPU time is the robust figure on a shared machine).

Prints the BLAS build line, then ONE JSON line: {"threads": {"1": s, "2": s}, "best_s", "macs",
"gmacs_best", "torch", "blas", ...}. Usage: PYTHON=$(which python3); $PYTHON
scripts/flip_torch_reference.py DIR (model.json and probe.json in DIR) [--draws 50] [--threads 1,2]
"""
import argparse
import json
import os
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument('dir')
ap.add_argument('--draws', type=int, default=50)
ap.add_argument('--threads', default=f'1,{os.cpu_count()}')
ap.add_argument('--seed', type=int, default=0)
a = ap.parse_args()

torch.set_flush_denormal(True)
dt = torch.float64
model = json.load(open(os.path.join(a.dir, 'model.json')))
probe = json.load(open(os.path.join(a.dir, 'probe.json')))
assert model['arch'] == 'rnn'
W = {k: torch.tensor(v['data'], dtype=dt).reshape(v['shape']) for k, v in model['tensors'].items()}
X = torch.tensor(probe['inputs'], dtype=dt)  # [B][T][D]
y = torch.tensor(probe['labels'])
B, T, D = X.shape
N = model['hidden_size']
K_LIST = [k for k in [1, 2, 3, 5, 10, 20, 30, 50, 75, 100, 200, 300] if k <= T]
Whh_t = W['weight_hh_l0'].T.contiguous()
bias = W['bias_ih_l0'] + W['bias_hh_l0']
drive = X @ W['weight_ih_l0'].T + bias  # [B][T][N]
Xf = torch.where(X < 0.001, torch.ones_like(X), torch.zeros_like(X))
drive_f = Xf @ W['weight_ih_l0'].T + bias


def scores():
    """s_t(1) = ln r_1(t): one-vector QR iteration along each probe's base trajectory, [B][T]."""
    s = torch.empty(B, T, dtype=dt)
    for b in range(B):
        h = torch.zeros(N, dtype=dt)
        q = torch.ones(N, dtype=dt) / N**0.5
        for t in range(T):
            h = torch.tanh(drive[b, t] + Whh_t.T @ h)
            q = (1 - h * h) * (W['weight_hh_l0'] @ q)
            r = q.norm()
            q = q / r
            s[b, t] = torch.log(r)
    return s


torch.set_num_threads(1)  # the untimed scores: tiny ops, where more threads only spin
rng = np.random.default_rng(a.seed)
rand_sets = {k: [rng.choice(T, k, replace=False) for _ in range(a.draws)] for k in K_LIST}
S = scores()
order = torch.argsort(S, dim=1, descending=True)


def flip_losses(k):
    """Cross-entropies of one k's B * draws + 2 B flipped sequences, batched per step."""
    M = B * a.draws + 2 * B
    mask = torch.zeros(M, T, dtype=torch.bool)
    probe_of = torch.empty(M, dtype=torch.long)
    m = 0
    for r in range(a.draws):
        for b in range(B):
            mask[m, torch.from_numpy(rand_sets[k][r])] = True
            probe_of[m] = b
            m += 1
    for b in range(B):
        mask[m, order[b, :k]] = True
        mask[m + 1, order[b, T - k :]] = True
        probe_of[m] = probe_of[m + 1] = b
        m += 2
    # Each step's drives gathered per step ([M][N]): gathering all T at once ([M][T][N], 2.5 GB
    # at the paper's size) made the run memory-bound on a crowded machine.
    h = torch.zeros(M, N, dtype=dt)
    for t in range(T):
        u = torch.where(mask[:, t, None], drive_f[probe_of, t], drive[probe_of, t])
        h = torch.tanh(torch.addmm(u, h, Whh_t))
    z = h @ W['fc.weight'].T + W['fc.bias']
    return torch.nn.functional.cross_entropy(z, y[probe_of], reduction='none')


cfg = torch.__config__.show()
blas = [tok.strip().rstrip(',') for tok in cfg.replace('\n', ' ').split(' ') if tok.startswith(('BLAS_INFO=', 'LAPACK_INFO=', 'PERF_WITH_AVX'))]
print('torch', torch.__version__, ' '.join(blas), 'intra-op threads', torch.get_num_threads(), flush=True)
times = {}
cpu = {}
for th in [int(x) for x in a.threads.split(',')]:
    torch.set_num_threads(th)
    flip_losses(K_LIST[0])  # warm-up
    t0 = time.perf_counter()
    c0 = time.process_time()
    total = 0.0
    for k in K_LIST:
        total += float(flip_losses(k).sum())
    times[str(th)] = round(time.perf_counter() - t0, 2)
    cpu[str(th)] = round(time.process_time() - c0, 2)
    print(f'threads={th}: {times[str(th)]} s wall, {cpu[str(th)]} s cpu (checksum {total:.6f})', flush=True)
M = B * a.draws + 2 * B
macs = len(K_LIST) * M * T * N * N
best = min(times.values())
print(
    json.dumps(
        {
            'what': 'batched float64 flip plan (PyTorch)',
            'B': B,
            'T': T,
            'N': N,
            'k_list': K_LIST,
            'draws': a.draws,
            'sequences_per_k': M,
            'threads': times,
            'cpu_s': cpu,
            'best_s': best,
            'macs': macs,
            'gmacs_best': round(macs / best / 1e9, 2),
            'torch': torch.__version__,
            'blas': blas,
            'flush_denormal': True,
            'load_avg': os.getloadavg(),
        }
    )
)
