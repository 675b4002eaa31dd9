"""The Value class: constructors, range checks, repr, equality."""

import math

import pytest

from wasmkiln import Value


def test_value_seed_reprs():
    assert repr(Value.i32(7)) == "I32(7)"
    assert repr(Value.i64(7)) == "I64(7)"
    assert repr(Value.f32(7.42)) == "F32(7.42)"
    assert repr(Value.f64(7.42)) == "F64(7.42)"


@pytest.mark.parametrize("x, text", [
    (42, "F32(42.0)"), (0.1, "F32(0.1)"), (1e-45, "F32(1e-45)"), (-0.0, "F32(-0.0)"),
    (3.4028234663852886e38, "F32(3.4028235e+38)"), (math.inf, "F32(inf)"),
    (math.nan, "F32(nan)"), (16777217, "F32(16777216.0)")])
def test_value_f32_repr_shortest_round_trip(x, text):
    assert repr(Value.f32(x)) == text


def test_value_f32_repr_round_trips_through_float32():
    import struct
    for bits in (0x3f800001, 0x00000001, 0x7f7fffff, 0x40ed70a4, 0x3dcccccd):
        f = struct.unpack("<f", struct.pack("<I", bits))[0]
        text = repr(Value.f32(f))[4:-1]
        assert struct.unpack("<I", struct.pack("<f", float(text)))[0] == bits


def test_value_value_and_type():
    assert Value.i32(-3).value == -3 and Value.i32(-3).type == "i32"
    assert Value.i64(2**40).value == 2**40 and Value.i64(1).type == "i64"
    assert Value.f32(0.5).value == 0.5 and Value.f32(1).type == "f32"
    assert Value.f64(0.1).value == 0.1 and Value.f64(1).type == "f64"
    assert Value.f32(7.42).value == pytest.approx(7.42, rel=1e-7)


def test_value_unsigned_ints_wrap_to_signed():
    assert Value.i32(0xFFFFFFFF).value == -1
    assert Value.i64(2**64 - 1).value == -1


@pytest.mark.parametrize("ctor, x", [
    (Value.i32, 2**32), (Value.i32, -2**31 - 1), (Value.i64, 2**64), (Value.i64, -2**63 - 1),
    (Value.f32, 1e39), (Value.f64, 2**2000)])
def test_value_out_of_range_overflow_error(ctor, x):
    with pytest.raises(OverflowError):
        ctor(x)


@pytest.mark.parametrize("ctor, x", [
    (Value.i32, 1.5), (Value.i32, "1"), (Value.i64, None), (Value.f32, "1.0"), (Value.f64, [])])
def test_value_wrong_type_type_error(ctor, x):
    with pytest.raises(TypeError, match=ctor.__name__):
        ctor(x)


def test_value_equality_and_hash():
    assert Value.i32(1) == Value.i32(1)
    assert Value.i32(1) != Value.i32(2)
    assert Value.i32(1) != Value.i64(1)
    assert hash(Value.f64(2.5)) == hash(Value.f64(2.5))
    assert len({Value.i32(1), Value.i32(1), Value.i64(1)}) == 2


def test_value_cannot_be_instantiated_directly():
    with pytest.raises(TypeError):
        Value()


def test_value_v128_round_trip():
    v = Value.v128(2**128 - 1)
    assert v.value == 2**128 - 1
    assert repr(Value.v128(255)) == "V128(0xff)"
