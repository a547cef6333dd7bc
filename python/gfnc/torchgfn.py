"""A `.gfn` environment as a torchgfn `DiscreteEnv` (torchgfn 2.x), so that torchgfn's
samplers, losses and estimators train on it unchanged, on CPU or GPU.

    >>> from gfnc.torchgfn import GfncEnv, GfncPreprocessor
    >>> env = GfncEnv("examples/hypergrid.gfn", D=2, H=8, device="cuda")
    >>> preprocessor = GfncPreprocessor(env)          # gfnc's one-hot encoding
    >>> # ... then torchgfn as usual: MLP, DiscretePolicyEstimator, TBGFlowNet, Sampler

Mapping (docs/python.md): a torchgfn state tensor is gfnc's slot vector (`long`,
[*batch, width]); actions are gfnc's flat actions with `stop` as torchgfn's exit action
(the last); backward actions are the same minus exit. A gfnc `done` state allows exit only.
The sink state sf is a row of int32's minimum, which no gfnc state holds. Steps, masks and
rewards run in gfnc (Rust, GIL released) on the CPU; tensors are moved to and from `device`.
The enumeration (`true_dist`, `log_partition`, `all_states`, state indices) is gfnc's exact
one, computed on first use; on an environment too large to enumerate these raise
NotImplementedError, which torchgfn's validation treats as "not available".

Importing this module needs torch and torchgfn (`pip install torchgfn`).
"""

import numpy as np
import torch
from gfn.env import DiscreteEnv
from gfn.preprocessors import Preprocessor
from gfn.states import DiscreteStates

import gfnc as _gfnc

__all__ = ["GfncEnv", "GfncPreprocessor"]

_SINK = int(np.iinfo(np.int32).min)


class GfncEnv(DiscreteEnv):
    """A torchgfn DiscreteEnv over a `.gfn` file (a path, or a `gfnc.Env` already loaded)."""

    def __init__(self, source, device="cpu", debug=False, scorer_timeout=None, **params):
        if isinstance(source, _gfnc.Env):
            if params:
                raise ValueError("params are set when the file is loaded: gfnc.load(path, **params)")
            self.gfnc = source
        else:
            self.gfnc = _gfnc.load(source, scorer_timeout=scorer_timeout, **params)
        self._inner = self.gfnc._env  # the Rust object: no Python checks on the hot path
        device = torch.device(device)
        width = self.gfnc.width
        s0 = torch.as_tensor(self.gfnc.s0, dtype=torch.long, device=device)
        sf = torch.full((width,), _SINK, dtype=torch.long, device=device)
        self._enumeration = None
        super().__init__(n_actions=self.gfnc.action_count, s0=s0, state_shape=(width,),
                         sf=sf, debug=debug)

    # Conversions between torch tensors and gfnc's int32 arrays.

    def _rows(self, tensor):
        """[*batch, width] long -> (int32 [n, width] numpy of the real rows, their mask [n] as a
        numpy bool array, or None when every row is real: the common case, without a copy)."""
        flat = tensor.reshape(-1, self.gfnc.width).to(torch.int32).cpu().numpy()
        sink = (flat == _SINK).all(1)
        if not sink.any():
            return np.ascontiguousarray(flat), None
        real = ~sink
        return np.ascontiguousarray(flat[real]), real

    def _states(self, array, device):
        return torch.from_numpy(array).to(device=device, dtype=torch.long)

    def _scatter(self, values, real, fill, shape, device):
        """Rows computed for the real states, `fill` for sink rows, as a tensor of `shape`."""
        if real is not None:
            full = np.full((len(real),) + values.shape[1:], fill, dtype=values.dtype)
            full[real] = values
            values = full
        return torch.from_numpy(values).reshape(shape).to(device)

    # DiscreteEnv

    def make_states_class(self):
        env = self

        class GfncStates(DiscreteStates):
            state_shape = env.state_shape
            s0 = env.s0
            sf = env.sf
            make_random_states = env.make_random_states
            n_actions = env.n_actions

            def _compute_forward_masks(self):
                return env._forward_masks(self.tensor)

            def _compute_backward_masks(self):
                return env._backward_masks(self.tensor)

        return GfncStates

    # Sink rows get all-True masks, as torchgfn's HyperGrid gives them; nothing reads them.
    def _forward_masks(self, tensor):
        rows, real = self._rows(tensor)
        m = self._inner.forward_masks(rows)
        done = ~m.any(1)  # a `done` state ends the trajectory: exit is its only action
        if done.any():
            m[done, -1] = True
        return self._scatter(m, real, True, tensor.shape[:-1] + (self.n_actions,), tensor.device)

    def _backward_masks(self, tensor):
        rows, real = self._rows(tensor)
        m = np.ascontiguousarray(self._inner.backward_masks(rows)[:, :-1])
        return self._scatter(m, real, True, tensor.shape[:-1] + (self.n_actions - 1,),
                             tensor.device)

    def step(self, states, actions):
        rows = np.ascontiguousarray(states.tensor.to(torch.int32).cpu().numpy())
        a = np.ascontiguousarray(actions.tensor.reshape(-1).cpu().numpy(), dtype=np.int64)
        return self.States(self._states(self._inner.step(rows, a), states.tensor.device))

    def backward_step(self, states, actions):
        rows = np.ascontiguousarray(states.tensor.to(torch.int32).cpu().numpy())
        a = np.ascontiguousarray(actions.tensor.reshape(-1).cpu().numpy(), dtype=np.int64)
        return self.States(self._states(self._inner.backward_step(rows, a),
                                        states.tensor.device))

    def log_reward(self, states):
        rows, real = self._rows(states.tensor)
        values = self._inner.log_reward(rows)
        out = self._scatter(values, real, -np.inf, states.batch_shape, states.tensor.device)
        return out.to(torch.get_default_dtype())

    def reward(self, states):
        return self.log_reward(states).exp()

    def make_random_states(self, batch_shape, conditions=None, device=None, debug=False):
        """Uniform over the reachable states (needs the enumeration)."""
        e = self._enumerated()
        n = int(np.prod(batch_shape))
        picks = np.random.randint(0, len(e["states"]), size=n)
        tensor = self._states(np.ascontiguousarray(e["states"][picks]), device or self.device)
        return self.States(tensor.reshape(tuple(batch_shape) + self.state_shape),
                           conditions=conditions, debug=debug)

    # Enumeration: gfnc's exact one, on first use.

    def _enumerated(self):
        if self._enumeration is None:
            try:
                self._enumeration = self.gfnc.enumerate()
            except _gfnc.GfnError as error:
                raise NotImplementedError(f"gfnc cannot enumerate this environment:\n{error}")
        return self._enumeration

    def get_states_indices(self, states):
        self._enumerated()
        tensor = states.tensor if isinstance(states, DiscreteStates) else states
        rows, real = self._rows(tensor)
        ids = self._inner.state_index(rows)
        return self._scatter(ids, real, -1, tensor.shape[:-1], tensor.device)

    def get_terminating_states_indices(self, states):
        self._enumerated()
        rows, real = self._rows(states.tensor)
        ids = self._inner.object_index(rows)
        return self._scatter(ids, real, -1, states.batch_shape, states.tensor.device)

    @property
    def n_states(self):
        return len(self._enumerated()["states"])

    @property
    def n_terminating_states(self):
        return len(self._enumerated()["objects"])

    @property
    def all_states(self):
        return self.States(self._states(self._enumerated()["states"], self.device))

    @property
    def terminating_states(self):
        return self.States(self._states(self._enumerated()["objects"], self.device))

    def true_dist(self, condition=None):
        e = self._enumerated()
        return torch.from_numpy(np.exp(e["log_rewards"] - e["log_z"])).to(
            dtype=torch.get_default_dtype(), device=self.device)

    def log_partition(self, condition=None):
        return float(self._enumerated()["log_z"])

    def exact_l1(self, pf_estimator, batch=65536):
        """The exact L1 of a torchgfn forward estimator's terminal distribution to R/Z,
        through gfnc's DAG (no sampling). Also returns the distribution."""
        e = self._enumerated()
        rows = []
        with torch.no_grad():
            for start in range(0, len(e["states"]), batch):
                states = self.States(self._states(e["states"][start:start + batch], self.device))
                out = pf_estimator(states)
                logits = out.masked_fill(~states.forward_masks, float("-inf"))
                rows.append(torch.softmax(logits, -1).double().cpu().numpy())
        p = self.gfnc.terminal_distribution(np.concatenate(rows))
        return self.gfnc.distances(p / p.sum())["l1"], p


class GfncPreprocessor(Preprocessor):
    """gfnc's one-hot encoding (what `gfnc run`'s MLP reads) as a torchgfn preprocessor:
    float [*batch, env.gfnc.encoding_width]; sink rows are zeros."""

    def __init__(self, env):
        super().__init__(output_dim=env.gfnc.encoding_width)
        self.env = env

    def preprocess(self, states):
        tensor = states.tensor
        rows, real = self.env._rows(tensor)
        features = self.env._inner.encode(rows)
        out = self.env._scatter(features, real, 0.0, tensor.shape[:-1] + (self.output_dim,),
                                tensor.device)
        return out.to(torch.get_default_dtype())
