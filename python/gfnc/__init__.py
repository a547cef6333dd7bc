"""gfnc in Python: compiled `.gfn` GFlowNet environments as batched numpy methods.

    >>> import gfnc
    >>> env = gfnc.load("examples/hypergrid.gfn", D=2, H=8)
    >>> s = env.initial_states(4)              # int32 [4, env.width]
    >>> m = env.forward_masks(s)               # bool  [4, env.action_count]
    >>> s = env.step(s, np.zeros(4, np.int64)) # int32 [4, env.width]
    >>> env.enumerate()["log_z"]

Conventions (docs/python.md):

- a batch of states is an integer array ``[n, env.width]`` (any integer dtype; it is converted
  to int32, values out of int32 raise), one row per state, in gfnc's slot layout;
- actions are integers ``[n]`` in the flat action space ``0 .. env.action_count``; the last,
  ``env.stop_action``, is ``stop``;
- every batch runs in Rust with the GIL released, one loop over the rows;
- a bad input (dtype, shape, out-of-range action, a state not of the type, an action not
  allowed) raises ``TypeError`` or ``ValueError``; the model failing at run time, or a file
  that does not check, raises ``GfnError`` with gfnc's rendered diagnostic.
"""

import json
import os

import numpy as np

from ._gfnc import GfnError, __version__
from ._gfnc import load as _load

__all__ = ["load", "Env", "GfnError", "__version__", "read_run", "Run"]

_INT32 = np.iinfo(np.int32)


def _param_text(value):
    """A Python value as `--set` text: bools as true/false, lists as [..], str unchanged."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_param_text(v) for v in value) + "]"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    raise TypeError(f"parameter value {value!r}: expected a bool, int, float, str or list")


def load(path, *, scorer_timeout=None, **params):
    """Compile the `.gfn` file at `path` into an :class:`Env`.

    Keyword arguments set params, as ``--set NAME=VALUE`` does: ``load(p, D=4, H=8)``; a list
    sets an array param, a string is passed as written (``W="@weights.csv"``). Tables
    (``load("...")``) and external scorers are found in the file's folder. `scorer_timeout`
    (seconds) bounds one batch of an external scorer. A file that does not parse, check or
    compile raises :class:`GfnError` whose message is gfnc's rendered diagnostic.
    """
    overrides = [f"{name}={_param_text(v)}" for name, v in params.items()]
    return Env(_load(os.fspath(path), overrides, scorer_timeout))


def _states(states, width):
    """An integer array [n, width] as C-contiguous int32, or a clear TypeError/ValueError."""
    a = np.asarray(states)
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(np.int32)
    if a.dtype.kind not in "iu":
        raise TypeError(f"states must be an integer array (int32 preferred), got dtype {a.dtype}")
    if a.ndim == 1 and a.shape[0] == width:
        raise ValueError(f"states must have shape [n, {width}], got {list(a.shape)}: "
                         "for one state pass states[None] (shape [1, width])")
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"states must have shape [n, {width}], got {list(a.shape)}")
    if a.dtype != np.int32:
        if a.size and (a.min() < _INT32.min or a.max() > _INT32.max):
            raise ValueError("states hold values outside int32")
        a = a.astype(np.int32)
    return np.ascontiguousarray(a)


def _actions(actions, n):
    a = np.asarray(actions)
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(np.int64)  # np.asarray([]) is float64: an empty batch has no wrong values
    if a.dtype.kind not in "iu":
        raise TypeError(f"actions must be an integer array (int64 preferred), got dtype {a.dtype}")
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"actions must have shape [{n}] (one per state), got {list(a.shape)}")
    if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError("actions hold values outside int64")
    return np.ascontiguousarray(a, dtype=np.int64)


def _floats(values, name, ndim):
    a = np.asarray(values)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {list(a.shape)}")
    return np.ascontiguousarray(a, dtype=np.float64)


class Env:
    """A compiled `.gfn` environment. Made by :func:`load`.

    Attributes: ``name``, ``path``, ``source``, ``width`` (slots per state), ``action_count``
    (the flat action space, ``stop`` included), ``stop_action`` (``action_count - 1``),
    ``has_stop``, ``action_names`` (list of str), ``encoding_width``, ``s0`` (int32 [width]).
    """

    def __init__(self, inner):
        self._env = inner

    def __getattr__(self, name):
        # Properties of the compiled environment (name, width, action_count, ...).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._env, name)

    def __repr__(self):
        return (f"<gfnc.Env {self.name!r} from {self.path!r}: width {self.width}, "
                f"{self.action_count} actions>")

    # States and actions

    def initial_states(self, n):
        """`n` copies of s0: int32 [n, width]."""
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        return self._env.initial_states(n)

    def forward_masks(self, states):
        """Actions allowed forward: bool [n, action_count] (``stop`` last; all False in a done state)."""
        return self._env.forward_masks(_states(states, self.width))

    def backward_masks(self, states):
        """Actions allowed backward: bool [n, action_count]; column a is True when some state
        steps into this one by a (derived parents; ``stop`` never)."""
        return self._env.backward_masks(_states(states, self.width))

    def step(self, states, actions):
        """Children: int32 [n, width]. `actions` int [n], each allowed in its state, not ``stop``."""
        s = _states(states, self.width)
        return self._env.step(s, _actions(actions, s.shape[0]))

    def backward_step(self, states, actions):
        """Parents: int32 [n, width], the state each row came from by its action (int [n], allowed backward)."""
        s = _states(states, self.width)
        return self._env.backward_step(s, _actions(actions, s.shape[0]))

    def is_terminal(self, states):
        """bool [n]: the trajectory may end here (``stop`` allowed, or ``done``)."""
        return self._env.is_terminal(_states(states, self.width))

    def is_done(self, states):
        """bool [n]: ``done`` holds (terminal, no action allowed)."""
        return self._env.is_done(_states(states, self.width))

    def is_mode(self, states):
        """bool [n]: ``mode`` holds."""
        return self._env.is_mode(_states(states, self.width))

    def log_reward(self, states):
        """float64 [n]: log R of terminal states (external scorers asked once for the batch).
        A state that is not terminal raises ValueError."""
        return self._env.log_reward(_states(states, self.width))

    def encode(self, states):
        """float32 [n, encoding_width]: the one-hot encoding gfnc's MLP policy reads."""
        return self._env.encode(_states(states, self.width))

    def render(self, states):
        """list of n str: each state in the `.gfn` state syntax, e.g. ``x=[3, 5]``."""
        return self._env.render(_states(states, self.width))

    def parse(self, texts):
        """int32 [n, width] from a str or a list of str in the `.gfn` state syntax."""
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("parse takes a str or a list of str")
        return self._env.parse(texts)

    # The reachable graph

    def enumerate(self, max_states=1_000_000, max_memory_mb=4000):
        """Enumerate the reachable DAG from s0 and check it as ``gfnc check`` does (computed
        once, then cached). Raises GfnError when it does not fit the budget or a check fails.

        Returns a dict:
          ``states``       int32 [S, width]  every reachable state, breadth-first, s0 first
          ``is_terminal``  bool [S]
          ``objects``      int32 [T, width]  the terminal objects, in state order
          ``object_ids``   int64 [T]         their rows in ``states``
          ``log_rewards``  float64 [T]       log R of each object
          ``is_mode``      bool [T]
          ``log_z``        float             log of the sum of rewards
          ``max_len``      int               most actions on a trajectory (``stop`` not counted)
          ``modes``        int               modes to find (as ``gfnc enumerate`` counts them)
          ``edge_sources``, ``edge_actions``, ``edge_targets``  int64 [E]  forward edges
        """
        return self._env.enumerate(int(max_states), int(max_memory_mb))

    def state_index(self, states):
        """int64 [n]: each state's row in ``enumerate()["states"]``, -1 if unreachable."""
        return self._env.state_index(_states(states, self.width))

    def object_index(self, states):
        """int64 [n]: each state's row in ``enumerate()["objects"]``, -1 if not a reachable object."""
        return self._env.object_index(_states(states, self.width))

    def log_rewards_of_objects(self):
        """float64 [T]: ``enumerate()["log_rewards"]``."""
        return self.enumerate()["log_rewards"]

    def target(self):
        """float64 [T]: R(x)/Z over ``enumerate()["objects"]``."""
        e = self.enumerate()
        return np.exp(e["log_rewards"] - e["log_z"])

    def distances(self, p):
        """Exact distances of a distribution over the terminal objects to R/Z.

        `p`: float [T], in the order of ``enumerate()["objects"]``, summing to 1 (for samples:
        ``np.bincount(env.object_index(x), minlength=T) / len(x)``). Returns a dict with ``l1``
        (Σ|p − R/Z|, torchgfn's convention), ``tv`` (half of it) and ``kl`` (KL(R/Z ‖ p)).
        """
        self.enumerate()
        return self._env.distances(_floats(p, "p", 1))

    def terminal_distribution(self, forward):
        """The exact terminal distribution of a forward policy, float64 [T].

        `forward`: float [S, action_count], per row of ``enumerate()["states"]`` the policy's
        probabilities over the flat action space (``stop`` last; rows of done states are ignored).
        """
        self.enumerate()
        return self._env.terminal_distribution(_floats(forward, "forward", 2))

    def empirical_distribution(self, objects):
        """float64 [T]: the share of each terminal object among `objects` (int [n, width])."""
        e = self.enumerate()
        idx = self.object_index(objects)
        if (idx < 0).any():
            row = int(np.argmax(idx < 0))
            raise ValueError(f"row {row} is not a reachable terminal object")
        counts = np.bincount(idx, minlength=len(e["object_ids"]))
        return counts / max(len(idx), 1)


from .runs import Run, read_run  # noqa: E402  (the run reader uses load)
