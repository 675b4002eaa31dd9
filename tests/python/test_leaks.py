"""Creating and dropping 100,000 instances keeps RSS flat."""

import gc
import os

import wasmkiln


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def churn(module, n):
    for i in range(n):
        inst = wasmkiln.Instance(module)
        inst.exports.sum(i, 1)
        inst.memory.uint8_view()[0] = 1


def test_100k_instances_rss_flat(wasm):
    module = wasmkiln.Module(wasm("my_program"))
    churn(module, 10_000)
    gc.collect()
    before = rss_bytes()
    churn(module, 100_000)
    gc.collect()
    assert rss_bytes() - before < 16 * 2**20


def test_modules_and_traps_do_not_leak(wasm):
    data = wasm("traps")
    module = wasmkiln.Module(data)
    inst = wasmkiln.Instance(module)

    def run(n):
        for _ in range(n):
            try:
                inst.exports.div_zero(0)
            except wasmkiln.Trap:
                pass
            try:
                wasmkiln.Module(b"\0asm\1\0\0\0\1")
            except wasmkiln.CompileError:
                pass

    run(5_000)
    gc.collect()
    before = rss_bytes()
    run(50_000)
    gc.collect()
    assert rss_bytes() - before < 8 * 2**20
