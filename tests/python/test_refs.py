"""Reference values: Value.funcref / Value.externref and their nulls, reference-typed Global
and Table made in Python, externrefs round-tripping the identical object and released once
nothing in Wasm holds them."""

import gc
import weakref

import pytest

import wasmkiln
from wasmkiln import Function, FunctionType, Global, Table, Value


class Thing:
    pass


@pytest.fixture
def host(instance):
    return instance("host", {"env": {"f": lambda x: x}})


def test_value_constructors_and_nulls():
    f = Function(FunctionType((), ()), lambda: None)
    thing = Thing()
    assert Value.funcref(f).value is f and Value.funcref(f).type == "funcref"
    assert Value.externref(thing).value is thing and Value.externref(thing).type == "externref"
    assert Value.funcref(None).value is None and Value.externref(None).value is None
    assert repr(Value.externref(None)) == "ExternRef(None)"
    assert repr(Value.funcref(None)) == "FuncRef(None)"
    assert Value.externref(thing) == Value.externref(thing)
    assert Value.externref(thing) != Value.externref(Thing())
    with pytest.raises(TypeError, match="Function or None"):
        Value.funcref(5)


def test_externref_round_trips_identical_object(host):
    thing = Thing()
    assert host.exports.ext_id(thing) is thing
    assert host.exports.ext_id(Value.externref(thing)) is thing
    assert host.exports.ext_id(None) is None
    host.exports.ext_store(0, thing)
    assert host.exports.ext_load(0) is thing
    assert host.exports.externs[0] is thing


def test_externref_released_when_wasm_no_longer_holds_it(host):
    kept, passed = Thing(), Thing()
    host.exports.ext_store(1, kept)
    kept_ref, passed_ref = weakref.ref(kept), weakref.ref(passed)
    host.exports.ext_id(passed)
    del kept, passed
    for _ in range(300):  # later calls let the store forget what no table or global holds
        host.exports.ext_id(Thing())
    gc.collect()
    assert passed_ref() is None
    assert kept_ref() is not None and host.exports.ext_load(1) is kept_ref()
    host.exports.ext_store(1, None)
    for _ in range(300):
        host.exports.ext_id(Thing())
    gc.collect()
    assert kept_ref() is None


def test_reference_globals_and_tables_made_in_python(instance):
    f = Function(FunctionType(("i32",), ("i32",)), lambda x: x + 100)
    g = Global(Value.funcref(f), mutable=True)
    assert g.value is not None and g.value(1) == 101 and g.type.type == "funcref"
    g.value = None
    assert g.value is None
    thing = Thing()
    e = Global(Value.externref(thing))
    assert e.value is thing and not e.mutable
    t = Table(2, element="externref")
    t[1] = thing
    assert list(t) == [None, thing] and t[0:2] == [None, thing]
    ft = Table(1)
    ft[0] = f
    host = instance("host", {"env": {"f": f}})
    assert host.exports.call_f(1) == 101
