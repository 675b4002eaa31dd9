"""Exported and host-made globals."""

import pytest

import wasmkiln
from wasmkiln import Global, Value


@pytest.fixture
def ex(instance):
    return instance("othermem").exports


def test_global_get_set_seen_by_wasm(ex):
    assert ex.counter.value == 5
    ex.counter.value = 12
    assert ex.get_counter() == 12
    ex.counter.value = 0xFFFFFFFF
    assert ex.counter.value == -1


def test_global_types_and_mutability(ex):
    assert ex.counter.mutable and not ex.pi.mutable
    assert ex.counter.type == wasmkiln.GlobalType("i32", True)
    assert ex.pi.type == wasmkiln.GlobalType("f64", False)
    assert ex.pi.value == 3.25
    assert ex.big.value == -1


def test_global_immutable_set_attribute_error(ex):
    with pytest.raises(AttributeError, match="immutable"):
        ex.pi.value = 1.0
    assert ex.pi.value == 3.25


def test_global_set_wrong_type_or_range(ex):
    with pytest.raises(TypeError):
        ex.counter.value = "x"
    with pytest.raises(OverflowError):
        ex.counter.value = 2**32
    with pytest.raises(TypeError):
        ex.counter.value = Value.i64(1)
    ex.big.value = Value.i64(2**62)
    assert ex.big.value == 2**62


def test_global_constructor():
    g = Global(Value.f32(1.5), mutable=True)
    assert g.value == 1.5 and g.type == wasmkiln.GlobalType("f32", True)
    g.value = 2
    assert g.value == 2.0
    assert not Global(Value.i32(1)).mutable
    with pytest.raises(TypeError):
        Global(1)


def test_global_repr(ex):
    assert repr(ex.counter) == "<wasmkiln.Global mut i32 = 5>"
