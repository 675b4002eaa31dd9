"""Instance construction, exports access and the memory getter."""

import pytest

import wasmkiln
from wasmkiln import Instance


def test_instance_accepts_bytes_like(wasm):
    data = wasm("calls")
    for b in (data, bytearray(data), memoryview(data)):
        assert Instance(b).exports.add_i32(1, 2) == 3


def test_instance_bad_bytes_compile_error():
    with pytest.raises(wasmkiln.CompileError):
        Instance(b"\0asm\1\0\0\0\1")


def test_exports_attribute_item_len_iter_dir(instance):
    ex = instance("othermem").exports
    names = ["heap", "counter", "pi", "big", "table", "seven", "get_counter", "call_slot",
             "load", "grow"]
    assert list(ex) == names
    assert len(ex) == len(names)
    assert set(names) <= set(dir(ex))
    assert ex["seven"] is ex.seven
    assert "seven" in ex and "eight" not in ex
    assert isinstance(ex, wasmkiln.Exports)


def test_exports_missing_name_attribute_error_names_it(instance):
    ex = instance("calls").exports
    with pytest.raises(AttributeError, match="no_such_export"):
        ex.no_such_export
    assert not hasattr(ex, "nope")
    with pytest.raises(KeyError):
        ex["nope"]


def test_exports_kinds(instance):
    ex = instance("othermem").exports
    assert isinstance(ex.heap, wasmkiln.Memory)
    assert isinstance(ex.counter, wasmkiln.Global)
    assert isinstance(ex.table, wasmkiln.Table)
    assert isinstance(ex.seven, wasmkiln.Function)


def test_memory_getter_any_export_name(instance):
    inst = instance("othermem")
    assert inst.memory is inst.exports.heap


def test_memory_getter_none_without_memory(instance):
    assert instance("nomem").memory is None


def test_instance_start_trap_raises_trap(wasm):
    with pytest.raises(wasmkiln.Trap) as info:
        Instance(wasm("start_trap"))
    assert info.value.kind == "unreachable"


def test_instance_module_attribute(wasm):
    m = wasmkiln.Module(wasm("calls"))
    assert Instance(m).module is m
    assert isinstance(Instance(wasm("calls")).module, wasmkiln.Module)


def test_instances_are_independent(instance):
    a, b = instance("othermem"), instance("othermem")
    a.exports.counter.value = 99
    assert b.exports.counter.value == 5
    a.memory.uint8_view()[0] = 1
    assert b.memory.uint8_view()[0] == 0
