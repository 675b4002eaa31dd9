"""Runs every ```python block of README.md and pyext/README.md from the repository root and
checks that each `print(...)  # text` line printed `text`."""

import contextlib
import io
import os
import re

import pytest

from conftest import REPO

DOCS = ["README.md", os.path.join("pyext", "README.md")]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PRINT = re.compile(r"^\s*print\(.*\)\s*#\s?(.*)$")


def blocks():
    found = {}
    for doc in DOCS:
        path = os.path.join(REPO, doc)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in BLOCK.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.setdefault(m.group(1), f"{doc}:{line}")
    return [pytest.param(code, id=where) for code, where in found.items()]


def test_readmes_have_python_blocks():
    assert len(blocks()) >= 5


@pytest.mark.parametrize("code", blocks())
def test_readme_block_prints_what_it_says(code, monkeypatch):
    monkeypatch.chdir(REPO)
    expected = [m.group(1) for m in map(PRINT.match, code.splitlines()) if m]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<README block>", "exec"), {})
    assert out.getvalue().splitlines() == expected
