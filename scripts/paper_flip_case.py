#!/usr/bin/env python3
"""
Writes the paper-scale flip-test case of issue 23 as a model file and a probe file:
a tanh RNN with N hidden units (default 512) on permuted pixel-by-pixel MNIST (T = 784, D = 1,
10 classes), W_hh ~ normal(0, g^2 / N) with g = 1 (near the edge of chaos, as an untrained
paper model), W_ih, biases and readout as PyTorch's default uniform(-1/sqrt(N), 1/sqrt(N)); and
B (default 15) test digits from public/data/mnist-10k.bin, pixels u/255 in the permuted order.
Everything is seeded (numpy default_rng(seed)); the files are inputs to
`ftle-lab analyze --flip` and to scripts/flip_torch_reference.py, not fixtures.

Usage: python3 scripts/paper_flip_case.py OUTDIR [--hidden 512] [--probes 15] [--seed 0]
"""
import argparse
import gzip
import json
import os
import struct

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument('outdir')
ap.add_argument('--hidden', type=int, default=512)
ap.add_argument('--probes', type=int, default=15)
ap.add_argument('--seed', type=int, default=0)
a = ap.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
raw = gzip.open(os.path.join(here, '..', 'public', 'data', 'mnist-10k.bin')).read()
assert raw[:8] == b'FTLEMNST'
_, rows, cols, n_train, n_test, _ = struct.unpack('<6I', raw[8:32])
P = rows * cols
off = 32 + n_train * P + n_train
test_x = np.frombuffer(raw, np.uint8, n_test * P, off).reshape(n_test, P)
test_y = np.frombuffer(raw, np.uint8, n_test, off + n_test * P)

rng = np.random.default_rng(a.seed)
N, D, C, T, B = a.hidden, 1, 10, P, a.probes
perm = rng.permutation(T)
u = lambda *shape: rng.uniform(-1 / np.sqrt(N), 1 / np.sqrt(N), shape)
tensors = {
    'weight_ih_l0': u(N, D),
    'weight_hh_l0': rng.normal(0, 1 / np.sqrt(N), (N, N)),
    'bias_ih_l0': u(N),
    'bias_hh_l0': u(N),
    'fc.weight': u(C, N),
    'fc.bias': u(C),
}
model = {
    'format': 'ftle-lab.model/v1',
    'arch': 'rnn',
    'input_size': D,
    'hidden_size': N,
    'num_classes': C,
    'tensors': {k: {'shape': list(v.shape), 'data': [float(x) for x in v.ravel()]} for k, v in tensors.items()},
}
idx = rng.choice(n_test, B, replace=False)
inputs = [[[float(test_x[i, perm[t]]) / 255] for t in range(T)] for i in idx]
probe = {'format': 'ftle-lab.probe/v1', 'inputs': inputs, 'labels': [int(test_y[i]) for i in idx]}
os.makedirs(a.outdir, exist_ok=True)
json.dump(model, open(os.path.join(a.outdir, 'model.json'), 'w'))
json.dump(probe, open(os.path.join(a.outdir, 'probe.json'), 'w'))
print(f'wrote {a.outdir}/model.json (rnn N={N}) and probe.json (B={B}, T={T}, D={D})')
