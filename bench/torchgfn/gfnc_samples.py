"""Reads a gfnc run directory of examples/bitseq120.gfn and prints what bitseq120.py reports
for torchgfn: modes of 60 reached by the 1,000 objects of samples.csv (by nearest mode string
within DELTA bits, and by any mode string within DELTA bits), their mean distance, and from
run.json the modes ever reached in training, the Spearman correlation and log Z.
Plain Python; run from the repository root: python bench/torchgfn/gfnc_samples.py RUN_DIR"""
import csv
import json
import os
import sys

DELTA = 30
DATA = os.path.join("examples", "data")
blocks = [[int(v) for v in row] for row in csv.reader(open(os.path.join(DATA, "bitseq120_blocks.csv")))]
modes = [
    [b for j in row for b in blocks[int(j)]]
    for row in csv.reader(open(os.path.join(DATA, "bitseq120_modes.csv")))
]


def bits(words):
    return [(w >> (7 - t)) & 1 for w in words for t in range(8)]


run = sys.argv[1]
near, anyw, dist = set(), set(), []
with open(os.path.join(run, "samples.csv")) as f:
    for row in csv.DictReader(f):
        x = bits(int(v) for v in row["state"][len("s=[") : -1].split(","))
        d = [sum(a != b for a, b in zip(x, m)) for m in modes]
        best = min(d)
        dist.append(best)
        if best <= DELTA:
            near.add(d.index(best))
        anyw.update(i for i, v in enumerate(d) if v <= DELTA)
final = json.load(open(os.path.join(run, "run.json")))["final_metrics"]
print(json.dumps({
    "samples": len(dist),
    "modes_final_nearest": len(near),
    "modes_final_any_within_delta": len(anyw),
    "final_mean_distance": sum(dist) / len(dist),
    "final_within_delta": sum(v <= DELTA for v in dist) / len(dist),
    "modes_ever_nearest": final["modes_found"],
    "mode_objects": final["mode_objects"],
    "spearman": final["spearman"],
    "log_z": final["log_z"],
    "seconds": final["seconds"],
    "trajectories": final["trajectories"],
}, indent=1))
