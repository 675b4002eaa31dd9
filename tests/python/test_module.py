"""Module, validate() and compile errors."""

import pytest

import wasmkiln
from wasmkiln import Module

EMPTY = b"\0asm\1\0\0\0"


def test_validate_valid_module_true(wasm):
    assert wasmkiln.validate(wasm("calls")) is True


def test_validate_accepts_any_bytes_like(wasm):
    data = wasm("calls")
    assert wasmkiln.validate(bytearray(data))
    assert wasmkiln.validate(memoryview(data))


@pytest.mark.parametrize("junk", [b"", b"junk", b"\0asm\2\0\0\0", EMPTY[:-1], 3, None, "str"])
def test_validate_bad_input_false_without_raising(junk):
    assert wasmkiln.validate(junk) is False


def test_validate_invalid_module_false():
    # (func (result i32)) with an empty body: type mismatch.
    bad = bytes.fromhex("0061736d01000000010501600001" "7f030201000a040102000b")
    assert wasmkiln.validate(bad) is False


def test_module_validate_is_the_same_function(wasm):
    assert Module.validate(wasm("calls")) is True
    assert Module.validate(b"junk") is False


def test_module_bad_version_decode_error_with_offset():
    with pytest.raises(wasmkiln.DecodeError) as info:
        Module(b"\0asm\2\0\0\0")
    assert isinstance(info.value, wasmkiln.CompileError)
    assert isinstance(info.value, wasmkiln.Error)
    assert info.value.message == "unknown binary version"
    assert info.value.offset == 4


def test_module_invalid_body_validation_error():
    bad = bytes.fromhex("0061736d01000000010501600001" "7f030201000a040102000b")
    with pytest.raises(wasmkiln.ValidationError) as info:
        Module(bad)
    assert info.value.message == "type mismatch"
    assert isinstance(info.value.offset, int)


def test_module_non_bytes_type_error():
    with pytest.raises(TypeError, match="bytes-like"):
        Module(42)


def test_module_exports_types(wasm):
    m = Module(wasm("othermem"))
    exports = {e.name: e.type for e in m.exports}
    assert exports["heap"] == wasmkiln.MemoryType(minimum=1, maximum=3)
    assert exports["counter"] == wasmkiln.GlobalType(type="i32", mutable=True)
    assert exports["pi"] == wasmkiln.GlobalType(type="f64", mutable=False)
    assert exports["table"] == wasmkiln.TableType(element="funcref", minimum=2, maximum=10)
    assert exports["seven"] == wasmkiln.FunctionType(params=(), results=("i32",))
    assert [e.name for e in m.exports][:3] == ["heap", "counter", "pi"]


def test_module_imports_types(wasm):
    m = Module(wasm("importer"))
    assert [(i.module, i.name) for i in m.imports] == [
        ("lib", "mem"), ("lib", "g"), ("lib", "tab"), ("lib", "triple")]
    assert m.imports[0].type == wasmkiln.MemoryType(1, None)
    assert m.imports[1].type == wasmkiln.GlobalType("i32", True)
    assert m.imports[2].type == wasmkiln.TableType("funcref", 1, None)
    assert m.imports[3].type == wasmkiln.FunctionType(("i32",), ("i32",))


def test_module_instantiate_many(wasm):
    m = Module(wasm("calls"))
    a, b = m.instantiate(), wasmkiln.Instance(m)
    assert a.exports.add_i32(1, 2) == b.exports.add_i32(3, 0) == 3
    assert a.module is m


def test_module_repr_counts(wasm):
    assert repr(Module(wasm("importer"))) == "<wasmkiln.Module: 4 imports, 4 exports>"
