"""wasmkiln.configure() / configuration(): the compilation strategy, the object cache and
bounds checks for Modules and Stores created afterwards."""

import os

import pytest

import wasmkiln


@pytest.fixture(autouse=True)
def restore_configuration():
    """Puts the configuration of the session back after each test."""
    saved = wasmkiln.configuration()
    yield
    wasmkiln.configure(**saved)


@pytest.mark.parametrize("strategy", ["o2", "fast", "tiered"])
def test_configure_each_strategy_same_results(wasm, strategy):
    wasmkiln.configure(strategy=strategy)
    assert wasmkiln.configuration()["strategy"] == strategy
    inst = wasmkiln.Instance(wasm("calls"))
    assert inst.exports.add_i32(40, 2) == 42
    assert inst.exports.add_f64(0.5, 0.25) == 0.75


@pytest.mark.parametrize("strategy,optimized", [("o2", True), ("fast", False), ("tiered", True)])
def test_configure_wait_optimized_by_strategy(wasm, strategy, optimized):
    wasmkiln.configure(strategy=strategy)
    module = wasmkiln.Module(wasm("calls"))
    assert module.wait_optimized() is optimized
    assert module.instantiate().exports.add_i32(2, 3) == 5


def test_configure_unknown_strategy_value_error():
    before = wasmkiln.configuration()
    with pytest.raises(ValueError, match="unknown strategy"):
        wasmkiln.configure(strategy="O3")
    assert wasmkiln.configuration() == before


def cache_entries(path):
    """The entries of a cache directory (not its secret, .wkkey)."""
    return [name for name in os.listdir(path) if not name.startswith(".")]


def test_configure_cache_dir_writes_then_none_disables(wasm, tmp_path):
    wasmkiln.configure(cache_dir=tmp_path)
    assert wasmkiln.configuration()["cache_dir"] == str(tmp_path)
    assert wasmkiln.Instance(wasm("calls")).exports.add_i32(1, 2) == 3
    assert len(cache_entries(tmp_path)) == 1
    wasmkiln.configure(strategy="fast")  # cache_dir left out: kept
    assert wasmkiln.configuration()["cache_dir"] == str(tmp_path)
    wasmkiln.configure(cache_dir=None)
    assert wasmkiln.configuration()["cache_dir"] is None
    other = wasmkiln.Instance(wasm("calls"))  # fast tier: would be a second cache file
    assert other.exports.add_i32(2, 2) == 4
    assert len(cache_entries(tmp_path)) == 1


def test_configure_software_bounds_same_traps(wasm):
    wasmkiln.configure(software_bounds=True)
    assert wasmkiln.configuration()["software_bounds"] is True
    inst = wasmkiln.Instance(wasm("calls"))
    assert inst.exports.id_i32(7) == 7


def test_configure_older_module_still_instantiates(wasm):
    module = wasmkiln.Module(wasm("calls"))
    wasmkiln.configure(strategy="fast")
    assert wasmkiln.Instance(module).exports.add_i32(3, 4) == 7
    assert module.instantiate().exports.add_i32(5, 4) == 9


def test_configure_tiered_switch_same_results(wasm, monkeypatch):
    monkeypatch.setenv("WK_TIER_MIN_BYTES", "1")  # tier up even this small module
    wasmkiln.configure(strategy="tiered")
    module = wasmkiln.Module(wasm("calls"))
    inst = module.instantiate()
    before = inst.exports.loop(1000)
    assert module.wait_optimized() is True
    assert inst.exports.loop(1000) == before
    assert module.instantiate().exports.loop(1000) == before
