"""`python3 -m pip install --no-build-isolation --target DIR .` builds the extension through
CMake offline; the installed package runs the example."""

import os
import subprocess
import sys

from conftest import REPO


def test_pip_install_target_then_import(tmp_path):
    target = tmp_path / "site"
    env = dict(os.environ, PIP_NO_INDEX="1")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "-q",
                    "--target", str(target), REPO], check=True, env=env, cwd=str(tmp_path))
    assert (target / "wasmkiln" / "py.typed").exists()
    assert (target / "wasmkiln" / "__init__.pyi").exists()
    script = target / "bin" / "wasmkiln"  # the console script of [project.scripts]
    assert script.exists()
    out = subprocess.run([str(script), "validate", os.path.join(REPO, "examples", "greet.wasm")],
                         env=dict(os.environ, PYTHONPATH=str(target)), capture_output=True,
                         text=True, check=True)
    assert out.stdout.endswith(": valid\n")
    out = subprocess.run([sys.executable, os.path.join(REPO, "examples", "simple.py")],
                         env=dict(os.environ, PYTHONPATH=str(target)), capture_output=True,
                         text=True, check=True, cwd=str(tmp_path))
    assert out.stdout == "42\n"
