"""An external scorer for examples/bn_structure.gfn: the BIC score of a DAG over the binary
variables of a data file (the first argument), as a log reward.

Protocol (docs/scorers.md): gfnc writes one line per batch, a JSON array of states such as
{"adj": [[false, true, ...], ...]} (adj[i][j]: an edge i -> j); this answers one line, a JSON
array of as many numbers. Only the Python standard library is used.

BIC(G) = sum over nodes v of [ log-likelihood of v given its parents
                               - (log N / 2) * 2^|parents(v)| ]
with maximum-likelihood conditional probabilities; local scores are cached per
(node, parent set), so a batch of thousands of graphs costs little.
"""
import csv
import json
import math
import sys

with open(sys.argv[1]) as f:
    rows = [list(map(int, r)) for r in list(csv.reader(f))[1:]]
N = len(rows)
cache = {}


def local(v, parents):
    key = (v, parents)
    if key not in cache:
        counts = {}
        for r in rows:
            config = tuple(r[p] for p in parents)
            c = counts.setdefault(config, [0, 0])
            c[r[v]] += 1
        loglik = 0.0
        for c in counts.values():
            total = c[0] + c[1]
            loglik += sum(n * math.log(n / total) for n in c if n > 0)
        cache[key] = loglik - 0.5 * math.log(N) * (2 ** len(parents))
    return cache[key]


for line in sys.stdin:
    states = json.loads(line)
    scores = []
    for s in states:
        adj = s["adj"]
        n = len(adj)
        scores.append(
            sum(local(v, tuple(u for u in range(n) if adj[u][v])) for v in range(n))
        )
    print(json.dumps(scores), flush=True)
