"""A minimal WASI preview-1 shim for cold-start measurements (bench/drivers/coldstart.py): no
arguments, no environment, no preopened directories; stdout/stderr are collected; clocks and
random_get are real; every other import returns ENOSYS. The same shim exists in JavaScript
(coldstart.cjs) so that wasmkiln and V8 do the same host work."""
import os
import struct
import time

ESUCCESS, EBADF, ENOSYS = 0, 8, 52


class Exit(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class Wasi:
    def __init__(self):
        self.memory = None
        self.out = {1: bytearray(), 2: bytearray()}

    def buf(self):
        return memoryview(self.memory)

    def fd_write(self, fd, iovs, n, nwritten):
        mem, total = self.buf(), 0
        for i in range(n):
            ptr, size = struct.unpack_from('<II', mem, iovs + 8 * i)
            if fd in self.out:
                self.out[fd] += mem[ptr:ptr + size]
            total += size
        struct.pack_into('<I', mem, nwritten, total)
        return ESUCCESS if fd in self.out else EBADF

    def sizes_get(self, count, size):
        struct.pack_into('<I', self.buf(), count, 0)
        struct.pack_into('<I', self.buf(), size, 0)
        return ESUCCESS

    def clock_time_get(self, clock, precision, out):
        ns = time.monotonic_ns() if clock == 1 else time.time_ns()
        struct.pack_into('<Q', self.buf(), out, ns)
        return ESUCCESS

    def random_get(self, ptr, size):
        self.buf()[ptr:ptr + size] = os.urandom(size)
        return ESUCCESS

    def proc_exit(self, code):
        raise Exit(code)

    def imports(self, module):
        known = {
            'fd_write': self.fd_write,
            'environ_sizes_get': self.sizes_get,
            'args_sizes_get': self.sizes_get,
            'environ_get': lambda a, b: ESUCCESS,
            'args_get': lambda a, b: ESUCCESS,
            'clock_time_get': self.clock_time_get,
            'random_get': self.random_get,
            'proc_exit': self.proc_exit,
            'sched_yield': lambda: ESUCCESS,
            'fd_prestat_get': lambda fd, out: EBADF,
        }
        funcs = {}
        for imp in module.imports:
            if imp.module == 'wasi_snapshot_preview1':
                funcs[imp.name] = known.get(imp.name, lambda *args: ENOSYS)
        return {'wasi_snapshot_preview1': funcs}

    def start(self, start):
        """Runs _start; returns the exit code (0 when it returns)."""
        try:
            start()
        except Exit as e:
            return e.code
        return 0
