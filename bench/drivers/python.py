"""wasmkiln engine driver through the Python package (`wasmkiln.Instance`), for bench/run.
  python.py FILE.wasm N [WARM_N]    prints "checksum=<u32> run_s=<s> compile_s=<s>"
  python.py --probe                 exit 0 when wasmkiln can instantiate and call, else 3
  python.py --overhead SUM.wasm SUM.so   ns per call: wasmkiln, pure Python, ctypes
  python.py --transfer FILE.wasm    GB/s for 1 MiB through a view slice and the buffer protocol
"""
import ctypes
import sys
import time
import timeit

# (module (func (export "id") (param i32) (result i32) local.get 0))
ID_MODULE = bytes.fromhex('0061736d0100000001060160017f017f030201000706010269640000'
                          '0a0601040020000b')
MIB = 1 << 20


def probe():
    try:
        import wasmkiln
    except ImportError as e:
        print('error=cannot import wasmkiln: %s' % e)
        return 3
    try:
        inst = wasmkiln.Instance(ID_MODULE)
    except Exception as e:  # an engine without execution yet reports this way
        print('error=%s: %s' % (type(e).__name__, e))
        return 3
    result = inst.exports.id(42)
    if result != 42:
        print('error=id(42) returned %r' % (result,))
        return 1
    print('ok')
    return 0


def kernel(path, n, warm):
    import wasmkiln
    with open(path, 'rb') as f:
        data = f.read()
    t0 = time.perf_counter()
    module = wasmkiln.Module(data)
    run = wasmkiln.Instance(module).exports.run
    t1 = time.perf_counter()
    if warm is not None:
        run(warm)
        module.wait_optimized()  # steady state: the hot functions' O2 code is in
    t2 = time.perf_counter()
    checksum = run(n) & 0xFFFFFFFF
    t3 = time.perf_counter()
    print('checksum=%d run_s=%.9f compile_s=%.9f' % (checksum, t3 - t2, t1 - t0))
    return 0


def per_call_ns(stmt, env, number=1_000_000):
    """Best of five timings of `number` calls, in ns per call."""
    return min(timeit.repeat(stmt, globals=env, number=number, repeat=5)) * 1e9 / number


def overhead(wasm_path, so_path):
    import wasmkiln
    with open(wasm_path, 'rb') as f:
        wsum = wasmkiln.Instance(f.read()).exports.sum
    lib = ctypes.CDLL(so_path)
    csum = lib.sum
    csum.argtypes = [ctypes.c_int32, ctypes.c_int32]
    csum.restype = ctypes.c_int32

    def psum(x, y):
        return x + y

    for f in (wsum, csum, psum):
        if f(5, 37) != 42:
            print('error=sum(5, 37) != 42 through %r' % (f,))
            return 1
    env = {'wsum': wsum, 'csum': csum, 'psum': psum}
    wasm = per_call_ns('wsum(5, 37)', env)
    pure = per_call_ns('psum(5, 37)', env)
    ctyp = per_call_ns('csum(5, 37)', env)
    print('wasmkiln_ns=%.1f python_ns=%.1f ctypes_ns=%.1f' % (wasm, pure, ctyp))
    return 0


def buffer_of(memory):
    """The buffer-protocol object of a Memory: Memory.buffer, or Memory itself."""
    buf = getattr(memory, 'buffer', memory)
    return memoryview(buf)


def gbps(fn, size, number=20):
    return size / (min(timeit.repeat(fn, number=number, repeat=5)) / number) / 1e9


def transfer(path):
    import wasmkiln
    with open(path, 'rb') as f:
        inst = wasmkiln.Instance(f.read())
    mem = inst.memory
    view = mem.uint8_view()
    mv = buffer_of(mem)
    payload = bytes(range(256)) * (MIB // 256)

    def view_write():
        view[0:MIB] = payload

    def view_read():
        return view[0:MIB]

    def buf_write():
        mv[0:MIB] = payload

    def buf_read():
        return bytes(mv[0:MIB])

    view_write()
    if bytes(view_read()) != payload or buf_read() != payload:
        print('error=memory read back differs from what was written')
        return 1
    print('view_write_gbps=%.3f view_read_gbps=%.3f buffer_write_gbps=%.3f buffer_read_gbps=%.3f'
          % (gbps(view_write, MIB, 5), gbps(view_read, MIB, 5), gbps(buf_write, MIB),
             gbps(buf_read, MIB)))
    return 0


def main(argv):
    if len(argv) >= 1 and argv[0] == '--probe':
        return probe()
    if len(argv) == 3 and argv[0] == '--overhead':
        return overhead(argv[1], argv[2])
    if len(argv) == 2 and argv[0] == '--transfer':
        return transfer(argv[1])
    if len(argv) in (2, 3) and not argv[0].startswith('--'):
        return kernel(argv[0], int(argv[1]), int(argv[2]) if len(argv) == 3 else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
