"""Mean and std of ln rho(W), W_ij ~ N(0, 1/N) real Gaussian (the spectral radius of a finite
Ginibre matrix), for the finite-size band of the edge-of-chaos view (docs/method.md §8,
src/core/dynamics/finiteSize.ts GINIBRE_LN_RADIUS). Seeded; numpy.linalg.eigvals.
Usage: python3 scripts/ginibre_radius.py [N:draws ...]   (default 32:2000 64:1000 128:600 256:300 512:100)
The table's N = 16 row came from seed 2 with 4000 draws (16:4000 --seed 2).
"""
import sys

import numpy as np

argv = sys.argv[1:]
seed = 1
if "--seed" in argv:
    i = argv.index("--seed")
    seed = int(argv[i + 1])
    argv = argv[:i] + argv[i + 2 :]
args = argv
pairs = [tuple(map(int, a.split(":"))) for a in args] or [(32, 2000), (64, 1000), (128, 600), (256, 300), (512, 100)]
rng = np.random.default_rng(seed)
for N, draws in pairs:
    r = np.array([np.abs(np.linalg.eigvals(rng.standard_normal((N, N)) / np.sqrt(N))).max() for _ in range(draws)])
    L = np.log(r)
    print(f"N = {N}, draws = {draws}: mean ln rho {L.mean():.5f}, sd {L.std(ddof=1):.5f}, se {L.std(ddof=1) / np.sqrt(draws):.5f}", flush=True)
