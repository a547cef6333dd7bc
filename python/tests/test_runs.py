"""Run directories read from Python, and the trained policy's log-probabilities in PyTorch
against `gfnc sample`'s (skipped without torch)."""

import csv
import io
import json

import numpy as np
import pytest

import gfnc
from conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "hg"
    run_cli("run", ROOT / "examples" / "hypergrid.gfn", "--set", "H=6", "--steps", 100,
            "--eval-every", 50, "--hidden", 32, "--objective", "db", "--out", out, "--json")
    return out


def test_reading_a_run_directory(run_dir):
    run = gfnc.read_run(run_dir)
    record = json.loads((run_dir / "run.json").read_text())
    assert run.config == record["config"] and run.config["objective"] == "db"
    assert run.overrides == ["H=6"] and run.params["H"] == "6"
    assert run.step == 100
    metrics = run.metrics
    assert [m["step"] for m in metrics] == [50, 100]
    assert metrics[-1]["l1"] == pytest.approx(run.final_metrics["l1"], rel=1e-12)
    with open(run_dir / "samples.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(run.samples) == len(rows) > 0
    assert run.samples[0]["state"] == rows[0]["state"]
    tensors = run.tensors()
    env = run.env()
    assert env.width == 2
    assert tensors["trunk.0.weight"].shape == (32, env.encoding_width)
    assert tensors["forward.weight"].shape == (env.action_count, 32)
    assert tensors["flow.weight"].shape == (1, 32)  # DB learns state flows
    assert tensors["log_z"].shape == (1,) and tensors["log_z"].dtype == np.float32
    try:
        import pandas  # noqa: F401
    except ImportError:
        return
    assert list(run.metrics_frame()["step"]) == [50, 100]


def test_not_a_run_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a gfnc run directory"):
        gfnc.read_run(tmp_path)
    (tmp_path / "run.json").write_text('{"mine": 1}')
    with pytest.raises(ValueError, match="not written by gfnc"):
        gfnc.read_run(tmp_path)


def test_torch_policy_log_probabilities_equal_gfnc_sample(run_dir):
    torch = pytest.importorskip("torch")
    from gfnc.policy import exact_terminal_log_probabilities, load_policy

    run = gfnc.read_run(run_dir)
    env = run.env()
    module = load_policy(run)
    _, stdout, _ = run_cli("sample", run_dir, "-n", 200, "--format", "csv")
    samples = list(csv.DictReader(io.StringIO(stdout)))
    log_pt = exact_terminal_log_probabilities(env, module)
    objects = env.parse([s["state"] for s in samples])
    ours = log_pt[env.object_index(objects)]
    theirs = np.array([float(s["log_probability"]) for s in samples])
    # gfnc computes in float32 on the network and float64 through the DAG, as we do.
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    assert float(module.log_z.detach()) == pytest.approx(run.tensors()["log_z"][0])
    with torch.no_grad():
        assert module.log_flow(torch.from_numpy(env.encode(objects))).shape == (len(objects),)
