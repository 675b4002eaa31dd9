"""Fuel: configure(fuel=True) compiles metering; Instance(fuel=N) is a budget of operations,
running out raises Trap 'out_of_fuel', and setting instance.fuel again lets it continue."""

import pytest

import wasmkiln


@pytest.fixture
def metered(wasm):
    saved = wasmkiln.configuration()
    wasmkiln.configure(fuel=True)
    try:
        yield wasmkiln.Module(wasm("spin"))
    finally:
        wasmkiln.configure(fuel=saved["fuel"])


def test_fuel_stops_infinite_loop_then_refuelled(metered):
    instance = wasmkiln.Instance(metered, fuel=10_000)
    assert wasmkiln.configuration()["fuel"] is True
    with pytest.raises(wasmkiln.Trap) as e:
        instance.exports.spin()
    assert e.value.kind == "out_of_fuel"
    assert instance.fuel == 0
    instance.fuel = 1_000_000
    assert instance.exports.count(1000) == 1000
    assert 7_000 <= 1_000_000 - instance.fuel <= 12_000
    assert instance.exports.fib(10) == 55


def test_fuel_stops_call_tree_without_loops(metered):
    instance = wasmkiln.Instance(metered, fuel=100_000)
    with pytest.raises(wasmkiln.Trap) as e:
        instance.exports.fib(60)
    assert e.value.kind == "out_of_fuel"
    instance.fuel = 100_000
    assert instance.exports.add1(1) == 2


def test_fuel_unlimited_until_set(metered):
    instance = wasmkiln.Instance(metered)
    assert instance.fuel > 2**62
    assert instance.exports.count(100_000) == 100_000


def test_fuel_without_metering(wasm):
    instance = wasmkiln.Instance(wasm("spin"))
    assert instance.fuel is None
    with pytest.raises(ValueError, match="without fuel metering"):
        instance.fuel = 10
    with pytest.raises(ValueError, match="without fuel metering"):
        wasmkiln.Instance(wasm("spin"), fuel=10)


def test_fuel_bad_values(metered):
    instance = wasmkiln.Instance(metered)
    with pytest.raises(ValueError):
        instance.fuel = -1
    with pytest.raises(TypeError):
        instance.fuel = "1"
