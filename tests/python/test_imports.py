"""Imports: Python host functions (exceptions, re-entrancy, memory access) and linking
memories, globals, tables and functions between instances."""

import gc
import sys

import pytest

import wasmkiln
from wasmkiln import Instance


def env(**overrides):
    funcs = {"add": lambda a, b: a + b, "log": lambda x: None,
             "pair": lambda x: (int(x), x / 2), "with_memory": lambda a, b: 0}
    funcs.update(overrides)
    return {"env": funcs}


def test_host_function_called_with_converted_args(instance):
    seen = []
    inst = instance("imports", env(log=seen.append, add=lambda a, b: a * 100 + b))
    assert inst.exports.call_add(3, 4) == 304
    assert inst.exports.call_log(-5) is None
    assert seen == [-5]


def test_host_function_several_results(instance):
    inst = instance("imports", env())
    assert inst.exports.call_pair(9.0) == (9, 4.5)


def test_host_function_exception_propagates_unchanged(instance):
    class Boom(Exception):
        pass

    err = Boom("bang")

    def add(a, b):
        raise err

    inst = instance("imports", env(add=add))
    with pytest.raises(Boom) as info:
        inst.exports.call_add(1, 2)
    assert info.value is err
    assert inst.exports.malloc(4) == 4096  # the instance still works


def test_host_function_base_exception_propagates(instance):
    def log(x):
        raise KeyboardInterrupt

    inst = instance("imports", env(log=log))
    with pytest.raises(KeyboardInterrupt):
        inst.exports.call_log(1)


def test_host_function_exception_no_leak(instance):
    def add(a, b):
        raise ValueError("x" * 1000)

    inst = instance("imports", env(add=add))
    for _ in range(200):
        with pytest.raises(ValueError):
            inst.exports.call_add(1, 2)
    gc.collect()
    before = sys.getrefcount(ValueError)
    for _ in range(1000):
        with pytest.raises(ValueError):
            inst.exports.call_add(1, 2)
    gc.collect()
    assert sys.getrefcount(ValueError) - before < 10


@pytest.mark.parametrize("result, exc", [("x", TypeError), (2**40, OverflowError),
                                         ((1,), TypeError)])
def test_host_function_bad_result_raises(instance, result, exc):
    inst = instance("imports", env(add=lambda a, b: result))
    with pytest.raises(exc, match="env.add"):
        inst.exports.call_add(1, 2)


def test_host_function_wrong_result_count_value_error(instance):
    inst = instance("imports", env(pair=lambda x: (1, 2.0, 3)))
    with pytest.raises(ValueError, match="env.pair"):
        inst.exports.call_pair(1.0)


def test_host_function_void_returning_value_type_error(instance):
    inst = instance("imports", env(log=lambda x: 5))
    with pytest.raises(TypeError, match="env.log"):
        inst.exports.call_log(1)


def test_reentrant_call_and_memory_access_from_callback(instance):
    holder = {}

    def with_memory(unused, n):
        exports = holder["inst"].exports
        ptr = exports.malloc(n)  # re-entrant call into the same instance
        holder["inst"].memory.uint8_view(ptr)[0:n] = bytes(range(1, n + 1))
        return ptr

    inst = instance("imports", env(with_memory=with_memory))
    holder["inst"] = inst
    assert inst.exports.store_and_sum(10) == 55
    assert inst.exports.malloc(0) == 4096 + 10


def test_missing_import_link_error(instance):
    with pytest.raises(wasmkiln.LinkError, match="add"):
        instance("imports", {"env": {}})
    with pytest.raises(wasmkiln.LinkError, match="env"):
        instance("imports", {})
    with pytest.raises(wasmkiln.LinkError):
        instance("imports")


def test_import_wrong_kind_link_error(instance):
    with pytest.raises(wasmkiln.LinkError, match="incompatible import type"):
        instance("imports", env(add=42))
    mem = wasmkiln.Memory(1)
    with pytest.raises(wasmkiln.LinkError, match="incompatible import type"):
        instance("imports", env(add=mem))


def test_import_function_of_wrong_type_link_error(instance):
    lib = instance("exporter")
    with pytest.raises(wasmkiln.LinkError):
        instance("imports", env(add=lib.exports.triple))


def test_link_instances_share_memory_global_table_function(instance):
    lib = instance("exporter")
    user = instance("importer", {"lib": lib.exports})
    assert user.exports.triple_g() == 126
    user.exports.set_g(5)
    assert lib.exports.g.value == 5
    user.exports.store(8, 0x01020304)
    assert lib.exports.mem.uint32_view(8)[0] == 0x01020304
    assert user.exports.call_table(7) == 21


def test_link_host_created_objects(instance):
    lib = instance("exporter")
    imports = {"lib": {"mem": lib.exports.mem, "g": lib.exports.g, "tab": lib.exports.tab,
                       "triple": lambda x: x * 3}}
    user = instance("importer", imports)
    assert user.exports.triple_g() == 126


def test_link_objects_of_different_instances_and_python_link_together(instance):
    lib = instance("exporter")
    other = instance("exporter")
    mem = wasmkiln.Memory(1)
    imports = {"lib": {"mem": mem, "g": lib.exports.g, "tab": other.exports.tab,
                       "triple": lib.exports.triple}}
    user = instance("importer", imports)
    assert user.exports.triple_g() == 126
    user.exports.store(8, 7)
    assert mem.uint32_view()[2] == 7
    assert user.exports.call_table(5) == 15  # other's table, holding other's function
    other.exports.tab[0] = lib.exports.triple  # a function of a third group, into a table
    assert user.exports.call_table(2) == 6


def test_standalone_objects_import_together(instance):
    mem = wasmkiln.Memory(1)
    tab = wasmkiln.Table(1)
    g = wasmkiln.Global(wasmkiln.Value.i32(42), mutable=True)
    lib = instance("exporter")
    user = instance("importer", {"lib": {"mem": mem, "g": g, "tab": tab,
                                         "triple": lib.exports.triple}})
    tab[0] = lib.exports.triple
    assert user.exports.triple_g() == 126
    assert user.exports.call_table(3) == 9
    del lib, user
    gc.collect()
    assert tab[0](4) == 12  # the objects live as long as any of them is used


def test_link_error_never_mentions_a_store(instance):
    lib = instance("exporter")
    with pytest.raises(wasmkiln.LinkError) as info:
        instance("importer", {"lib": {"mem": wasmkiln.Memory(1), "g": lib.exports.g,
                                      "tab": 5, "triple": lib.exports.triple}})
    assert "store" not in str(info.value)


def test_import_host_made_memory(instance):
    mem = wasmkiln.Memory(1, 4)
    mem.uint32_view()[1] = 1234
    inst = instance("import_mem", {"env": {"mem": mem}})
    assert inst.exports.load(4) == 1234
    mem.grow(2)
    assert inst.exports.size() == 3
    assert inst.memory is None


def test_import_host_made_global(instance):
    g = wasmkiln.Global(wasmkiln.Value.i64(41), mutable=True)
    inst = instance("import_global", {"env": {"g": g}})
    inst.exports.bump()
    assert g.value == 42


def test_import_immutable_global_for_mutable_link_error(instance):
    g = wasmkiln.Global(wasmkiln.Value.i64(41))
    with pytest.raises(wasmkiln.LinkError):
        instance("import_global", {"env": {"g": g}})


def test_start_function_calls_python(wasm):
    seen = []
    Instance(wasm("start_import"), {"env": {"hello": seen.append}})
    assert seen == [7]


def test_start_function_exception_propagates(wasm):
    def hello(x):
        raise LookupError("from start")

    with pytest.raises(LookupError, match="from start"):
        Instance(wasm("start_import"), {"env": {"hello": hello}})


def test_callback_closure_cycle_collected(wasm):
    import weakref

    class Holder:
        pass

    h = Holder()
    h.inst = Instance(wasm("imports"), env(log=lambda x: h.inst.memory))
    ref = weakref.ref(h)
    del h
    gc.collect()
    assert ref() is None
