"""Reading gfnc's run directories (docs/run-directory.md) from Python, numpy only.

    >>> run = gfnc.read_run("runs/hypergrid-1")
    >>> run.config["objective"], run.final_metrics["l1"]
    >>> run.metrics          # list of dicts, one per evaluation (numbers as float/int)
    >>> run.metrics_frame()  # the same as a pandas DataFrame (needs pandas)
    >>> run.samples          # list of dicts: state (str), reward, log_reward, log_probability
    >>> run.tensors()        # the trained policy's tensors by name, float32 numpy arrays
    >>> run.env()            # the environment trained on, as a gfnc.Env

The policy itself, as a PyTorch module: :func:`gfnc.policy.load_policy`.
"""

import csv
import json
import os
import struct

import numpy as np

# Read caps, as gfnc's own reader has them: a run.json holds every param's value.
_RECORD_CAP = 256 << 20
_MANIFEST_CAP = 1 << 20

_SAFETENSORS_DTYPES = {
    "F32": np.float32, "F64": np.float64, "F16": np.float16,
    "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_,
}


def _read_json(path, cap):
    with open(path, "rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise ValueError(f"{path}: larger than {cap} bytes")
    return json.loads(data)


def _number(text):
    """A CSV cell as int, float or None (empty), else the text itself."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]


def read_safetensors(path):
    """Every tensor of a .safetensors file as a numpy array, by name (no safetensors package needed)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: not a safetensors file (header past the end)")
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, not supported")
        start, end = info["data_offsets"]
        if not 0 <= start <= end <= len(body):
            raise ValueError(f"{path}: tensor {name} lies outside the file")
        array = np.frombuffer(body[start:end], dtype=dtype)
        out[name] = array.reshape(info["shape"]).copy()
    return out


class Run:
    """A gfnc run directory, read (never written: a run may be in progress)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        record = os.path.join(self.path, "run.json")
        if not os.path.isfile(record):
            raise FileNotFoundError(f"{self.path}: no run.json; not a gfnc run directory")
        self.record = _read_json(record, _RECORD_CAP)
        if not isinstance(self.record, dict) or not isinstance(self.record.get("gfnc_version"), str):
            raise ValueError(f"{record}: not written by gfnc (no gfnc_version)")
        if self.record.get("format", 0) != 1:
            raise ValueError(f"{record}: format {self.record.get('format')}, this reader knows 1")

    def __repr__(self):
        return f"<gfnc.Run {self.path!r}: {self.record.get('env')}, step {self.step}>"

    @property
    def config(self):
        """The training options (objective, batch, hidden, layers, policy, ...), a dict."""
        return self.record["config"]

    @property
    def params(self):
        """Every param's value as text, a dict."""
        return self.record.get("params", {})

    @property
    def overrides(self):
        """The --set NAME=VALUE overrides of the run, a list of str."""
        return list(self.record.get("overrides", []))

    @property
    def final_metrics(self):
        """The last evaluation (a dict), or None while the run is in progress."""
        return self.record.get("final_metrics")

    @property
    def metrics(self):
        """metrics.csv: one dict per evaluation (step, trajectories, loss, log_z, l1, ...)."""
        return _read_csv(os.path.join(self.path, "metrics.csv"))

    def metrics_frame(self):
        """metrics.csv as a pandas DataFrame (requires pandas)."""
        import pandas as pd

        return pd.read_csv(os.path.join(self.path, "metrics.csv"))

    @property
    def samples(self):
        """samples.csv: dicts with state (the .gfn state syntax), reward, log_reward and
        log_probability (exact log P_T) or log_p_trajectory."""
        return _read_csv(os.path.join(self.path, "samples.csv"))

    @property
    def manifest(self):
        """checkpoint.json, or None when there is no complete checkpoint."""
        path = os.path.join(self.path, "checkpoint.json")
        if not os.path.isfile(path):
            return None
        return _read_json(path, _MANIFEST_CAP)

    @property
    def step(self):
        """The step of the checkpoint, or None."""
        manifest = self.manifest
        return manifest["step"] if manifest else None

    def checkpoint_file(self, name):
        manifest = self.manifest
        if manifest is None:
            raise FileNotFoundError(f"{self.path}: no complete checkpoint (checkpoint.json)")
        folder = os.path.normpath(os.path.join(self.path, manifest["folder"]))
        if os.path.dirname(os.path.dirname(folder)) != os.path.normpath(self.path):
            raise ValueError(f"{self.path}/checkpoint.json names a folder outside the run")
        return os.path.join(folder, name)

    def tensors(self):
        """The trained network and log Z, by safetensors name, as float32 numpy arrays."""
        return read_safetensors(self.checkpoint_file("model.safetensors"))

    def env(self, **kwargs):
        """The environment trained on (env.gfn with the run's overrides), as a gfnc.Env.
        Tables and scorers are looked up in the folder the run recorded."""
        from . import Env
        from ._gfnc import load as _load

        folder = self.record.get("folder")
        if folder is not None and not os.path.isdir(folder):
            folder = None
        return Env(_load(os.path.join(self.path, "env.gfn"), self.overrides,
                         kwargs.get("scorer_timeout"), folder))


def read_run(path):
    """Open a run directory written by `gfnc run`."""
    return Run(path)
