#!/usr/bin/env python
"""One batched step of 4,096 HyperGrid states (and the forward masks of the children, which the
sampler asks for next) through gfnc and through torchgfn's own HyperGrid, in one process, on
the CPU. Prints the median time of each over repeats.

    python python/examples/bench_step.py --ndim 4 --height 8 --n 4096
"""

import argparse
import os
import statistics
import time

import numpy as np
import torch
from gfn.gym import HyperGrid

import gfnc
from gfnc.torchgfn import GfncEnv

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "hypergrid.gfn")


def median_seconds(f, repeats):
    f()  # warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        f()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(args):
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    # Random states with an allowed increment in a random dimension.
    x = rng.integers(0, args.height, size=(args.n, args.ndim))
    dims = rng.integers(0, args.ndim, size=args.n)
    x[np.arange(args.n), dims] = rng.integers(0, args.height - 1, size=args.n)
    actions = dims.astype(np.int64)

    raw = gfnc.load(EXAMPLE, D=args.ndim, H=args.height)
    ours = GfncEnv(raw)
    theirs = HyperGrid(ndim=args.ndim, height=args.height, validate_modes=False)
    tensor = torch.as_tensor(x, dtype=torch.long)
    action_tensor = torch.as_tensor(actions).reshape(-1, 1)

    def through(env):
        def run():
            states = env.States(tensor.clone())
            acts = env.actions_from_tensor(action_tensor)
            children = env._step(states, acts)
            return children.forward_masks
        return run

    x32 = x.astype(np.int32)
    figures = {
        "gfnc.Env.step (numpy)": median_seconds(lambda: raw.step(x32, actions), args.repeats),
        "gfnc.Env.step + forward_masks (numpy)": median_seconds(
            lambda: raw.forward_masks(raw.step(x32, actions)), args.repeats),
        "torchgfn _step + masks, gfnc.torchgfn.GfncEnv": median_seconds(through(ours), args.repeats),
        "torchgfn _step + masks, gfn.gym.HyperGrid": median_seconds(through(theirs), args.repeats),
    }
    # Both give the same children and masks.
    assert torch.equal(through(ours)(), through(theirs)())
    for name, seconds in figures.items():
        print(f"{name:<48} {seconds * 1e6:9.1f} µs")
    ratio = figures["torchgfn _step + masks, gfn.gym.HyperGrid"] / \
        figures["torchgfn _step + masks, gfnc.torchgfn.GfncEnv"]
    print(f"HyperGrid / GfncEnv: {ratio:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ndim", type=int, default=4)
    parser.add_argument("--height", type=int, default=8)
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    main(parser.parse_args())
