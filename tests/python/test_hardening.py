"""Regression tests of issue 13's fixes: the code cache's integrity check, deep block nesting,
two threads whose callbacks call into each other's instances, and objects of different stores."""

import os
import subprocess
import sys
import threading

import pytest

import wasmkiln
from conftest import PACKAGE_DIR


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def module_with_body(body, results=b"\x01\x7f"):
    """A module of one exported function `f` () -> results with the given body."""
    def section(sid, content):
        return bytes([sid]) + leb(len(content)) + content
    types = section(1, b"\x01\x60\x00" + results)
    funcs = section(3, b"\x01\x00")
    exports = section(7, b"\x01\x01f\x00\x00")
    code_body = b"\x00" + body + b"\x0b"
    code = section(10, b"\x01" + leb(len(code_body)) + code_body)
    return b"\0asm\1\0\0\0" + types + funcs + exports + code


def test_20000_nested_blocks_validate_and_run():
    depth = 20_000
    body = b"\x02\x40" * depth + b"\x0b" * depth + b"\x41\x07"  # blocks, then i32.const 7
    wasm = module_with_body(body)
    assert wasmkiln.validate(wasm)
    assert wasmkiln.Instance(wasm).exports.f() == 7


CACHED_CONSTANT = """
import sys, wasmkiln
wasmkiln.configure(cache_dir=sys.argv[1])
wasm = bytes.fromhex(sys.argv[2])
print(wasmkiln.Instance(wasm).exports.f())
"""


def test_changed_immediate_in_cache_file_recompiles(tmp_path):
    wasm = module_with_body(b"\x41" + bytes([0xF8, 0xAC, 0xD1, 0x91, 0x01]))  # 0x12345678

    def run():
        env = dict(os.environ, PYTHONPATH=PACKAGE_DIR)
        return subprocess.run([sys.executable, "-c", CACHED_CONSTANT, str(tmp_path), wasm.hex()],
                              env=env, capture_output=True, text=True, check=True).stdout
    assert run() == "305419896\n"
    [entry] = [p for p in tmp_path.iterdir() if p.suffix == ".wkobj"]
    data = entry.read_bytes()
    assert data.count(b"\x78\x56\x34\x12") >= 1  # the immediate in the object code
    entry.write_bytes(data.replace(b"\x78\x56\x34\x12", b"\x11\x11\x11\x11"))
    assert run() == "305419896\n"  # the altered entry fails its check: compiled again


def test_callbacks_into_each_others_instances_raise_instead_of_deadlock(wasm):
    barrier = threading.Barrier(2, timeout=10)
    holder = {}

    def back_a(n):
        barrier.wait()
        return holder["b"].exports.rec(0)

    def back_b(n):
        barrier.wait()
        return holder["a"].exports.rec(0)
    holder["a"] = wasmkiln.Instance(wasm("reenter"), {"env": {"back": back_a}})
    holder["b"] = wasmkiln.Instance(wasm("reenter"), {"env": {"back": back_b}})
    outcomes = {}

    def run(name):
        try:
            outcomes[name] = holder[name].exports.rec(1)
        except RuntimeError as e:
            outcomes[name] = e
    threads = [threading.Thread(target=run, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    errors = [o for o in outcomes.values() if isinstance(o, RuntimeError)]
    assert errors and all("deadlock" in str(e) for e in errors)
    # Both instances work afterwards.
    assert holder["a"].exports.rec(0) == 0 and holder["b"].exports.rec(0) == 0


def test_function_of_another_instance_links_and_outlives_it(wasm):
    # Python never shows stores: putting a's function in b's table joins their objects (issue
    # 15), so the function stays valid as long as the table holds it, even once `a` is gone.
    # The C API, which does show stores, refuses the same (test_api.c: test_api_objects_of_another_store_refused).
    a = wasmkiln.Instance(wasm("spin"))
    b = wasmkiln.Instance(wasm("spin"))
    b.exports.table[0] = a.exports.add1
    del a
    import gc
    gc.collect()
    assert b.exports.table[0](41) == 42
