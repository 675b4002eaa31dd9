"""Exported and host-made tables."""

import pytest

import wasmkiln


@pytest.fixture
def inst(instance):
    return instance("othermem")


def test_table_len_get_type(inst):
    t = inst.exports.table
    assert len(t) == 2
    assert isinstance(t[0], wasmkiln.Function) and t[0]() == 7
    assert t[0] == inst.exports.seven and hash(t[0]) == hash(inst.exports.seven)
    assert t[0] != inst.exports.get_counter
    assert t[1] is None and t[-1] is None
    assert t.type == wasmkiln.TableType("funcref", 2, 10)


def test_table_set_then_call_indirect(inst):
    t = inst.exports.table
    t[1] = inst.exports.get_counter
    assert inst.exports.call_slot(1) == 5
    t[1] = None
    with pytest.raises(wasmkiln.Trap, match="uninitialized element"):
        inst.exports.call_slot(1)


def test_table_grow(inst):
    t = inst.exports.table
    assert t.grow(3) == 2
    assert len(t) == 5 and t[4] is None
    assert t.grow(1, inst.exports.seven) == 5
    assert t[5]() == 7
    with pytest.raises(wasmkiln.Error):
        t.grow(100)


def test_table_errors(inst, instance):
    t = inst.exports.table
    with pytest.raises(IndexError):
        t[2]
    with pytest.raises(IndexError):
        t[2] = None
    with pytest.raises(TypeError):
        t[0] = 5
    other = instance("othermem")
    t[0] = other.exports.seven  # a function of another instance: the two now share objects
    assert t[0]() == 7


def test_table_constructor():
    t = wasmkiln.Table(3, 5)
    assert len(t) == 3 and t.type == wasmkiln.TableType("funcref", 3, 5)
    e = wasmkiln.Table(1, element="externref")
    marker = object()
    e[0] = marker
    assert e[0] is marker
