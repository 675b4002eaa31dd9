"""Measurements beside the kernel table: C-API call cost, compile latency (kernel modules and a
generated large module, wasmkiln beside V8), Python call overhead, memory transfer."""
import os
import statistics
import subprocess
import sys

from . import engines as eng
from . import kernels as kern

LARGE_FUNCTIONS = 4000
V8_EAGER = ['--no-liftoff', '--no-wasm-lazy-compilation']


class Extras:
    def __init__(self):
        self.callcost_ns = None
        self.compile_rows = []  # [module, bytes, wasmkiln cold, warm, V8 cold, warm] (s or None)
        self.overhead = None    # dict of ns per call
        self.transfer = None    # dict of GB/s
        self.failures = []
        self.notes = []


def run_fields(argv, env=None):
    rc, out, err, _ = eng.execute(argv, env)
    fields = eng.parse_fields(out)
    if rc != 0 or 'error' in fields:
        raise RuntimeError('exit %d: %s' % (rc, fields.get('error') or err.strip()[-300:]))
    return fields


def median_of(reps, fn):
    return statistics.median(fn() for _ in range(reps))


class LargeModule:
    """The generated module (LARGE_FUNCTIONS functions) as a pseudo-kernel."""
    name = 'large'


def build_large(ctx):
    src = os.path.join(ctx.art, 'large.c')
    gen = os.path.join(ctx.bench, 'gen_large.py')
    if kern.stale(src, [gen]):
        subprocess.run([sys.executable, gen, str(LARGE_FUNCTIONS), src], check=True)
    inc = '-I' + os.path.join(ctx.bench, 'kernels')
    driver = os.path.join(ctx.bench, 'drivers', 'native.c')
    k = LargeModule()
    kern.build_jobs(ctx, [
        (ctx.artifact(k, 'wasm'), [src], [ctx.clang] + kern.WASM_FLAGS +
         [inc, '-Wl,--export=run', src]),
        (ctx.artifact(k, 'native'), [src, driver], [ctx.clang] + kern.NATIVE_FLAGS +
         [inc, src, driver]),
    ])
    return k


def compile_row(ctx, engines, kernel, reps, ex):
    """Median compile seconds (bytes -> callable instance), cold (first module in a new process)
    and warm (a second module in the same process), on wasmkiln and on V8 (TurboFan, eager);
    checks run(1) against native's. Returns [name, bytes, wk cold, wk warm, v8 cold, v8 warm]."""
    path = ctx.artifact(kernel, 'wasm')
    native = run_fields([ctx.artifact(kernel, 'native'), '1'])['checksum']
    row = [kernel.name, os.path.getsize(path), None, None, None, None]
    commands = {}
    if 'wasmkiln' in engines:
        commands[2] = [engines['wasmkiln'].exe, '--compile', path]
    if 'v8' in engines:
        v8 = engines['v8']
        commands[4] = [v8.node] + V8_EAGER + [v8.script, '--compile', path]
    for col, argv in commands.items():
        try:
            samples = [run_fields(argv) for _ in range(reps)]
        except RuntimeError as e:
            ex.failures.append('compile %s: %s' % (kernel.name, e))
            continue
        bad = [s['checksum'] for s in samples if s['checksum'] != native]
        if bad:
            ex.failures.append('compile %s: checksum %s != native %s' % (kernel.name, bad[0],
                                                                         native))
        row[col] = statistics.median(float(s['compile_s']) for s in samples)
        row[col + 1] = statistics.median(float(s['compile_warm_s']) for s in samples)
    return row


def measure_compile(ctx, engines, reps, ex):
    sys.stderr.write('compile latency: building the generated large module (%d functions)\n'
                     % LARGE_FUNCTIONS)
    modules = list(ctx.kernels) + [build_large(ctx)]
    for i, k in enumerate(modules):
        sys.stderr.write('compile latency: %-9s (%d left)\n' % (k.name, len(modules) - i))
        n = min(reps, 3) if k.name != 'large' else 1  # the large one takes seconds
        ex.compile_rows.append(compile_row(ctx, engines, k, n, ex))


def measure_callcost(ctx, engines, ex):
    exe = engines['wasmkiln'].exe
    ex.callcost_ns = median_of(3, lambda: float(run_fields([exe, '--callcost'])['ns_per_call']))


def python_extras(ctx, engines, ex):
    py = engines['wasmkiln-py']
    sum_wasm = os.path.join(ctx.art, 'sum.wasm')
    sum_so = os.path.join(ctx.art, 'sum.so')
    src = os.path.join(ctx.bench, 'drivers', 'sum.c')
    kern.build_jobs(ctx, [
        (sum_wasm, [src], [ctx.clang] + kern.WASM_FLAGS + ['-Wl,--export=sum', src]),
        (sum_so, [src], [ctx.clang, '-O2', '-shared', '-fPIC', src]),
    ])
    sys.stderr.write('python: call overhead and memory transfer\n')
    f = run_fields(py.command('--overhead', sum_wasm, sum_so), py.env())
    ex.overhead = {k: float(v) for k, v in f.items()}
    memfill_kernel = kern.select('memfill')[0]
    kern.build_all(ctx, [memfill_kernel])  # present already unless --only left it out
    memfill = ctx.artifact(memfill_kernel, 'wasm')
    f = run_fields(py.command('--transfer', memfill), py.env())
    ex.transfer = {k: float(v) for k, v in f.items()}


def guarded(ex, what, fn, *args):
    try:
        fn(*args)
    except (RuntimeError, subprocess.CalledProcessError, ValueError) as e:
        ex.failures.append('%s: %s' % (what, e))


def measure_all(ctx, available, reps):
    ex = Extras()
    engines = {e.name: e for e in available}
    if 'wasmkiln' in engines:
        guarded(ex, 'C API call cost', measure_callcost, ctx, engines, ex)
    guarded(ex, 'compile latency', measure_compile, ctx, engines, reps, ex)
    if 'wasmkiln-py' in engines:
        guarded(ex, 'python extras', python_extras, ctx, engines, ex)
    else:
        ex.notes.append('Python call overhead and memory transfer: not measured '
                        '(wasmkiln Python package unavailable)')
    return ex
