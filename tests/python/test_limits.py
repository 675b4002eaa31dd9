"""Resource limits of an instance: memory bytes and table elements (memory.grow / table.grow
return -1, a larger minimum fails instantiation), and the Wasm stack size, which Wasm -> Python
-> Wasm recursion follows."""

import sys
import threading

import pytest

import wasmkiln


def test_memory_limit_grow_returns_minus_one(wasm):
    instance = wasmkiln.Instance(wasm("spin"), memory_limit=2 * 65536)
    assert instance.exports.grow(1) == 1
    assert instance.exports.grow(1) == -1  # the module's maximum is 4 pages
    assert instance.memory.size == 2
    assert instance.exports.add1(1) == 2


def test_memory_minimum_over_limit_fails_cleanly(wasm):
    with pytest.raises(MemoryError, match="memory minimum of 1 pages exceeds the store's limit"):
        wasmkiln.Instance(wasm("spin"), memory_limit=1000)


def test_table_limit_grow_returns_minus_one(wasm):
    instance = wasmkiln.Instance(wasm("spin"), table_limit=3)
    assert instance.exports.tgrow(2) == 1
    assert instance.exports.tgrow(1) == -1
    assert len(instance.exports.table) == 3


def test_limit_bad_values(wasm):
    for bad in (0, -1, "1"):
        with pytest.raises((ValueError, TypeError)):
            wasmkiln.Instance(wasm("spin"), memory_limit=bad)
    with pytest.raises(ValueError):
        wasmkiln.Instance(wasm("spin"), table_limit=2**32)


def test_stack_size_bounds_wasm_recursion(wasm):
    small = wasmkiln.Instance(wasm("spin"), stack_size=16 << 10)
    with pytest.raises(wasmkiln.Trap) as e:
        small.exports.down(5000)
    assert e.value.kind == "call_stack_exhausted"
    assert small.exports.down(10) == 10


def reentrant_depth(wasm, depth, **kwargs):
    """rec(n) calls back into Python, which calls rec(n - 1): n Wasm -> Python -> Wasm levels."""
    holder = {}

    def back(n):
        return holder["rec"](n)
    instance = wasmkiln.Instance(wasm("reenter"), {"env": {"back": back}}, **kwargs)
    holder["rec"] = instance.exports.rec
    return instance.exports.rec(depth)


def run_in_big_thread(fn):
    out = []
    old_size = threading.stack_size(512 << 20)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        t = threading.Thread(target=lambda: out.append(fn()))
        t.start()
        t.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    return out


def test_reentrant_recursion_default_budget_is_bounded(wasm):
    def deep():
        try:
            return reentrant_depth(wasm, 20_000)
        except (wasmkiln.Trap, RecursionError) as e:
            return e
    out = run_in_big_thread(deep)
    assert isinstance(out[0], (wasmkiln.Trap, RecursionError))


def test_reentrant_recursion_follows_stack_size(wasm):
    # The default 1 MiB budget stops at a few hundred levels; a larger budget on a larger
    # thread stack goes much deeper.
    out = run_in_big_thread(lambda: reentrant_depth(wasm, 5_000, stack_size=400 << 20))
    assert out == [5_000]
