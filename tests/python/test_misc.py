"""Reprs, docstrings, the package's public names and type stubs."""

import ast
import os

import pytest

import wasmkiln
from conftest import PACKAGE_DIR


def test_reprs(instance):
    inst = instance("othermem")
    assert repr(inst) == "<wasmkiln.Instance with 10 exports>"
    assert repr(inst.memory) == "<wasmkiln.Memory: 1 page>"
    assert repr(inst.memory.uint16_view(2)) == "<wasmkiln.Uint16Array offset=2 len=32767>"
    assert repr(inst.exports.table) == "<wasmkiln.Table funcref[2]>"
    assert repr(inst.exports.seven) == "<wasmkiln.Function seven() -> (i32)>"
    assert repr(inst.exports).startswith("<wasmkiln.Exports ('heap', 'counter'")


def test_view_offset_property(instance):
    assert instance("my_program").memory.int64_view(24).offset == 24


def test_every_public_name_documented():
    for name in wasmkiln.__all__:
        obj = getattr(wasmkiln, name)
        assert obj.__doc__, name
    assert wasmkiln.Instance.__text_signature__ == (
        "(module, imports=None, timeout=None, *, memory_limit=None, table_limit=None, "
        "stack_size=None, fuel=None, wasi=None)")
    assert wasmkiln.Memory.uint8_view.__text_signature__ == "($self, offset=0)"


def test_stubs_and_py_typed_installed():
    pkg = os.path.join(PACKAGE_DIR, "wasmkiln")
    assert os.path.exists(os.path.join(pkg, "py.typed"))
    with open(os.path.join(pkg, "__init__.pyi")) as f:
        stub = f.read()
    ast.parse(stub)
    for name in wasmkiln.__all__:
        assert f"class {name}" in stub or f"def {name}" in stub, name


def test_exceptions_hierarchy():
    assert issubclass(wasmkiln.CompileError, wasmkiln.Error)
    assert issubclass(wasmkiln.DecodeError, wasmkiln.CompileError)
    assert issubclass(wasmkiln.ValidationError, wasmkiln.CompileError)
    assert issubclass(wasmkiln.LinkError, wasmkiln.Error)
    assert issubclass(wasmkiln.Trap, wasmkiln.Error) and issubclass(wasmkiln.Trap, RuntimeError)


def test_byte_view_slices_signed_and_unsigned(instance):
    mem = instance("my_program").memory
    mem.buffer[0:4] = b"\x00\x7f\x80\xff"
    assert mem.uint8_view()[0:4] == [0, 127, 128, 255]
    assert mem.int8_view()[0:4] == [0, 127, -128, -1]
    assert mem.int8_view()[3:0:-1] == [-1, -128, 127]


def test_exports_is_a_mapping(instance):
    import collections.abc
    ex = instance("exporter").exports
    assert isinstance(ex, collections.abc.Mapping)
    assert ex.keys() == ["mem", "g", "tab", "triple"]
    assert [name for name, _ in ex.items()] == ex.keys() and len(ex.values()) == 4
    assert ex.get("nope") is None and ex.get("nope", 3) == 3 and ex.get("g") is ex.g
    with pytest.raises(AttributeError, match="exports are read-only: cannot assign export 'add'"):
        ex.add = 5


def test_weak_references_and_reprs(instance, wasm):
    import weakref
    inst = instance("exporter")
    for obj in (inst, inst.module, inst.exports.triple, inst.exports.mem, inst.exports.g,
                inst.exports.tab):
        assert weakref.ref(obj)() is obj
    assert repr(wasmkiln.Memory(1)) == "<wasmkiln.Memory: 1 page>"
    assert repr(wasmkiln.Memory(2)) == "<wasmkiln.Memory: 2 pages>"
