"""For every example: Python's enumeration, masks, steps, backward steps and rewards equal the
CLI's (`gfnc enumerate --json`, `gfnc inspect --state`)."""

import math

import numpy as np
import pytest

import gfnc
from conftest import EXAMPLES, ROOT, cli_json, run_cli

# Examples whose reachable graph is not meant to enumerate: the expected diagnostic code, or
# None when it is only too large.
NOT_ENUMERABLE = {
    "bitseq_large": "gfn::env::too_many_states",
    "bitseq120": "gfn::env::too_many_states",
    "spins_with_a_bug": "gfn::env::cycle",
}

_envs = {}


def env_of(path):
    if path not in _envs:
        _envs[path] = gfnc.load(path)
    return _envs[path]


def ids(paths):
    return [p.stem for p in paths]


@pytest.mark.parametrize("path", EXAMPLES, ids=ids(EXAMPLES))
def test_enumeration_equals_the_cli(path):
    env = env_of(path)
    if path.stem in NOT_ENUMERABLE:
        code = NOT_ENUMERABLE[path.stem]
        with pytest.raises(gfnc.GfnError) as raised:
            env.enumerate(max_states=20_000)
        status, _, stderr = run_cli("enumerate", path, "--json", "--max-states", 20_000,
                                    "--color", "never", check=False)
        assert status == 1
        assert code in str(raised.value), str(raised.value)
        assert code in stderr, stderr
        return
    e = env.enumerate()
    t = len(e["objects"])
    cli = cli_json("enumerate", path, "--json", "--top", max(t, 1))
    assert cli["states"] == len(e["states"])
    assert cli["terminal"] == t == int(e["is_terminal"].sum())
    assert cli["edges"] == len(e["edge_sources"])
    assert cli["max_len"] == e["max_len"]
    assert cli["modes"] == e["modes"]
    assert math.isclose(cli["log_z"], e["log_z"], rel_tol=1e-12, abs_tol=1e-12)
    # Every terminal object with its log reward, in the CLI's order (by reward, then state id).
    order = sorted(range(t), key=lambda k: (-e["log_rewards"][k], e["object_ids"][k]))
    rendered = env.render(e["objects"])
    assert [x["state"] for x in cli["top"]] == [rendered[k] for k in order]
    np.testing.assert_allclose([x["log_reward"] for x in cli["top"]],
                               e["log_rewards"][order], rtol=1e-12, atol=1e-12)
    # The enumeration is consistent with the batched methods.
    assert np.array_equal(e["states"][0], env.s0)
    assert np.array_equal(env.is_terminal(e["states"]), e["is_terminal"])
    assert np.array_equal(e["objects"], e["states"][e["object_ids"]])
    np.testing.assert_allclose(env.log_reward(e["objects"]), e["log_rewards"], rtol=1e-12)
    children = env.step(e["states"][e["edge_sources"]], e["edge_actions"])
    assert np.array_equal(children, e["states"][e["edge_targets"]])
    parents = env.backward_step(children, e["edge_actions"])
    assert np.array_equal(parents, e["states"][e["edge_sources"]])
    assert np.array_equal(env.state_index(e["states"]), np.arange(len(e["states"])))
    assert np.array_equal(env.parse(env.render(e["states"])), e["states"])


def states_to_inspect(env, path, rng):
    """s0, a few reachable states and a few terminal objects (by random walks when the graph
    does not enumerate)."""
    if path.stem not in NOT_ENUMERABLE:
        e = env.enumerate()
        picks = [0] + list(rng.choice(len(e["states"]), size=3))
        picks += list(e["object_ids"][rng.choice(len(e["objects"]), size=2)])
        return e["states"][picks]
    states = [env.s0]
    s = env.s0[None]
    for _ in range(6):
        allowed = np.flatnonzero(env.forward_masks(s)[0][:-1])
        if len(allowed) == 0:
            break
        s = env.step(s, [rng.choice(allowed)])
        states.append(s[0])
    return np.array(states, dtype=np.int32)


def parse_inspect(text):
    """The kind, log reward, forward and backward moves `gfnc inspect` prints."""
    out = {"terminal": None, "log_reward": None, "forward": {}, "backward": {},
           "non_injective": False}
    section = None
    for line in text.splitlines():
        if line.startswith("kind"):
            out["terminal"] = "not terminal" not in line
        elif line.startswith("reward"):
            out["log_reward"] = float(line.rsplit("(log ", 1)[1].rstrip(")"))
        elif line in ("forward:", "backward:"):
            section = line[:-1]
        elif line.startswith("  (two parents"):
            out["non_injective"] = True
        elif section == "forward" and line.startswith("  "):
            name, child = line.strip().split(" -> ", 1)
            out["forward"][name.strip()] = child.strip()
        elif section == "backward" and line.startswith("  "):
            name, parent = line.strip().split(" <- ", 1)
            out["backward"].setdefault(name.strip(), []).append(parent.rsplit("   (", 1)[0].strip())
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=ids(EXAMPLES))
def test_masks_steps_parents_and_rewards_equal_inspect(path):
    env = env_of(path)
    rng = np.random.default_rng(7)
    names = env.action_names
    for state in states_to_inspect(env, path, rng):
        text = env.render(state[None])[0]
        # One state at a time: --max-states 1 skips the exploration, which inspect only needs
        # to say whether the state is reachable.
        _, stdout, _ = run_cli("inspect", path, "--state", text, "--max-states", 1,
                               "--probe", 0, "--color", "never")
        cli = parse_inspect(stdout)
        s = state[None]
        terminal = bool(env.is_terminal(s)[0])
        assert terminal == cli["terminal"], text
        if terminal:
            assert math.isclose(env.log_reward(s)[0], cli["log_reward"], rel_tol=1e-10,
                                abs_tol=1e-10), text
        forward = np.flatnonzero(env.forward_masks(s)[0])
        assert sorted(names[a] for a in forward) == sorted(cli["forward"]), text
        moves = [a for a in forward if a != env.stop_action]
        if moves:
            children = env.render(env.step(np.repeat(s, len(moves), 0), moves))
            assert {names[a]: c for a, c in zip(moves, children)} == \
                {k: v for k, v in cli["forward"].items() if k != "stop"}, text
        if cli["non_injective"]:
            with pytest.raises(gfnc.GfnError, match="gfn::env::non_injective"):
                env.backward_masks(s)
            continue
        backward = np.flatnonzero(env.backward_masks(s)[0])
        assert sorted(names[a] for a in backward) == sorted(cli["backward"]), text
        if len(backward):
            parents = env.render(env.backward_step(np.repeat(s, len(backward), 0), backward))
            assert {names[a]: [p] for a, p in zip(backward, parents)} == cli["backward"], text


def test_done_when_log_z_of_hypergrid_d4_equals_the_cli():
    path = ROOT / "examples" / "hypergrid.gfn"
    cli = cli_json("enumerate", path, "--json", "--set", "D=4")
    assert gfnc.load(path, D=4).enumerate()["log_z"] == cli["log_z"]


def test_distances_are_exact():
    env = gfnc.load(ROOT / "examples" / "hypergrid.gfn")
    target = env.target()
    d = env.distances(target)
    assert d["l1"] == pytest.approx(0, abs=1e-12) and d["kl"] == pytest.approx(0, abs=1e-12)
    uniform = np.full(len(target), 1 / len(target))
    d = env.distances(uniform)
    assert d["l1"] == pytest.approx(np.abs(uniform - target).sum(), rel=1e-12)
    assert d["tv"] == pytest.approx(d["l1"] / 2)
    assert d["kl"] == pytest.approx((target * np.log(target / uniform)).sum(), rel=1e-12)
    # The uniform forward policy's terminal distribution sums to one; samples give an
    # empirical distribution over the same objects.
    e = env.enumerate()
    masks = env.forward_masks(e["states"]).astype(float)
    p = env.terminal_distribution(masks / masks.sum(1, keepdims=True))
    assert p.sum() == pytest.approx(1, abs=1e-12)
    objects = e["objects"][[0, 0, 1, 3]]
    emp = env.empirical_distribution(objects)
    assert emp[0] == 0.5 and emp[1] == 0.25 and emp.sum() == 1


def test_extern_scorer_rewards_equal_the_enumeration():
    env = env_of(ROOT / "examples" / "bn_structure.gfn")
    e = env.enumerate()
    some = e["objects"][:: max(1, len(e["objects"]) // 50)]
    np.testing.assert_allclose(env.log_reward(some), e["log_rewards"][:: max(1, len(e["objects"]) // 50)])
