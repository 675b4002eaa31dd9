"""Host functions as objects: Function(FunctionType, callable), Function.from_callable,
their use as imports, table elements, global values, arguments and results, and the Caller."""

import pytest

import wasmkiln
from wasmkiln import Function, FunctionType


def add_one(x):
    return x + 1


@pytest.fixture
def host(instance):
    return instance("host", {"env": {"f": Function(FunctionType(("i32",), ("i32",)), add_one)}})


def test_function_called_from_python_and_imported(host):
    f = Function(FunctionType(["i32", "i32"], ["i32"]), lambda a, b: a * b)
    assert f(6, 7) == 42
    assert f.type == FunctionType(("i32", "i32"), ("i32",))
    assert host.exports.call_f(41) == 42
    assert repr(Function(FunctionType((), ()), add_one)) == "<wasmkiln.Function add_one() -> ()>"


def test_function_in_table_global_argument_and_result(host):
    triple = Function(FunctionType(("i32",), ("i32",)), lambda x: 3 * x)
    host.exports.table[0] = triple
    assert host.exports.call_table(0, 5) == 15
    assert host.exports.apply(triple, 7) == 21
    host.exports.g.value = triple
    assert host.exports.call_global(2) == 6
    back = host.exports.identity(triple)
    assert back == triple and back(1) == 3
    assert host.exports.identity(None) is None
    assert host.exports.identity(host.exports.double)(4) == 8


def test_from_callable_uses_annotations():
    def mix(a: "i64", b: float, c: int) -> tuple["f32", int]:
        return a + b, c
    f = Function.from_callable(mix)
    assert f.type == FunctionType(("i64", "f64", "i32"), ("f32", "i32"))
    assert f(1, 0.5, 3) == (1.5, 3)
    g = Function.from_callable(lambda: None)
    assert g.type == FunctionType((), ())

    def bad(x):
        return x
    with pytest.raises(TypeError, match="parameter x has no annotation"):
        Function.from_callable(bad)

    def worse(x: list) -> None:
        pass
    with pytest.raises(TypeError, match="x is annotated"):
        Function.from_callable(worse)


def test_function_type_errors():
    with pytest.raises(ValueError, match="'i33' is not a value type"):
        Function(FunctionType(("i33",), ()), add_one)
    with pytest.raises(TypeError, match="callable"):
        Function(FunctionType((), ()), 5)
    with pytest.raises(TypeError, match="FunctionType"):
        Function(5, add_one)


def test_caller_gives_calling_instance_memory_and_exports(instance):
    seen = []

    def f(caller, x):
        caller.memory.uint8_view()[x] = 99
        seen.append(caller)
        return caller.exports.double(x) + caller["double"](1) + caller.get("nope", 0)

    inst = instance("host", {"env": {"f": Function(FunctionType(("i32",), ("i32",)), f,
                                                        access_caller=True)}})
    assert inst.exports.call_f(5) == 12
    assert inst.memory.uint8_view()[5] == 99
    with pytest.raises(RuntimeError, match="outside its host function"):
        seen[0].exports
    assert "expired" in repr(seen[0])

    def g(caller: object, x: "i32") -> "i32":
        return caller.exports.double(x)
    inst = instance("host", {"env": {"f": Function.from_callable(g, access_caller=True)}})
    assert inst.exports.call_f(21) == 42


def test_caller_when_called_from_python():
    f = Function(FunctionType((), ("i32",)), lambda c: c.memory is None, access_caller=True)
    with pytest.raises(RuntimeError, match="not called from WebAssembly"):
        f()
