"""WASI from Python and from both command lines: WasiConfig (argv, env, preopens with
permissions, stdin bytes or file, stdout/stderr inherited, file object or captured), Exit
from proc_exit, mixing with the user's own imports, the sandbox's refusals, and the real
programs of tests/wasi/programs compared with their native builds under `python3 -m wasmkiln
run`, `wkrun run` and Instance(..., wasi=...)."""

import io
import os
import subprocess
import sys

import pytest

from conftest import BUILD, PACKAGE_DIR

import wasmkiln

PROGRAMS = os.path.join(BUILD, "tests", "wasi")
WKRUN = os.path.join(BUILD, "cli", "wkrun")

if not os.path.exists(os.path.join(PROGRAMS, "envexit.wasm")):
    pytest.skip("the WASI test programs were not built (no clang or wasi-libc)",
                allow_module_level=True)


def program(name):
    with open(os.path.join(PROGRAMS, name + ".wasm"), "rb") as f:
        return wasmkiln.Module(f.read())


def native(name):
    return os.path.join(PROGRAMS, "native_" + name)


def python_cli(*args, **kw):
    env = dict(os.environ, PYTHONPATH=PACKAGE_DIR)
    return subprocess.run([sys.executable, "-m", "wasmkiln", *args], capture_output=True,
                          env=env, **kw)


def both_clis(*args, **kw):
    """The results of `python3 -m wasmkiln ARGS` and `wkrun ARGS`."""
    c = subprocess.run([WKRUN, *args], capture_output=True, **kw)
    return [python_cli(*args, **kw), c]


# ---- WasiConfig and Instance ---------------------------------------------------------------


def test_wasi_captured_stdout_and_exit_code():
    config = wasmkiln.WasiConfig(argv=["envexit", "a b", "c"],
                                 env={"GREETING": "Hej", "EXIT_CODE": "3"}, stdout="capture")
    instance = wasmkiln.Instance(program("envexit"), wasi=config)
    assert instance.wasi.run() == 3
    assert instance.wasi.stdout == b"arg 1: a b\narg 2: c\nHej, world!\nHOME is unset\n"
    assert instance.wasi.exit_code == 3
    assert instance.wasi.stderr is None


def test_wasi_return_from_main_is_the_exit_code():
    config = wasmkiln.WasiConfig(argv=["envexit", "return"], env={"EXIT_CODE": "9"},
                                 stdout="capture")
    assert wasmkiln.Instance(program("envexit"), wasi=config).wasi.run() == 9


def test_wasi_start_export_raises_exit_with_code():
    out = io.StringIO()
    config = wasmkiln.WasiConfig(argv=["envexit"], env={"EXIT_CODE": "42"}, stdout=out)
    instance = wasmkiln.Instance(program("envexit"), wasi=config)
    with pytest.raises(wasmkiln.Exit) as e:
        instance.exports._start()
    assert e.value.code == 42
    assert isinstance(e.value, wasmkiln.Error)
    assert out.getvalue().startswith("Hello, world!\n")
    # Calling into the exited guest ends the run again (at its first WASI call).
    with pytest.raises(wasmkiln.Exit):
        instance.exports._start()


def test_wasi_stdin_bytes_and_binary_file_object():
    out, err = io.BytesIO(), io.BytesIO()
    config = wasmkiln.WasiConfig(stdin=b"one\ntwo\n", stdout=out, stderr=err)
    assert wasmkiln.Instance(program("filter"), wasi=config).wasi.run() == 0
    assert out.getvalue() == b"1: ONE\n2: TWO\n"
    assert err.getvalue() == b"2 lines, 8 bytes\n"


def test_wasi_stdin_from_file(tmp_path):
    p = tmp_path / "in.txt"
    p.write_bytes(b"x\n")
    with open(p, "rb") as f:
        config = wasmkiln.WasiConfig(stdin=f, stdout="capture", stderr="capture")
        instance = wasmkiln.Instance(program("filter"), wasi=config)
        assert instance.wasi.run() == 0
    assert instance.wasi.stdout == b"1: X\n"


def test_wasi_preopen_file_io(tmp_path):
    (tmp_path / "input.txt").write_text("a b\nc\n")
    config = wasmkiln.WasiConfig(argv=["files", "/data"], preopens={"/data": str(tmp_path)},
                                 stdout="capture")
    assert wasmkiln.Instance(program("files"), wasi=config).wasi.run() == 0
    assert (tmp_path / "out" / "summary.txt").read_text() == "2 lines, 3 words, 6 bytes\n"
    assert not (tmp_path / "scratch.txt").exists()


def test_wasi_readonly_preopen_errors_are_eperm(tmp_path):
    (tmp_path / "input.txt").write_text("a\n")
    config = wasmkiln.WasiConfig(argv=["files", "/data"],
                                 preopens={"/data": (str(tmp_path), True)},
                                 stdout="capture", stderr="capture")
    instance = wasmkiln.Instance(program("files"), wasi=config)
    assert instance.wasi.run() == 1
    assert b"mkdir: Operation not permitted" in instance.wasi.stderr
    assert not (tmp_path / "out").exists()
    assert sorted(os.listdir(tmp_path)) == ["input.txt"]


def test_wasi_escapes_are_refused(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink("..", data / "up")
    config = wasmkiln.WasiConfig(argv=["escape", "up"], preopens={"/data": str(data)},
                                 stdout="capture")
    instance = wasmkiln.Instance(program("escape"), wasi=config)
    assert instance.wasi.run() == 0, instance.wasi.stdout
    lines = instance.wasi.stdout.decode().splitlines()
    assert lines[-1] == "all refused"
    assert len(lines) == 9 and all("refused (errno 63)" in l for l in lines[:-1])
    assert sorted(os.listdir(data)) == ["sub", "up"]


def test_wasi_mixed_with_user_imports_and_missing_wasi_is_link_error():
    m = program("envexit")
    with pytest.raises(wasmkiln.LinkError, match="wasi_snapshot_preview1"):
        wasmkiln.Instance(m)
    with pytest.raises(TypeError, match="WasiConfig"):
        wasmkiln.Instance(m, wasi={"argv": []})
    config = wasmkiln.WasiConfig(stdout="capture")
    instance = wasmkiln.Instance(m, {"unused": {}}, wasi=config)
    assert instance.wasi.run() == 0


def test_wasi_bad_arguments():
    with pytest.raises(TypeError):
        wasmkiln.WasiConfig(argv=[1])
    with pytest.raises(TypeError):
        wasmkiln.WasiConfig(env={"A": 1})
    with pytest.raises(TypeError):
        wasmkiln.WasiConfig(stdout=3)
    with pytest.raises(ValueError, match="cannot preopen"):
        wasmkiln.Instance(program("envexit"),
                          wasi=wasmkiln.WasiConfig(preopens={"/x": "/nonexistent/dir"}))


# ---- Command lines vs native builds --------------------------------------------------------


def test_cli_files_matches_native(tmp_path):
    results = []
    for runner in ("native", "python", "wkrun"):
        d = tmp_path / runner
        d.mkdir()
        (d / "input.txt").write_text("the quick brown\nfox\n\njumps\n")
        if runner == "native":
            p = subprocess.run([native("files"), str(d)], capture_output=True)
        else:
            args = ["run", "--dir", f"{d}::/data", os.path.join(PROGRAMS, "files.wasm"), "/data"]
            p = python_cli(*args) if runner == "python" else subprocess.run(
                [WKRUN, *args], capture_output=True)
        results.append((p.returncode, p.stdout, p.stderr,
                        (d / "out" / "summary.txt").read_text(), sorted(os.listdir(d))))
    assert results[0][0] == 0 and b"entry out" in results[0][1]
    assert results[1] == results[0] and results[2] == results[0]


def test_cli_filter_matches_native():
    data = b"alpha\nBeta gamma\n\n" + b"x" * 10000 + b"\n"
    want = subprocess.run([native("filter")], input=data, capture_output=True)
    for p in both_clis("run", os.path.join(PROGRAMS, "filter.wasm"), input=data):
        assert (p.returncode, p.stdout, p.stderr) == (want.returncode, want.stdout, want.stderr)


@pytest.mark.parametrize("code", ["0", "5", "77"])
def test_cli_env_and_exit_code_match_native(code):
    env = {"GREETING": "Hi", "EXIT_CODE": code}
    want = subprocess.run([native("envexit"), "one", "two words"], capture_output=True,
                          env=env)
    args = ["run", "--env", "GREETING=Hi", "--env", f"EXIT_CODE={code}",
            os.path.join(PROGRAMS, "envexit.wasm"), "one", "two words"]
    for p in both_clis(*args):
        assert (p.returncode, p.stdout) == (want.returncode, want.stdout)
    assert want.returncode == int(code)


def test_cli_invoke_prints_results():
    simple = os.path.join(os.path.dirname(BUILD), "examples", "simple.wasm")
    simple = simple if os.path.exists(simple) else os.path.join(
        os.path.dirname(__file__), "..", "..", "examples", "simple.wasm")
    for p in both_clis("run", "--invoke", "sum", simple, "5", "37"):
        assert (p.returncode, p.stdout) == (0, b"42\n"), p.stderr


def test_cli_validate_and_inspect():
    path = os.path.join(PROGRAMS, "envexit.wasm")
    for p in both_clis("validate", path):
        assert p.returncode == 0 and p.stdout.endswith(b": valid\n")
    for p in both_clis("inspect", path):
        assert p.returncode == 0
        assert b"import wasi_snapshot_preview1.proc_exit: func (i32) -> ()" in p.stdout
        assert b"export _start: func () -> ()" in p.stdout
    for p in both_clis("validate", __file__):
        assert p.returncode == 1 and b"magic" in p.stderr


def test_cli_usage_errors():
    for p in both_clis("run", "--bogus", "x.wasm"):
        assert p.returncode == 2
    for p in both_clis("run", "/nonexistent.wasm"):
        assert p.returncode == 1


def test_readme_command_line_block():
    """Every `$ command` of README.md's ```sh block under "### Command line" prints the lines
    after it (run from the repository root, build/ meaning this build)."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(repo, "README.md"), encoding="utf-8") as f:
        text = f.read()
    block = text.split("### Command line", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    steps = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    assert len(steps) >= 3
    env = dict(os.environ, PYTHONPATH=PACKAGE_DIR)
    for cmd, want in steps:
        cmd = cmd.replace("build/", BUILD + "/").replace("python3 ", sys.executable + " ")
        p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=repo,
                           env=env)
        assert p.stdout.splitlines() == want, (cmd, p.stderr)
