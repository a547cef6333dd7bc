"""Writes bitseq_modes.csv: 8 random mode strings of 60 bits (one per row), for
examples/bitseq_large.gfn, as in Malkin et al. (2022), who draw the modes at random.
Seeded: running it again gives the same file."""
import random

rng = random.Random(60)
with open("bitseq_modes.csv", "w") as out:
    for _ in range(8):
        out.write(",".join(str(rng.randrange(2)) for _ in range(60)) + "\n")
