"""Calling exported functions: conversions, arity and type errors, results, traps."""

import math

import pytest

import wasmkiln
from wasmkiln import Value


@pytest.fixture
def calls(instance):
    return instance("calls").exports


def test_call_i32(calls):
    assert calls.add_i32(5, 37) == 42
    assert calls.add_i32(-1, -1) == -2


def test_call_i32_unsigned_argument_and_signed_result(calls):
    assert calls.id_i32(0xFFFFFFFF) == -1
    assert calls.id_i32(-2**31) == -2**31
    assert calls.u32_max() == -1


def test_call_i64_full_range(calls):
    assert calls.add_i64(2**62, 2**62 - 1) == 2**63 - 1
    assert calls.id_i64(2**64 - 1) == -1
    assert calls.id_i64(-2**63) == -2**63


@pytest.mark.parametrize("x", [0, 1, -1, 2**30 - 1, -(2**30 - 1), 2**30, -2**30, 2**31 - 1])
def test_call_ints_around_one_digit_boundary_exact(calls, x):
    assert calls.id_i32(x) == x
    assert calls.id_i64(x) == x
    assert calls.add_i64(x, -x) == 0


def test_call_floats_accept_int_and_float(calls):
    assert calls.add_f64(0.5, 2) == 2.5
    assert calls.add_f32(0.5, 0.25) == 0.75
    assert calls.id_f32(7.42) == pytest.approx(7.42, rel=1e-7)
    assert math.isnan(calls.id_f64(math.nan))
    assert calls.id_f64(-0.0) == 0.0 and math.copysign(1, calls.id_f64(-0.0)) == -1


def test_call_value_arguments(calls):
    assert calls.add_i32(Value.i32(1), Value.i32(2)) == 3
    assert calls.add_f32(Value.f32(1.5), 1) == 2.5


def test_call_value_of_wrong_type_type_error(calls):
    with pytest.raises(TypeError, match=r"add_i32\(\) parameter 0 expects i32"):
        calls.add_i32(Value.i64(1), 2)


def test_call_no_result_none(calls):
    assert calls.nothing() is None


def test_call_several_results_tuple(calls):
    r = calls.mixed(1, 2, 3.5, 4.5)
    assert r == (4.5, 3.5, 2, 1)
    assert type(r) is tuple and type(r[2]) is int and type(r[0]) is float


def test_call_more_than_inline_arguments(calls):
    assert calls.many(*range(1, 21)) == 21


@pytest.mark.parametrize("args", [(), (1,), (1, 2, 3)])
def test_call_wrong_arity_type_error_names_function(calls, args):
    with pytest.raises(TypeError, match=r"add_i32\(\) takes 2 arguments"):
        calls.add_i32(*args)


def test_call_keyword_arguments_type_error(calls):
    with pytest.raises(TypeError, match="keyword"):
        calls.add_i32(1, y=2)


@pytest.mark.parametrize("fn, args, pattern", [
    ("add_i32", (1, "2"), r"add_i32\(\) parameter 1 expects i32 \(.*\), got str"),
    ("add_i32", (1.0, 2), r"add_i32\(\) parameter 0 expects i32 \(.*\), got float"),
    ("add_f64", (None, 1.0), r"add_f64\(\) parameter 0 expects f64 \(.*\), got NoneType"),
    ("add_i64", (1, []), r"add_i64\(\) parameter 1 expects i64"),
])
def test_call_wrong_type_type_error_names_parameter(calls, fn, args, pattern):
    with pytest.raises(TypeError, match=pattern):
        getattr(calls, fn)(*args)


@pytest.mark.parametrize("fn, x", [
    ("id_i32", 2**32), ("id_i32", -2**31 - 1), ("id_i64", 2**64), ("id_i64", -2**63 - 1),
    ("id_f32", 1e300), ("id_f64", 10**400)])
def test_call_out_of_range_overflow_error(calls, fn, x):
    with pytest.raises(OverflowError, match=fn):
        getattr(calls, fn)(x)


def test_call_v128_and_externref(calls):
    assert calls.id_v128(2**100 + 5) == 2**100 + 5
    marker = object()
    assert calls.id_externref(marker) is marker
    assert calls.id_externref(None) is None


def test_call_loop_result(calls):
    total = 100000 * 100001 // 2
    assert calls.loop(100000) == (total + 2**31) % 2**32 - 2**31


def test_function_type_name_repr(calls):
    f = calls.mixed
    assert f.type == wasmkiln.FunctionType(params=("i32", "i64", "f32", "f64"),
                                           results=("f64", "f32", "i64", "i32"))
    assert f.__name__ == "mixed"
    assert repr(f) == "<wasmkiln.Function mixed(i32, i64, f32, f64) -> (f64, f32, i64, i32)>"
    assert isinstance(f, wasmkiln.Function)


@pytest.mark.parametrize("fn, args, kind, message", [
    ("unreachable", (), "unreachable", "unreachable"),
    ("div_zero", (0,), "integer_divide_by_zero", "integer divide by zero"),
    ("overflow", (), "integer_overflow", "integer overflow"),
    ("bad_conversion", (), "invalid_conversion", "invalid conversion to integer"),
    ("oob_load", (), "memory_out_of_bounds", "out of bounds memory access"),
    ("undefined_element", (), "undefined_element", "undefined element"),
    ("uninitialized_element", (), "uninitialized_element", "uninitialized element 1"),
    ("bad_signature", (), "indirect_call_type_mismatch", "indirect call type mismatch"),
    ("recurse", (0,), "call_stack_exhausted", "call stack exhausted"),
])
def test_trap_kind_and_message(instance, fn, args, kind, message):
    exports = instance("traps").exports
    with pytest.raises(wasmkiln.Trap) as info:
        getattr(exports, fn)(*args)
    assert info.value.kind == kind
    assert info.value.message.startswith(message)  # the spec's wording, maybe with details
    assert str(info.value).startswith(info.value.message)  # then the frames (test_trap.py)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, wasmkiln.Error)


def test_trap_then_instance_still_usable(instance):
    exports = instance("traps").exports
    for _ in range(3):
        with pytest.raises(wasmkiln.Trap):
            exports.div_zero(0)
    assert exports.div_zero(1) == 1
