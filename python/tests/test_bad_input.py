"""Bad input raises a clear exception (TypeError, ValueError, GfnError, OSError), never a crash."""

import numpy as np
import pytest

import gfnc
from conftest import ROOT

HYPERGRID = ROOT / "examples" / "hypergrid.gfn"


@pytest.fixture(scope="module")
def env():
    return gfnc.load(HYPERGRID, D=2, H=8)


def test_wrong_dtype(env):
    s = env.initial_states(2)
    with pytest.raises(TypeError, match="integer array"):
        env.forward_masks(s.astype(np.float32))
    with pytest.raises(TypeError, match="integer array"):
        env.step(s, np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="integer array"):
        env.step(s.astype(bool), [0, 1])
    with pytest.raises(TypeError):
        env.log_reward([["a", "b"]])
    with pytest.raises(TypeError, match="float array"):
        env.distances(np.array(["x"] * len(env.enumerate()["objects"])))


def test_other_integer_dtypes_and_layouts_are_accepted(env):
    s = env.parse(["x=[3, 5]", "x=[1, 2]"])
    for dtype in (np.int8, np.uint16, np.int64):
        assert np.array_equal(env.forward_masks(s.astype(dtype)), env.forward_masks(s))
    reversed_rows = s[::-1]  # not contiguous
    assert env.render(reversed_rows) == ["x=[1, 2]", "x=[3, 5]"]
    assert env.render(np.asfortranarray(s)) == ["x=[3, 5]", "x=[1, 2]"]
    assert env.step(s, np.array([0, 1], dtype=np.int32)).dtype == np.int32


def test_wrong_shape(env):
    s = env.initial_states(2)
    with pytest.raises(ValueError, match=r"shape \[n, 2\].*states\[None\]"):
        env.forward_masks(s[0])
    with pytest.raises(ValueError, match=r"shape \[n, 2\]"):
        env.forward_masks(np.zeros((2, 3), np.int32))
    with pytest.raises(ValueError, match=r"shape \[n, 2\]"):
        env.forward_masks(np.zeros((2, 2, 1), np.int32))
    with pytest.raises(ValueError, match=r"shape \[2\]"):
        env.step(s, [0])
    with pytest.raises(ValueError, match=r"shape \[2\]"):
        env.step(s, [[0], [1]])
    with pytest.raises(ValueError, match="one probability per terminal object"):
        env.distances(np.ones(3) / 3)
    with pytest.raises(ValueError, match="states × actions"):
        env.terminal_distribution(np.ones((2, env.action_count)))
    # An empty batch is a batch.
    assert env.step(np.zeros((0, 2), np.int32), []).shape == (0, 2)
    assert env.forward_masks(np.zeros((0, 2), np.int32)).shape == (0, env.action_count)


def test_out_of_range_actions(env):
    s = env.initial_states(2)
    for bad in (-1, env.action_count, 2**40):
        with pytest.raises(ValueError, match="outside the flat action space"):
            env.step(s, [0, bad])
        with pytest.raises(ValueError, match="outside the flat action space"):
            env.backward_step(s, [bad, 0])
    with pytest.raises(ValueError, match="outside int64"):
        env.step(s, np.array([0, 2**64 - 1], dtype=np.uint64))


def test_actions_not_allowed(env):
    s = env.initial_states(1)
    with pytest.raises(ValueError, match="is `stop`, which ends the trajectory"):
        env.step(s, [env.stop_action])
    edge = env.parse(["x=[7, 0]"])
    with pytest.raises(ValueError, match=r"action 0 \(`step\(i=0\)`\) is not allowed in state x=\[7, 0\]"):
        env.step(edge, [0])
    with pytest.raises(ValueError, match="not allowed backward"):
        env.backward_step(s, [0])
    with pytest.raises(ValueError, match="not allowed backward"):
        env.backward_step(edge, [1])


def test_states_not_of_the_type(env):
    for bad in ([[8, 0]], [[0, -1]], [[2**31 - 1, 0]]):
        with pytest.raises(ValueError, match="is not a state of `hypergrid`"):
            env.step(bad, [0])
        with pytest.raises(ValueError, match="is not a state of `hypergrid`"):
            env.log_reward(bad)
    with pytest.raises(ValueError, match="outside int32"):
        env.forward_masks([[2**40, 0]])
    with pytest.raises(ValueError, match="there is no field `y`"):
        env.parse(["y=[1, 2]"])
    with pytest.raises(ValueError, match="item 1"):
        env.parse(["x=[1, 2]", "x=[1, 2"])
    with pytest.raises(TypeError):
        env.parse([1, 2])


def test_reward_of_a_state_that_is_not_terminal(tmp_path):
    path = tmp_path / "count.gfn"
    path.write_text("env count\nstate { n: 0..4 }\naction inc when n < 3 { n += 1 }\n"
                    "done when n == 3\nreward float(n) + 1\n")
    env = gfnc.load(path)
    with pytest.raises(ValueError, match="is not terminal"):
        env.log_reward(env.initial_states(1))


def test_model_errors_raise_the_rendered_diagnostic(tmp_path):
    path = tmp_path / "zero.gfn"
    path.write_text("env zero\nstate { n: 0..3 }\naction inc when n < 2 { n += 1 }\nstop\n"
                    "reward float(n)\n")
    env = gfnc.load(path)
    with pytest.raises(gfnc.GfnError, match="gfn::env::bad_reward") as raised:
        env.log_reward(env.initial_states(1))
    assert "zero.gfn:5" in str(raised.value)
    with pytest.raises(gfnc.GfnError, match="gfn::env::bad_reward"):
        env.enumerate()


def test_load_errors(tmp_path):
    path = tmp_path / "broken.gfn"
    path.write_text("env broken\nstate { n: 0..3 }\naction inc when m < 2 { n += 1 }\nstop\nreward 1\n")
    with pytest.raises(gfnc.GfnError) as raised:
        gfnc.load(path)
    message = str(raised.value)
    assert "broken.gfn:3" in message and "`m`" in message
    with pytest.raises(gfnc.GfnError, match="set_unknown_param"):
        gfnc.load(HYPERGRID, Q=3)
    with pytest.raises(gfnc.GfnError):
        gfnc.load(HYPERGRID, D="many")
    with pytest.raises(OSError, match="missing.gfn"):
        gfnc.load(tmp_path / "missing.gfn")
    with pytest.raises(TypeError, match="parameter value"):
        gfnc.load(HYPERGRID, D=object())
    with pytest.raises(ValueError, match="scorer_timeout"):
        gfnc.load(HYPERGRID, scorer_timeout=-1)
    assert gfnc.load(HYPERGRID, D=3, H=[4][0]).width == 3


def test_lookups_need_the_enumeration_first():
    env = gfnc.load(HYPERGRID)
    with pytest.raises(ValueError, match="enumerate"):
        env._env.state_index(env.initial_states(1))
    env.enumerate()
    assert env.state_index(env.initial_states(1))[0] == 0
    assert env.object_index(env.initial_states(1))[0] >= 0
