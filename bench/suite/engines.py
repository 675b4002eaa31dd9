"""The engines of the suite: how each runs one kernel module, how its output is parsed, how it
is found on this machine, and its version string for the report."""
import os
import re
import shutil
import subprocess
import time

from .kernels import cache_value

TIMEOUT_S = 900


class Sample:
    """One run of one kernel on one engine."""

    def __init__(self, checksum=None, run_s=None, compile_s=None, error=None):
        self.checksum, self.run_s, self.compile_s, self.error = checksum, run_s, compile_s, error


def parse_fields(text):
    """key=value pairs of the last line of a driver's stdout ("error=" takes the whole line)."""
    lines = [ln for ln in text.strip().splitlines() if '=' in ln]
    if not lines:
        return {}
    if lines[-1].startswith('error='):
        return {'error': lines[-1][len('error='):]}
    return dict(kv.split('=', 1) for kv in lines[-1].split() if '=' in kv)


def execute(argv, env=None, timeout=TIMEOUT_S):
    """Runs argv; returns (exit code, stdout, stderr, wall seconds)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, '', 'timed out after %d s' % timeout, time.perf_counter() - t0
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - t0


def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return '?'
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) \
        else '?'


class Engine:
    """A driver process per run that prints "checksum=.. run_s=.. compile_s=..". `small` engines
    run at the reduced size (and are compared with native at that size)."""
    small = False
    hidden = False
    max_reps = 1000

    def __init__(self, ctx, name, label, reason=None, broken=False):
        self.ctx, self.name, self.label = ctx, name, label
        self.reason, self.broken = reason, broken
        self.version = ''

    def argv(self, kernel, n, warm):
        raise NotImplementedError

    def env(self):
        return None

    def run(self, kernel, n, warm):
        rc, out, err, _ = execute(self.argv(kernel, n, warm), self.env())
        fields = parse_fields(out)
        if rc != 0 or 'checksum' not in fields:
            msg = fields.get('error') or (err.strip().splitlines() or ['no output'])[-1]
            return Sample(error='exit %d: %s' % (rc, msg))
        return Sample(int(fields['checksum']) & 0xFFFFFFFF, float(fields['run_s']),
                      float(fields.get('compile_s', 0)))


class Native(Engine):
    def __init__(self, ctx, name='native', label='native'):
        super().__init__(ctx, name, label)
        self.version = '%s, -O2 -ffp-contract=off' % first_line([ctx.clang, '--version'])

    def argv(self, kernel, n, warm):
        return [self.ctx.artifact(kernel, 'native'), str(n), str(warm)]


class NativeSmall(Native):
    """Native at the reduced size: the reference of the wasm-interp column."""
    small = True
    hidden = True
    max_reps = 3

    def __init__(self, ctx):
        super().__init__(ctx, 'native-small', 'native (reduced n)')


class WasmkilnC(Engine):
    def __init__(self, ctx):
        super().__init__(ctx, 'wasmkiln', 'wasmkiln (C API)')
        self.exe = os.path.join(ctx.build, 'bench', 'wk_bench')
        self.version = ctx.wasmkiln_version()

    def argv(self, kernel, n, warm):
        return [self.exe, self.ctx.artifact(kernel, 'wasm'), str(n), str(warm)]

    def probe(self):
        if not os.path.exists(self.exe):
            return 3, 'not built (%s missing: build with cmake)' % self.exe
        rc, out, err, _ = execute([self.exe, '--probe'], timeout=120)
        return rc, parse_fields(out).get('error') or err.strip() or out.strip()


class WasmkilnSimd(WasmkilnC):
    """wasmkiln on the -msimd128 build of the kernels (runs once SIMD lowering exists)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.name, self.label = 'wasmkiln-simd', 'wasmkiln simd128'

    def argv(self, kernel, n, warm):
        return [self.exe, self.ctx.artifact(kernel, 'simd.wasm'), str(n), str(warm)]

    def probe(self):
        rc, reason = super().probe()
        if rc != 0:
            return rc, reason
        saxpy = [k for k in self.ctx.kernels if k.name == 'saxpy'] or self.ctx.kernels
        rc, out, err, _ = execute(self.argv(saxpy[0], 1, 1), timeout=120)
        return (0, '') if rc == 0 else (3, 'cannot run -msimd128 modules yet: %s'
                                        % (parse_fields(out).get('error') or err.strip()))


class WasmkilnFuel(WasmkilnC):
    """wasmkiln with fuel metering compiled in (WK_FUEL=1; the budget left unlimited): the cost
    of fuel."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.name, self.label = 'wasmkiln-fuel', 'wasmkiln fuel'

    def env(self):
        return dict(os.environ, WK_FUEL='1')


class WasmkilnBaseline(WasmkilnC):
    """wk_bench of another build, $WK_BENCH_BASELINE (e.g. one of the commit before the
    interrupt checks), run beside this build's: the cost of a change, engines alternating."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.name, self.label = 'wasmkiln-baseline', 'wasmkiln baseline'
        self.exe = os.environ.get('WK_BENCH_BASELINE', '')
        self.version = 'baseline build %s' % self.exe

    def probe(self):
        if not self.exe:
            return 3, 'WK_BENCH_BASELINE (a baseline build\'s bench/wk_bench) is not set'
        return super().probe()


class WasmkilnPy(Engine):
    def __init__(self, ctx):
        super().__init__(ctx, 'wasmkiln-py', 'wasmkiln (Python)')
        self.script = os.path.join(ctx.bench, 'drivers', 'python.py')
        self.version = '%s, %s' % (ctx.wasmkiln_version(),
                                   first_line([ctx.python, '--version']))

    def env(self):
        env = dict(os.environ)
        paths = [self.ctx.pythonpath] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else [])
        env['PYTHONPATH'] = os.pathsep.join(paths)
        env['WASMKILN_CACHE'] = '0'  # compiled from scratch every run, and no user cache written
        if cache_value(self.ctx.build, 'WK_SANITIZE') == 'ON':
            # An ASan-built extension needs the ASan runtime loaded first (as tests/python).
            cc = cache_value(self.ctx.build, 'CMAKE_C_COMPILER') or 'cc'
            env['LD_PRELOAD'] = first_line([cc, '-print-file-name=libasan.so'])
            env['ASAN_OPTIONS'] = 'detect_leaks=0'
        return env

    def command(self, *args):
        return [self.ctx.python, self.script] + [str(a) for a in args]

    def argv(self, kernel, n, warm):
        return self.command(self.ctx.artifact(kernel, 'wasm'), n, warm)

    def probe(self):
        rc, out, err, _ = execute(self.command('--probe'), self.env(), timeout=120)
        return rc, parse_fields(out).get('error') or err.strip() or out.strip()


class V8(Engine):
    FLAGS = ['--no-liftoff']

    def __init__(self, ctx):
        super().__init__(ctx, 'v8', 'V8 (node)')
        self.node = shutil.which('node')
        self.script = os.path.join(ctx.bench, 'drivers', 'node.cjs')
        if self.node:
            v8 = first_line([self.node, '-p', 'process.versions.v8'])
            self.version = 'V8 %s (node %s, %s)' % (v8, first_line([self.node, '--version']),
                                                   ' '.join(self.FLAGS))

    def command(self, flags, path, n, warm=None):
        return [self.node] + flags + [self.script, path, str(n)] + \
            ([str(warm)] if warm is not None else [])

    def argv(self, kernel, n, warm):
        return self.command(self.FLAGS, self.ctx.artifact(kernel, 'wasm'), n, warm)

    def probe(self):
        return (0, '') if self.node else (3, 'node not found on PATH')


class V8Simd(V8):
    """V8 on the -msimd128 build of the kernels; run beside wasmkiln simd128 only."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.name, self.label = 'v8-simd', 'V8 simd128'

    def argv(self, kernel, n, warm):
        return self.command(self.FLAGS, self.ctx.artifact(kernel, 'simd.wasm'), n, warm)


class WasmInterp(Engine):
    """wabt's interpreter: cannot pass arguments, so it runs run_fixed() of a module built with
    the reduced n; timed from outside (process start to exit). A floor, not a target: at most
    three repetitions."""
    small = True
    max_reps = 3

    def __init__(self, ctx):
        super().__init__(ctx, 'wasm-interp', 'wasm-interp (wabt)')
        self.exe = shutil.which('wasm-interp')
        if self.exe:
            self.version = 'wabt wasm-interp %s' % first_line([self.exe, '--version'])

    def argv(self, kernel, n, warm):
        return [self.exe, '--run-all-exports', self.ctx.fixed_artifact(kernel, n)]

    def run(self, kernel, n, warm):
        rc, out, err, wall = execute(self.argv(kernel, n, warm))
        m = re.search(r'run_fixed\(\) => i32:(-?\d+)', out)
        if rc != 0 or not m:
            return Sample(error='exit %d: %s' % (rc, (out + err).strip()[-200:]))
        return Sample(int(m.group(1)) & 0xFFFFFFFF, wall, 0.0)

    def probe(self):
        return (0, '') if self.exe else (3, 'wasm-interp not found on PATH')


ORDER = ['native', 'wasmkiln', 'wasmkiln-py', 'v8', 'wasm-interp', 'wasmkiln-simd', 'v8-simd']
FACTORIES = {'wasmkiln': WasmkilnC, 'wasmkiln-py': WasmkilnPy, 'v8': V8,
             'wasm-interp': WasmInterp, 'wasmkiln-simd': WasmkilnSimd, 'v8-simd': V8Simd,
             'wasmkiln-fuel': WasmkilnFuel, 'wasmkiln-baseline': WasmkilnBaseline}
# Run only when asked for (--engines): costs of options and changes.


def discover(ctx, only):
    """Returns (engines to run, engines not run). Native always runs. A probe exit code of 3
    means "not available in this build" (reported); any other failure marks it broken."""
    wanted = ORDER[1:] if not only else [e for e in only.split(',') if e != 'native']
    for name in wanted:
        if name not in FACTORIES:
            raise SystemExit('bench/run: unknown engine %r (have: %s)'
                             % (name, ', '.join(FACTORIES)))
    available, missing = [Native(ctx)], []
    for name in wanted:
        engine = FACTORIES[name](ctx)
        rc, reason = engine.probe()
        if rc == 0:
            available.append(engine)
        else:
            engine.reason, engine.broken = reason, rc != 3
            missing.append(engine)
    names = [e.name for e in available]
    if 'v8-simd' in names and not only and 'wasmkiln-simd' not in names:
        available = [e for e in available if e.name != 'v8-simd']  # a column only beside ours
    if any(e.small for e in available):
        available.append(NativeSmall(ctx))
    return available, missing
