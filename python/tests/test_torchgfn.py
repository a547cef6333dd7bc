"""gfnc.torchgfn against torchgfn's own HyperGrid (skipped unless torch and torchgfn are installed)."""

import numpy as np
import pytest

from conftest import ROOT

torch = pytest.importorskip("torch")
pytest.importorskip("gfn")

from gfn.gym import HyperGrid  # noqa: E402

from gfnc.torchgfn import GfncEnv, GfncPreprocessor  # noqa: E402

HYPERGRID = ROOT / "examples" / "hypergrid.gfn"


def test_the_adapter_equals_torchgfns_hypergrid():
    ours = GfncEnv(HYPERGRID, D=3, H=5)
    theirs = HyperGrid(ndim=3, height=5, validate_modes=False, store_all_states=True,
                       calculate_partition=True)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.integers(0, 5, size=(64, 3)))
    a, b = ours.States(x.clone()), theirs.States(x.clone())
    assert torch.equal(a.forward_masks, b.forward_masks)
    assert torch.equal(a.backward_masks, b.backward_masks)
    torch.testing.assert_close(ours.log_reward(a), theirs.log_reward(b).to(torch.get_default_dtype()))
    # A step from s0 and back, with a sink row in the batch.
    s0 = ours.reset(batch_shape=(3,))
    actions = ours.actions_from_tensor(torch.tensor([[0], [2], [ours.n_actions - 1]]))
    children = ours._step(s0, actions)
    assert children.tensor[0].tolist() == [1, 0, 0] and children.is_sink_state.tolist() == [False, False, True]
    assert children.forward_masks.shape == (3, ours.n_actions)
    back = ours._backward_step(children[:2], ours.actions_from_tensor(torch.tensor([[0], [2]])))
    assert back.is_initial_state.all()
    assert ours.log_partition() == pytest.approx(theirs.log_partition(), rel=1e-6)
    # The same distribution, over objects numbered differently (gfnc: breadth-first).
    order = theirs.get_terminating_states_indices(theirs.States(ours.terminating_states.tensor))
    torch.testing.assert_close(ours.true_dist().double(), theirs.true_dist()[order].double(),
                               rtol=1e-6, atol=1e-9)
    assert torch.equal(ours.get_terminating_states_indices(ours.terminating_states),
                       torch.arange(125))
    assert ours.n_terminating_states == theirs.n_terminating_states == 125
    features = GfncPreprocessor(ours)(children)
    assert features.shape == (3, 15) and features[2].abs().sum() == 0


def test_torchgfn_trains_on_a_gfn_file():
    from gfn.estimators import DiscretePolicyEstimator
    from gfn.gflownet import TBGFlowNet
    from gfn.samplers import Sampler
    from gfn.utils.modules import MLP, DiscreteUniform

    torch.manual_seed(0)
    env = GfncEnv(HYPERGRID, D=2, H=4)
    pre = GfncPreprocessor(env)
    pf = DiscretePolicyEstimator(MLP(pre.output_dim, env.n_actions), env.n_actions, preprocessor=pre)
    pb = DiscretePolicyEstimator(DiscreteUniform(env.n_actions - 1), env.n_actions,
                                 preprocessor=pre, is_backward=True)
    gflownet = TBGFlowNet(pf=pf, pb=pb)
    optimizer = torch.optim.Adam(gflownet.pf_pb_parameters(), lr=1e-3)
    optimizer.add_param_group({"params": gflownet.logz_parameters(), "lr": 0.1})
    sampler = Sampler(estimator=pf)
    before, _ = env.exact_l1(pf)
    for _ in range(200):
        trajectories = sampler.sample_trajectories(env, n=16, save_logprobs=True)
        optimizer.zero_grad()
        gflownet.loss(env, trajectories, recalculate_all_logprobs=False).backward()
        optimizer.step()
    after, p = env.exact_l1(pf)
    assert p.sum() == pytest.approx(1)
    assert after < before / 2, (before, after)
