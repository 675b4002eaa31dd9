"""Traps: kinds, messages and backtraces (Trap.frames, str(trap)), and the Wasm frames of a
Python exception raised in a callback."""

import pytest

import wasmkiln


@pytest.fixture(autouse=True)
def eager():
    """Backtraces need eagerly compiled code (the lazy strategy's functions are not
    registered yet)."""
    old = wasmkiln.configuration()["strategy"]
    wasmkiln.configure(strategy="o2")
    yield
    wasmkiln.configure(strategy=old)


@pytest.fixture
def bt(instance):
    def cb(x):
        if x == 1:
            raise KeyError("from Python")
        if x == 2:
            raise wasmkiln.Trap("host trap from Python")
    return instance("backtrace", {"env": {"cb": cb}})


def test_frames_through_table_with_names(bt):
    with pytest.raises(wasmkiln.Trap) as info:
        bt.exports.via_table(1)
    t = info.value
    assert t.kind == "unreachable" and t.message == "unreachable"
    assert [(f.module, f.func_name) for f in t.frames] == [
        ("bt", "crash"), ("bt", "hello::main"), ("bt", "via_table")]
    assert [f.func_index for f in t.frames] == [1, 2, 3]
    assert all(isinstance(f.offset, int) and f.offset > 8 for f in t.frames)
    lines = str(t).splitlines()
    assert lines[0] == "unreachable" and lines[1] == "wasm backtrace:"
    assert lines[2].startswith("    0: ") and lines[2].endswith(" - bt!crash")
    assert lines[3].endswith(" - bt!hello::main")
    assert lines[4].endswith(" - bt!via_table")


def test_python_exception_from_callback_carries_wasm_frames(bt):
    with pytest.raises(KeyError) as info:
        bt.exports.calls_cb(1)
    assert info.value.args == ("from Python",)
    assert [f.func_name for f in info.value.wasm_frames] == ["calls_cb"]
    assert any("bt!calls_cb" in note for note in info.value.__notes__)


def test_trap_raised_in_python_callback(bt):
    with pytest.raises(wasmkiln.Trap) as info:
        bt.exports.calls_cb(2)
    assert info.value.args[0] == "host trap from Python"


def test_trap_made_in_python_has_kind_message_frames():
    t = wasmkiln.Trap("x")
    assert (t.kind, t.message, t.frames, str(t)) == ("host", "x", (), "x")
    assert wasmkiln.Trap().message == ""
    assert isinstance(t, RuntimeError) and isinstance(t, wasmkiln.Error)


def test_function_from_table_keeps_its_name(bt):
    f = bt.exports.table[0]
    assert "crash" in repr(f)
    with pytest.raises(wasmkiln.Trap) as info:
        f()
    assert info.value.frames[0].func_name == "crash"
