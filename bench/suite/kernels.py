"""The kernels: their sizes, how they are built (clang, wasm32 and native from one source), and
the measuring loop (engines alternated per repetition, checksums compared with native)."""
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)

COMMON = ['-O2', '-ffp-contract=off', '-fno-math-errno', '-Wall', '-Wextra']
WASM_FLAGS = ['--target=wasm32', '-mbulk-memory', '-msign-ext', '-nostdlib', '-Wl,--no-entry',
              '-Wl,-z,stack-size=1048576'] + COMMON
NATIVE_FLAGS = COMMON


class Kernel:
    """n at the full size (native 0.2-2 s), at the quick size, and for wasm-interp (reduced)."""

    def __init__(self, name, what, full, quick, interp):
        self.name, self.what = name, what
        self.sizes = {'full': full, 'quick': quick}
        self.interp = interp

    def n(self, size):
        return self.sizes[size]

    def small_n(self, size):
        return self.interp if size == 'full' else min(self.interp, self.sizes['quick'])

    def warm_n(self):
        return self.sizes['quick']


KERNELS = [
    Kernel('matmul', 'dense matrix multiply, 96x96 f64', 1400, 50, 2),
    Kernel('stencil', '2-D 5-point Jacobi stencil, 256x256 f32', 16000, 150, 8),
    Kernel('lcs', 'dynamic programming: LCS of 2 x 2000 bytes', 100, 3, 1),
    Kernel('qsort', 'quicksort of 200,000 u32', 20, 1, 1),
    Kernel('sha256', 'SHA-256 of 64 KiB', 900, 30, 5),
    Kernel('crc32', 'CRC-32 (table) of 256 KiB', 400, 10, 4),
    Kernel('nbody', 'n-body, 5 bodies, f64', 3000000, 50000, 20000),
    Kernel('interp', 'bytecode interpreter loop (switch)', 600, 10, 3),
    Kernel('fib', 'recursive Fibonacci (calls)', 39, 27, 28),
    Kernel('memfill', 'memory copy + fill, 8 MiB', 350, 5, 40),
    Kernel('saxpy', 'saxpy, 32K f32 (SIMD-friendly)', 60000, 1000, 30),
    Kernel('bintrees', 'binary trees, bump allocator', 300, 5, 4),
    Kernel('loop', 'tight integer loop (issue 4)', 100, 5, 1),
]


def select(only):
    if not only:
        return list(KERNELS)
    names = only.split(',')
    known = {k.name: k for k in KERNELS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit('bench/run: unknown kernel(s) %s (have: %s)'
                         % (', '.join(unknown), ', '.join(known)))
    return [known[n] for n in names]


def cache_value(build, key):
    try:
        with open(os.path.join(build, 'CMakeCache.txt')) as f:
            for line in f:
                if line.startswith(key + ':'):
                    return line.split('=', 1)[1].strip()
    except OSError:
        pass
    return None


class Context:
    """Paths and tools of one run."""

    @classmethod
    def create(cls, build_dir, size):
        ctx = cls()
        ctx.root, ctx.bench, ctx.size = ROOT, BENCH, size
        ctx.kernels = []
        ctx.build = os.path.abspath(build_dir or os.environ.get('WK_BUILD_DIR')
                                    or os.path.join(ROOT, 'build'))
        ctx.art = os.path.join(ctx.build, 'bench', 'artifacts')
        ctx.results = os.path.join(BENCH, 'results')
        ctx.clang = os.environ.get('CLANG') or shutil.which('clang') or 'clang'
        ctx.python = cache_value(ctx.build, 'Python3_EXECUTABLE') or '/usr/bin/python3'
        ctx.pythonpath = os.environ.get('WK_PYTHONPATH') or os.path.join(ctx.build, 'python')
        os.makedirs(ctx.art, exist_ok=True)
        return ctx

    def artifact(self, kernel, kind):
        return os.path.join(self.art, '%s.%s' % (kernel.name, kind))

    def fixed_artifact(self, kernel, n):
        return os.path.join(self.art, '%s.fixed-%d.wasm' % (kernel.name, n))

    def source(self, name):
        return os.path.join(BENCH, 'kernels', name + '.c')

    def wasmkiln_version(self):
        version = cache_value(self.build, 'CMAKE_PROJECT_VERSION') or '?'
        try:
            rev = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                                 capture_output=True, text=True).stdout.strip()
        except OSError:
            rev = ''
        llvm = cache_value(self.build, 'LLVM_DIR') or ''
        llvm = 'LLVM 19' if 'llvm-19' in llvm else 'LLVM'
        return 'wasmkiln %s%s (%s)' % (version, ' @' + rev if rev else '', llvm)

    def machine(self):
        model = platform.processor() or '?'
        try:
            with open('/proc/cpuinfo') as f:
                for line in f:
                    if line.startswith('model name'):
                        model = line.split(':', 1)[1].strip()
                        break
        except OSError:
            pass
        return '%s, %d cores, %s %s' % (model, os.cpu_count() or 0, platform.system(),
                                        platform.release())


def stale(out, inputs):
    if not os.path.exists(out):
        return True
    t = os.path.getmtime(out)
    return any(os.path.getmtime(i) > t for i in inputs)


def compile_job(ctx, out, inputs, argv):
    """Runs a clang command when out is older than its inputs; returns an error or None."""
    if not stale(out, inputs + [os.path.abspath(__file__)]):
        return None
    p = subprocess.run(argv + ['-o', out + '.tmp'], capture_output=True, text=True)
    if p.returncode != 0:
        return '%s\n%s' % (' '.join(argv), p.stderr)
    os.replace(out + '.tmp', out)
    return None


def jobs_for(ctx, kernel):
    src = ctx.source(kernel.name)
    header = os.path.join(BENCH, 'kernels', 'kernel.h')
    driver = os.path.join(BENCH, 'drivers', 'native.c')
    wasm = [ctx.clang] + WASM_FLAGS
    yield (ctx.artifact(kernel, 'wasm'), [src, header], wasm + ['-Wl,--export=run', src])
    yield (ctx.artifact(kernel, 'simd.wasm'), [src, header],
           wasm + ['-msimd128', '-Wl,--export=run', src])
    yield (ctx.artifact(kernel, 'native'), [src, header, driver],
           [ctx.clang] + NATIVE_FLAGS + [src, driver])
    n = kernel.small_n(ctx.size)
    yield (ctx.fixed_artifact(kernel, n), [src, header],
           wasm + ['-DFIXED_N=%d' % n, '-Wl,--export=run_fixed', src])


def build_jobs(ctx, jobs):
    """Builds (out, inputs, argv) jobs two at a time; exits with clang's message on failure."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = [e for e in pool.map(lambda j: compile_job(ctx, *j), jobs) if e]
    if errors:
        sys.exit('bench/run: build failed:\n' + '\n'.join(errors))


def build_all(ctx, kernels):
    if not shutil.which(ctx.clang) and not os.path.exists(ctx.clang):
        sys.exit('bench/run: clang not found (install clang and lld: cmake/dev deps)')
    build_jobs(ctx, [j for k in kernels for j in jobs_for(ctx, k)])


class Results:
    """Samples per (kernel, engine), with checksum verdicts."""

    def __init__(self, size, kernels, engines):
        self.size, self.kernels, self.engines = size, kernels, engines
        self.samples = {}
        self.errors = []

    def add(self, kernel, engine, sample):
        self.samples.setdefault((kernel.name, engine.name), []).append(sample)

    def median(self, kernel, engine_name):
        runs = [s.run_s for s in self.samples.get((kernel.name, engine_name), []) if not s.error]
        return statistics.median(runs) if runs else None

    def status(self, kernel, engine_name):
        return self.verdicts.get((kernel.name, engine_name), 'not run')

    def verify(self):
        """Compares every engine's checksums with native's at the same size."""
        self.verdicts = {}
        for k in self.kernels:
            for e in self.engines:
                self.verdicts[(k.name, e.name)] = self.verdict(k, e)
        self.errors = ['%s/%s: %s' % (k, e, v) for (k, e), v in self.verdicts.items()
                       if v != 'ok']

    def verdict(self, kernel, engine):
        mine = self.samples.get((kernel.name, engine.name), [])
        ref_name = 'native-small' if engine.small else 'native'
        ref = {s.checksum for s in self.samples.get((kernel.name, ref_name), []) if not s.error}
        bad = [s.error for s in mine if s.error]
        if bad:
            return 'FAILED: ' + bad[0]
        if len(ref) != 1:
            return 'FAILED: native checksum unavailable or unstable (%s)' % sorted(ref)
        got = {s.checksum for s in mine}
        if got != ref:
            return 'CHECKSUM MISMATCH: got %s, %s gives %d' % (sorted(got), ref_name, ref.pop())
        return 'ok'

    def failures(self):
        return list(self.errors)


class Progress:
    """One status line on stderr (rewritten in place on a terminal)."""

    def __init__(self, total):
        self.total, self.done, self.t0 = total, 0, time.perf_counter()
        self.tty = sys.stderr.isatty()

    def show(self, kernel, rep, reps, engine):
        self.done += 1
        line = '[%3d/%d, %3.0f s] %-9s rep %d/%d  %-16s (%d left)' % (
            self.done, self.total, time.perf_counter() - self.t0, kernel.name, rep + 1, reps,
            engine.label, self.total - self.done)
        if self.tty:
            sys.stderr.write('\r' + line.ljust(79)[:79])
        elif rep == 0 and engine.name == 'native':
            sys.stderr.write(line + '\n')
        sys.stderr.flush()

    def finish(self):
        if self.tty:
            sys.stderr.write('\r' + ' ' * 79 + '\r')
        sys.stderr.write('measured %d runs in %.0f s\n' % (self.done, time.perf_counter() - self.t0))


def measure(ctx, kernels, engines, reps, timed=True):
    """Runs every kernel on every engine, alternating engines within each repetition."""
    results = Results(ctx.size, kernels, engines)
    progress = Progress(len(kernels) * sum(min(reps, e.max_reps) for e in engines))
    for k in kernels:
        for rep in range(reps):
            for e in engines:
                if rep >= e.max_reps:
                    continue
                progress.show(k, rep, reps, e)
                n = k.small_n(ctx.size) if e.small else k.n(ctx.size)
                warm = min(k.warm_n(), n) if timed else None
                results.add(k, e, e.run(k, n, warm if warm is not None else 0))
    progress.finish()
    results.verify()
    return results
