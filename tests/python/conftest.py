"""pytest set-up: imports wasmkiln from the CMake build tree ($WK_BUILD_DIR, default
<repo>/build) and compiles the .wat test modules with wat2wasm."""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("WK_BUILD_DIR", os.path.join(REPO, "build")))
PACKAGE_DIR = os.path.join(BUILD, "python")
WAT_DIR = os.path.join(os.path.dirname(__file__), "wat")

if not os.path.isdir(os.path.join(PACKAGE_DIR, "wasmkiln")):
    raise RuntimeError(f"no wasmkiln package in {PACKAGE_DIR}: build first (cmake/dev build) "
                       "or set WK_BUILD_DIR")
sys.path.insert(0, PACKAGE_DIR)

# The package's code cache is on by default in the user's cache directory: tests (and the
# subprocesses they start) use a private one instead.
CACHE_HOME = tempfile.mkdtemp(prefix="wk-test-cache-")
os.environ["XDG_CACHE_HOME"] = CACHE_HOME
os.environ.pop("WK_CACHE_DIR", None)
os.environ.pop("WASMKILN_CACHE", None)


def _cache_value(key):
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def pytest_configure(config):
    """An extension built with WK_SANITIZE=ON needs the ASan runtime loaded first: run pytest
    again in a process that preloads it (leak checks off: CPython keeps memory at exit; no
    quarantine, so that RSS measures what is live)."""
    if _cache_value("WK_SANITIZE") != "ON" or "libasan" in os.environ.get("LD_PRELOAD", ""):
        return
    config.pluginmanager.getplugin("capturemanager").suspend_global_capture(in_=True)
    cc = _cache_value("CMAKE_C_COMPILER") or "cc"
    lib = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True,
                         check=True).stdout.strip()
    env = dict(os.environ, LD_PRELOAD=lib,
               ASAN_OPTIONS="detect_leaks=0:quarantine_size_mb=0:thread_local_quarantine_size_kb=0")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "pytest"] + sys.argv[1:], env)


@pytest.fixture(scope="session")
def wasm_dir(tmp_path_factory):
    """A directory holding NAME.wasm for every tests/python/wat/NAME.wat."""
    out = tmp_path_factory.mktemp("wasm")
    wat2wasm = shutil.which("wat2wasm")
    assert wat2wasm, "wat2wasm (Debian package wabt) is needed to build the test modules"
    for name in sorted(os.listdir(WAT_DIR)):
        if name.endswith(".wat"):
            path = os.path.join(WAT_DIR, name)
            with open(path) as f:  # "[debug-names]" on the first line: keep $names
                names = ["--debug-names"] if "[debug-names]" in f.readline() else []
            subprocess.run([wat2wasm, *names, path, "-o",
                            str(out / (name[:-4] + ".wasm"))], check=True)
    return out


@pytest.fixture(scope="session")
def wasm(wasm_dir):
    """wasm("calls") -> the bytes of tests/python/wat/calls.wat compiled."""
    def load(name):
        return (wasm_dir / (name + ".wasm")).read_bytes()
    return load


@pytest.fixture
def instance(wasm):
    """instance("calls", imports=None) -> a new Instance of that test module."""
    import wasmkiln

    def make(name, imports=None):
        return wasmkiln.Instance(wasm(name), imports)
    return make
