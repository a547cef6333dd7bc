"""gfnc's trained MLP policy as a PyTorch module (requires torch; docs/python.md, "The policy").

The checkpoint's `model.safetensors` holds float32 tensors named after PyTorch's nn.Linear:

    trunk.K.weight [hidden, in], trunk.K.bias [hidden]    K = 0 .. layers-1, each then ReLU
    forward.weight [A, width], forward.bias [A]           forward logits, A = env.action_count
    backward.weight/bias [A, width] / [A]                 only with --pb learned or separate
    backward_trunk.K.weight/bias                          only with --pb separate (own trunk)
    flow.weight [1, width], flow.bias [1]                 only for DB and SubTB
    log_z [1]                                             the learned log Z (TB)

`in` is env.encoding_width (the input is env.encode(states)); `width` is hidden, or `in` when
layers = 0. P_F(a | s) is the softmax of the forward logits over the actions allowed in s
(env.forward_masks), `stop` the last column; P_B likewise over env.backward_masks.
"""

import numpy as np
import torch
from torch import nn

from .runs import Run, read_run


def _trunk_layers(tensors, prefix):
    k = 0
    while f"{prefix}.{k}.weight" in tensors:
        k += 1
    return k


def _linear(tensors, name):
    weight = torch.from_numpy(tensors[f"{name}.weight"])
    bias = torch.from_numpy(tensors[f"{name}.bias"])
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


class GfncMlpPolicy(nn.Module):
    """The MLP of a gfnc run: `forward(x)` gives forward logits [n, A] from env.encode features."""

    def __init__(self, tensors):
        super().__init__()
        if "trunk.0.weight" not in tensors and "forward.weight" not in tensors:
            raise ValueError("not an MLP checkpoint (no trunk.0.weight / forward.weight); "
                             "the transformer policy has no PyTorch loader yet")
        self.trunk = nn.ModuleList(_linear(tensors, f"trunk.{k}")
                                   for k in range(_trunk_layers(tensors, "trunk")))
        self.backward_trunk = nn.ModuleList(
            _linear(tensors, f"backward_trunk.{k}")
            for k in range(_trunk_layers(tensors, "backward_trunk")))
        self.forward_head = _linear(tensors, "forward")
        self.backward_head = _linear(tensors, "backward") if "backward.weight" in tensors else None
        self.flow_head = _linear(tensors, "flow") if "flow.weight" in tensors else None
        self.log_z = nn.Parameter(torch.from_numpy(tensors["log_z"].copy()))

    @staticmethod
    def _run(layers, x):
        for layer in layers:
            x = torch.relu(layer(x))
        return x

    def forward(self, x):
        """Forward logits, [n, A]."""
        return self.forward_head(self._run(self.trunk, x))

    def backward_logits(self, x):
        """Backward logits [n, A] (learned P_B), or None with a uniform P_B."""
        if self.backward_head is None:
            return None
        h = self._run(self.backward_trunk, x) if len(self.backward_trunk) else self._run(self.trunk, x)
        return self.backward_head(h)

    def log_flow(self, x):
        """log F(s) [n] (DB, SubTB), or None."""
        if self.flow_head is None:
            return None
        return self.flow_head(self._run(self.trunk, x)).squeeze(-1)

    def log_pf(self, env, states, device=None):
        """log P_F(a | s) [n, A] (float32 tensor; -inf where not allowed) of a gfnc.Env's states."""
        x = torch.from_numpy(env.encode(states)).to(device)
        mask = torch.from_numpy(env.forward_masks(states)).to(device)
        logits = self(x).masked_fill(~mask, float("-inf"))
        return torch.log_softmax(logits, dim=-1)


def load_policy(run, device=None):
    """The trained MLP of a run directory (a path or a :class:`gfnc.Run`), in eval mode."""
    if not isinstance(run, Run):
        run = read_run(run)
    if run.config.get("policy", "mlp") == "transformer":
        raise NotImplementedError("this run trained a transformer; only the MLP has a PyTorch loader")
    module = GfncMlpPolicy(run.tensors())
    return module.to(device).eval()


def exact_terminal_log_probabilities(env, module, device=None, batch=65536):
    """log P_T(x) [T] of each of env.enumerate()["objects"] under `module`'s forward policy."""
    states = env.enumerate()["states"]
    rows = []
    with torch.no_grad():
        for start in range(0, len(states), batch):
            part = states[start:start + batch]
            rows.append(module.log_pf(env, part, device).exp().double().cpu().numpy())
    forward = np.concatenate(rows) if rows else np.zeros((0, env.action_count))
    with np.errstate(divide="ignore"):
        return np.log(env.terminal_distribution(forward))
