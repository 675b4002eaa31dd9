"""Linker: defining imports by module and field name (instances, modules, Python objects and
callables) and instantiating from them, with link errors that name module, field and types;
imports given as a list in import order."""

import pytest

import wasmkiln
from wasmkiln import Function, FunctionType, Global, Linker, Memory, Table, Value


def test_linker_instance_and_python_objects(wasm):
    linker = Linker()
    lib = linker.define_module("lib", wasm("exporter"))
    assert ("lib", "triple") in linker and len(linker) == 4
    user = linker.instantiate(wasm("importer"))
    assert user.exports.triple_g() == 126
    assert lib.exports.g.value == 42

    other = Linker()
    other.define("lib", "mem", Memory(1))
    other.define("lib", "g", Global(Value.i32(5), mutable=True))
    other.define("lib", "tab", Table(1))
    other.define_func("lib", "triple", FunctionType(("i32",), ("i32",)), lambda x: 3 * x)
    assert other.instantiate(wasm("importer")).exports.triple_g() == 15


def test_linker_errors_name_module_field_and_types(wasm):
    linker = Linker()
    with pytest.raises(wasmkiln.LinkError, match=r"unknown import: lib\.mem \(memory 1\)"):
        linker.instantiate(wasm("importer"))
    linker.define("lib", "mem", Memory(1))
    linker.define("lib", "g", Global(Value.i64(5), mutable=True))
    linker.define("lib", "tab", Table(1))
    linker.define("lib", "triple", Function(FunctionType((), ()), lambda: None))
    with pytest.raises(wasmkiln.LinkError) as info:
        linker.instantiate(wasm("importer"))
    assert str(info.value).startswith(
        'incompatible import type for "lib"."g": expected global mut i32, found global mut i64')
    with pytest.raises(wasmkiln.LinkError, match="already defined"):
        linker.define("lib", "mem", Memory(1))
    Linker(allow_shadowing=True).define("a", "b", Memory(1)).define("a", "b", Memory(2))
    with pytest.raises(TypeError, match="must be a Function"):
        linker.define("x", "y", 5)


def test_function_type_mismatch_names_both_types(instance):
    lib = instance("exporter")
    with pytest.raises(wasmkiln.LinkError) as info:
        instance("importer", {"lib": {"mem": lib.exports.mem, "g": lib.exports.g,
                                      "tab": lib.exports.tab,
                                      "triple": Function(FunctionType(("i64",), ()), print)}})
    assert 'for "lib"."triple": expected func (i32) -> (i32), found func (i64) -> ()' in str(
        info.value)


def test_imports_as_list_in_import_order(instance, wasm):
    lib = instance("exporter")
    e = lib.exports
    user = instance("importer", [e.mem, e.g, e.tab, e.triple])
    assert user.exports.triple_g() == 126
    with pytest.raises(wasmkiln.LinkError, match="2 imports given in order"):
        instance("importer", [e.mem, e.g])
    with pytest.raises(TypeError, match="imports must be a mapping"):
        instance("importer", 5)
