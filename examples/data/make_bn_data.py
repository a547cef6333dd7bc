"""Writes bn_data.csv: 300 observations of five binary variables drawn from a known
Bayesian network, for examples/bn_structure.gfn. Seeded: running it again gives the same file.

The network: 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 3 -> 4, with strong dependencies (each child
copies the parity of its parents with probability 0.85), so that the structure is
recoverable from the data.
"""
import random

rng = random.Random(5)
PARENTS = {0: [], 1: [0], 2: [0], 3: [1, 2], 4: [3]}


def draw():
    x = [0] * 5
    for v in range(5):
        if not PARENTS[v]:
            x[v] = int(rng.random() < 0.5)
        else:
            parity = sum(x[p] for p in PARENTS[v]) % 2
            x[v] = parity if rng.random() < 0.85 else 1 - parity
    return x


with open("bn_data.csv", "w") as out:
    out.write("x0,x1,x2,x3,x4\n")
    for _ in range(300):
        out.write(",".join(map(str, draw())) + "\n")
