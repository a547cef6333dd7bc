"""Shared fixtures: the repository, the `gfnc` binary the CLI side of each comparison runs."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.gfn"))


def gfnc_binary():
    explicit = os.environ.get("GFNC_BIN")
    if explicit:
        return explicit
    for profile in ("debug", "release"):
        candidate = ROOT / "target" / profile / "gfnc"
        if candidate.exists():
            return str(candidate)
    pytest.skip("no gfnc binary: build it with `cargo build` or set GFNC_BIN")


def run_cli(*args, check=True):
    """Run `gfnc ARGS`; returns (exit code, stdout, stderr)."""
    done = subprocess.run([gfnc_binary(), *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    if check and done.returncode != 0:
        raise AssertionError(f"gfnc {' '.join(map(str, args))} failed:\n{done.stderr}")
    return done.returncode, done.stdout, done.stderr


def cli_json(*args):
    return json.loads(run_cli(*args)[1])
