"""Cold-start driver (wasmkiln through Python), one measurement per process, for bench/coldstart.
  coldstart.py STRATEGY CACHE KIND FILE [FIRST_N WORK_N REPEAT]
STRATEGY: `default` (no configure() call: the package's defaults, cache included) or a
strategy name for wasmkiln.configure(); CACHE: a directory, or `off`. KIND `wasi`: runs
`_start` with a minimal WASI preview-1 shim (the first result is the program's exit); any other
KIND is an export `f(i32) -> i32`: calls f(FIRST_N) (the first result), then f(WORK_N) REPEAT
times (the workload). Prints "module_s=.. first_s=.. work_s=.. result=..",
times from just before Module(bytes)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wasi_shim  # noqa: E402


def main(argv):
    strategy, cache, kind, path = argv[:4]
    import wasmkiln
    if strategy != 'default':
        wasmkiln.configure(strategy=strategy, cache_dir=None if cache == 'off' else cache)
    data = open(path, 'rb').read()
    t0 = time.perf_counter()
    module = wasmkiln.Module(data)
    t1 = time.perf_counter()
    if kind == 'wasi':
        shim = wasi_shim.Wasi()
        inst = wasmkiln.Instance(module, shim.imports(module))
        shim.memory = inst.memory
        result = shim.start(inst.exports._start)
        t2 = t3 = time.perf_counter()
    else:
        f = wasmkiln.Instance(module).exports[kind]
        f(int(argv[4]))
        t2 = time.perf_counter()
        for _ in range(int(argv[6])):
            result = f(int(argv[5])) & 0xFFFFFFFF
        t3 = time.perf_counter()
    print('module_s=%.6f first_s=%.6f work_s=%.6f result=%s' % (t1 - t0, t2 - t0, t3 - t0,
                                                                  result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
