"""examples/simple.py prints 42; the committed example modules match their sources' exports."""

import os
import subprocess
import sys

from conftest import PACKAGE_DIR, REPO


def run_example(name):
    env = dict(os.environ, PYTHONPATH=PACKAGE_DIR)
    return subprocess.run([sys.executable, os.path.join(REPO, "examples", name)], env=env,
                          capture_output=True, text=True, check=True, cwd="/")


def test_simple_py_prints_42():
    assert run_example("simple.py").stdout == "42\n"


def test_spin_wasm_is_the_test_module(wasm_dir):
    """examples/spin.wasm (README "Limits and interruption") is tests/python/wat/spin.wat."""
    with open(os.path.join(REPO, "examples", "spin.wasm"), "rb") as f:
        committed = f.read()
    assert committed == (wasm_dir / "spin.wasm").read_bytes()


def test_glue_py_drives_the_wasm_bindgen_style_module():
    out = run_example("glue.py").stdout.splitlines()
    assert out[0] == "producers section: 1 found"
    assert out[1] == "16 Hello, wasmkiln!"
    assert out[2] == "vowels: 5"
    assert out[3] == "GreetError: greet: empty name | raised in ['greet']"
    assert out[4] == "integer divide by zero" and out[5] == "wasm backtrace:"
    assert out[6].endswith(" - <unknown>!average")
