#!/usr/bin/env python
"""torchgfn's simple HyperGrid tutorial (tutorials/examples/train_hypergrid_simple.py: trajectory
balance, an MLP with a shared trunk for P_F and P_B, one Adam with its own learning rate for
log Z) on `examples/hypergrid.gfn` through `gfnc.torchgfn`, next to torchgfn's own HyperGrid
at the same budget. Both are scored by the exact L1 of the trained P_F's terminal distribution
to R/Z, computed through gfnc's enumerated DAG (no sampling noise).

What changed from the tutorial (docs/python.md, "The torchgfn port"):
  - the environment: `HyperGrid(ndim, height, reward_fn_kwargs=...)` becomes
    `GfncEnv("examples/hypergrid.gfn", D=ndim, H=height, R0=..., R1=..., R2=...)`;
  - the preprocessor: `KHotPreprocessor(height, ndim)` becomes `GfncPreprocessor(env)`
    (gfnc's one-hot encoding, the same K-hot features for this state);
  - validation: the exact L1 (`env.exact_l1(pf)`) instead of an empirical L1 over samples.
Everything else (estimators, TBGFlowNet, Sampler, the loop, the optimiser) is torchgfn's, unchanged.

    python python/examples/train_hypergrid_tb.py --ndim 2 --height 8 --iterations 1000
    python python/examples/train_hypergrid_tb.py --env torchgfn   # torchgfn's own HyperGrid
"""

import argparse
import os
import time

import torch
from gfn.estimators import DiscretePolicyEstimator
from gfn.gflownet import TBGFlowNet
from gfn.samplers import Sampler
from gfn.utils.common import set_seed
from gfn.utils.modules import MLP, DiscreteUniform

from gfnc.torchgfn import GfncEnv, GfncPreprocessor

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "hypergrid.gfn")


def build(args, device):
    """The environment to train on, its preprocessor, and gfnc's twin for exact scoring."""
    rewards = dict(R0=args.R0, R1=args.R1, R2=args.R2)
    twin = GfncEnv(EXAMPLE, device=device, D=args.ndim, H=args.height, **rewards)
    if args.env == "gfnc":
        return twin, GfncPreprocessor(twin), twin
    from gfn.gym import HyperGrid
    from gfn.preprocessors import KHotPreprocessor

    env = HyperGrid(ndim=args.ndim, height=args.height, reward_fn_str="original",
                    reward_fn_kwargs=rewards, device=device, validate_modes=False)
    return env, KHotPreprocessor(height=args.height, ndim=args.ndim), twin


def exact_l1(env, twin, pf):
    """The exact L1 of `pf` (an estimator of `env`) through the twin's DAG: the states of both
    environments are the same vectors and their actions the same indices."""
    if env is twin:
        return twin.exact_l1(pf)[0]
    e = twin._enumerated()
    import numpy as np

    rows = []
    with torch.no_grad():
        states = env.States(torch.as_tensor(e["states"], dtype=torch.long, device=env.device))
        logits = pf(states).masked_fill(~states.forward_masks, float("-inf"))
        rows.append(torch.softmax(logits, -1).double().cpu().numpy())
    p = twin.gfnc.terminal_distribution(np.concatenate(rows))
    return twin.gfnc.distances(p / p.sum())["l1"]


def main(args):
    set_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() and not args.no_cuda else "cpu")
    env, preprocessor, twin = build(args, device)

    module_pf = MLP(input_dim=preprocessor.output_dim, output_dim=env.n_actions)
    if args.uniform_pb:
        module_pb = DiscreteUniform(output_dim=env.n_actions - 1)
    else:
        module_pb = MLP(input_dim=preprocessor.output_dim, output_dim=env.n_actions - 1,
                        trunk=module_pf.trunk)
    pf = DiscretePolicyEstimator(module_pf, env.n_actions, preprocessor=preprocessor)
    pb = DiscretePolicyEstimator(module_pb, env.n_actions, preprocessor=preprocessor,
                                 is_backward=True)
    gflownet = TBGFlowNet(pf=pf, pb=pb, init_logZ=0.0).to(device)
    sampler = Sampler(estimator=pf)
    optimizer = torch.optim.Adam(gflownet.pf_pb_parameters(), lr=args.lr)
    optimizer.add_param_group({"params": gflownet.logz_parameters(), "lr": args.lr_logz})

    started = time.perf_counter()
    for it in range(1, args.iterations + 1):
        trajectories = sampler.sample_trajectories(env, n=args.batch_size, save_logprobs=True,
                                                   epsilon=args.epsilon)
        optimizer.zero_grad()
        loss = gflownet.loss(env, trajectories, recalculate_all_logprobs=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gflownet.parameters(), 1.0)
        optimizer.step()
        if it % args.validation_interval == 0 or it == args.iterations:
            l1 = exact_l1(env, twin, pf)
            print(f"{args.env} iter {it}: loss {loss.item():.4f} log Z "
                  f"{gflownet.logZ.item():.4f} (exact {twin.log_partition():.4f}) "
                  f"exact L1 {l1:.4f} ({time.perf_counter() - started:.1f} s)", flush=True)
    return l1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", choices=["gfnc", "torchgfn"], default="gfnc")
    parser.add_argument("--no_cuda", action="store_true")
    parser.add_argument("--ndim", type=int, default=2)
    parser.add_argument("--height", type=int, default=8)
    parser.add_argument("--R0", type=float, default=0.1)
    parser.add_argument("--R1", type=float, default=0.5)
    parser.add_argument("--R2", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr_logz", type=float, default=1e-1)
    parser.add_argument("--uniform_pb", action="store_true")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--validation_interval", type=int, default=250)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--epsilon", type=float, default=0.0)
    main(parser.parse_args())
