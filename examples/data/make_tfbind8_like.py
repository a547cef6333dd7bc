"""Writes tfbind8_like.csv: a TFBind8-sized table (one score per DNA 8-mer, 4^8 = 65,536 rows)
for examples/tfbind8.gfn.

The real TFBind8 scores (Barrera et al. 2016, as packaged by design-bench) are not
redistributable here, so this table is synthetic, made the way binding scores behave: a
position weight matrix (each position prefers some letters), pairwise terms between
neighbouring positions, and two planted high-affinity motifs, squashed to (0, 1] and
normalised so that the best 8-mer scores 1. Seeded: running it again gives the same file.

Row k is the 8-mer whose letters (A=0, C=1, G=2, T=3) are the base-4 digits of k, first
letter most significant, the order examples/tfbind8.gfn indexes the table in.
"""
import math
import random

rng = random.Random(8)
L, A = 8, 4
pwm = [[rng.gauss(0.0, 1.0) for _ in range(A)] for _ in range(L)]
pair = [[[rng.gauss(0.0, 0.5) for _ in range(A)] for _ in range(A)] for _ in range(L - 1)]
motifs = [[0, 3, 2, 1, 1, 2, 3, 0], [2, 2, 0, 3, 1, 0, 3, 3]]


def energy(seq):
    e = sum(pwm[i][c] for i, c in enumerate(seq))
    e += sum(pair[i][seq[i]][seq[i + 1]] for i in range(L - 1))
    for m in motifs:
        matches = sum(1 for a, b in zip(seq, m) if a == b)
        e += 6.0 * math.exp(-(L - matches))
    return e


rows = []
for k in range(A**L):
    seq = [(k // A ** (L - 1 - i)) % A for i in range(L)]
    rows.append(energy(seq))
lo, hi = min(rows), max(rows)
with open("tfbind8_like.csv", "w") as out:
    out.write("score\n")
    for e in rows:
        # Logistic squash of the standardised energy, then scaled so the maximum is 1.
        z = (e - lo) / (hi - lo)
        s = 1.0 / (1.0 + math.exp(-10.0 * (z - 0.6)))
        out.write(f"{s:.6f}\n")
# Rescale in a second pass so the best 8-mer scores exactly 1 and none scores 0.
values = [float(x) for x in open("tfbind8_like.csv").read().split()[1:]]
top = max(values)
with open("tfbind8_like.csv", "w") as out:
    out.write("score\n")
    for v in values:
        out.write(f"{max(v / top, 1e-6):.6f}\n")
