"""The text format from Python: wat2wasm(), and Module/Instance given a str."""

import pytest

import wasmkiln
from wasmkiln import DecodeError, Instance, Module

ADD = '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))'


def test_wat2wasm_returns_a_binary_module():
    wasm = wasmkiln.wat2wasm(ADD)
    assert wasm[:8] == b"\0asm\1\0\0\0"
    assert Instance(wasm).exports.add(2, 40) == 42


def test_instance_accepts_text():
    assert Instance(ADD).exports.add(-1, 1) == 0


def test_module_accepts_text_and_bare_fields():
    module = Module('(memory (export "m") 1) (func (export "f") (result i64) i64.const 7)')
    assert [e.name for e in module.exports] == ["m", "f"]
    assert Instance(module).exports.f() == 7


def test_malformed_text_raises_decode_error_with_line_and_column():
    with pytest.raises(DecodeError, match=r"unknown operator i32\.nope \(at 2:9\)"):
        Module("(module\n  (func i32.nope))")


def test_wat2wasm_rejects_bytes():
    with pytest.raises(TypeError, match="expects a str"):
        wasmkiln.wat2wasm(b"(module)")
