"""The report: a table on stdout, and the same as CSV, Markdown and a PNG bar chart under
bench/results/ (a full run also refreshes bench/results-latest.{md,png} for the README)."""
import csv
import datetime
import math
import os
import shutil
import sys


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def ratio(results, kernel, engine):
    """Median seconds of engine over native's median at the same size, or None."""
    ref = 'native-small' if engine.small else 'native'
    mine, base = results.median(kernel, engine.name), results.median(kernel, ref)
    return mine / base if mine and base else None


def columns(results):
    return [e for e in results.engines if not e.hidden]


def cell(results, kernel, engine):
    if results.status(kernel, engine.name) != 'ok':
        return 'FAILED'
    s, r = results.median(kernel, engine.name), ratio(results, kernel, engine)
    return '%.3fs %5.2fx' % (s, r) if r is not None else '-'


def rows(results):
    """Table rows as lists of strings: header, kernels, geometric mean."""
    cols = columns(results)
    head = ['kernel', 'n'] + [e.label + ('*' if e.small else '') for e in cols]
    body = [[k.name, str(k.n(results.size))] + [cell(results, k, e) for e in cols]
            for k in results.kernels]
    geo = ['geomean', '']
    for e in cols:
        g = geomean([ratio(results, k, e) for k in results.kernels])
        geo.append('%5.2fx' % g if g else '-')
    return [head] + body + [geo]


def text_table(table):
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    fmt = lambda r: '  '.join(c.ljust(w) if i < 2 else c.rjust(w)  # noqa: E731
                              for i, (c, w) in enumerate(zip(r, widths)))
    lines = [fmt(table[0]), '  '.join('-' * w for w in widths)]
    lines += [fmt(r) for r in table[1:-1]] + ['  '.join('-' * w for w in widths), fmt(table[-1])]
    return '\n'.join(lines)


def md_table(table):
    lines = ['| ' + ' | '.join(table[0]) + ' |',
             '|' + '|'.join(['---', '---:'] + ['---:'] * (len(table[0]) - 2)) + '|']
    lines += ['| ' + ' | '.join(r) + ' |' for r in table[1:-1]]
    lines.append('| **' + table[-1][0] + '** | | ' + ' | '.join(
        '**%s**' % c.strip() for c in table[-1][2:]) + ' |')
    return '\n'.join(lines)


def header_lines(ctx, results, missing, reps):
    lines = ['wasmkiln benchmark suite, %s size, median of %d (wasm-interp: of %d), engines '
             'alternated per repetition' % (results.size, reps, min(reps, 3)),
             'date: %s' % datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
             'machine: %s' % ctx.machine(), 'engines:']
    lines += ['  %-20s %s' % (e.label, e.version) for e in columns(results)]
    lines += ['  %-20s NOT RUN: %s' % (e.label, e.reason) for e in missing]
    if any(e.small for e in columns(results)):
        lines.append('* wasm-interp runs at a reduced n (%s), compared with native at that n.'
                     % ', '.join('%s %d' % (k.name, k.small_n(results.size)) for k in results.kernels))
    if any(e.name.endswith('-simd') for e in columns(results)):
        lines.append('"simd128" columns run the -msimd128 build of the kernels; the other Wasm '
                     'columns run the scalar build.')
    lines.append('cells: median seconds of run(n) (compile excluded, after one warm-up call) '
                 'and ratio to native (lower is better)')
    return lines


def extras_lines(ex, results):
    if ex is None:
        return []
    out = ['', 'C API call cost (wk_func_call of a trivial i32 -> i32 export): %s'
           % ('%.1f ns/call' % ex.callcost_ns if ex.callcost_ns else 'not measured')]
    loop = [k for k in results.kernels if k.name == 'loop']
    wk = [e for e in results.engines if e.name == 'wasmkiln']
    if loop and wk and ratio(results, loop[0], wk[0]):
        out.append('tight integer loop (kernel "loop"): wasmkiln / native clang -O2 = %.2fx'
                   % ratio(results, loop[0], wk[0]))
    out += compile_lines(ex)
    out += python_lines(ex)
    out += [''] + ex.notes if ex.notes else []
    return out


def ms_per_mb(seconds, size):
    return '%.0f' % (seconds * 1e3 / (size / 1e6)) if seconds is not None else '-'


def compile_lines(ex):
    if not ex.compile_rows:
        return []
    out = ['', 'compile latency, bytes -> callable instance, median ms: "cold" is the first module '
           'in a new process, "warm" a second one in the same process (the compiler loaded); '
           'ms/MB from warm. V8: --no-liftoff --no-wasm-lazy-compilation.',
           '  %-9s %9s %10s %10s %10s %8s %8s %8s' % ('module', 'bytes', 'wk cold', 'wk warm',
                                                   'wk ms/MB', 'V8 cold', 'V8 warm', 'ms/MB')]
    fmt = lambda s: '%.2f' % (s * 1e3) if s is not None else '-'  # noqa: E731
    for name, size, wkc, wkw, v8c, v8w in ex.compile_rows:
        out.append('  %-9s %9d %10s %10s %10s %8s %8s %8s' % (
            name, size, fmt(wkc), fmt(wkw), ms_per_mb(wkw, size), fmt(v8c), fmt(v8w),
            ms_per_mb(v8w, size)))
    return out


def python_lines(ex):
    out = []
    o = ex.overhead
    if o:
        out += ['', 'Python call overhead, sum(5, 37): wasmkiln %.1f ns, pure-Python function '
                '%.1f ns, ctypes native %.1f ns; wasmkiln / pure Python = %.2fx, '
                'wasmkiln / ctypes = %.2fx' % (o['wasmkiln_ns'], o['python_ns'], o['ctypes_ns'],
                                               o['wasmkiln_ns'] / o['python_ns'],
                                               o['wasmkiln_ns'] / o['ctypes_ns'])]
    t = ex.transfer
    if t:
        out.append('memory transfer, 1 MiB: view slice write %.2f GB/s, read %.3f GB/s (a list); '
                   'buffer protocol write %.2f GB/s, read %.2f GB/s'
                   % (t['view_write_gbps'], t['view_read_gbps'], t['buffer_write_gbps'],
                      t['buffer_read_gbps']))
    return out


def write_csv(path, results):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['kernel', 'engine', 'n', 'median_s', 'ratio_to_native', 'runs', 'checksum',
                     'status'])
        for k in results.kernels:
            for e in results.engines:
                samples = results.samples.get((k.name, e.name), [])
                n = k.small_n(results.size) if e.small else k.n(results.size)
                med, r = results.median(k, e.name), ratio(results, k, e)
                sums = sorted({s.checksum for s in samples if not s.error})
                w.writerow([k.name, e.name, n, '%.6f' % med if med else '',
                            '%.4f' % r if r else '', len(samples),
                            ' '.join(str(c) for c in sums), results.status(k, e.name)])


def write_png(path, results):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print('bench/run: matplotlib missing (apt-get install python3-matplotlib): no chart',
              file=sys.stderr)
        return False
    cols = [e for e in columns(results) if e.name != 'native']
    names = [k.name for k in results.kernels] + ['geomean']
    fig, ax = plt.subplots(figsize=(max(8, len(names) * 0.9), 5.6))
    width = 0.8 / max(1, len(cols))
    for i, e in enumerate(cols):
        vals = [ratio(results, k, e) or 0 for k in results.kernels]
        vals.append(geomean(vals) or 0)
        ax.bar([x + (i - (len(cols) - 1) / 2) * width for x in range(len(names))], vals, width,
               label=e.label + (' (reduced n)' if e.small else ''))
    ax.axhline(1.0, color='black', linewidth=0.8)
    ax.set_yscale('log')
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator(
        [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: '%gx' % v))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_ylabel('time / native clang -O2 (log scale, lower is better)')
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha='right')
    ax.set_title('wasmkiln benchmark suite (%s size)' % results.size)
    ax.legend(fontsize='small', ncol=min(len(cols), 4), loc='upper center',
              bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write_all(ctx, results, missing, ex, reps, publish):
    table = rows(results)
    head = header_lines(ctx, results, missing, reps)
    tail = extras_lines(ex, results)
    print('\n'.join(head + ['', text_table(table)] + tail))
    os.makedirs(ctx.results, exist_ok=True)
    base = os.path.join(ctx.results, 'bench-%s' % results.size)
    write_csv(base + '.csv', results)
    md = '\n'.join(['```'] + head + ['```', '', md_table(table), '', '```'] + tail[1:] + ['```'])
    with open(base + '.md', 'w') as f:
        f.write(md + '\n')
    png = write_png(base + '.png', results)
    print('\nwrote %s.csv, %s.md%s' % (base, base, ', %s.png' % base if png else ''))
    if publish and results.size == 'full' and not results.failures():
        for ext in ['md'] + (['png'] if png else []):
            shutil.copyfile('%s.%s' % (base, ext),
                            os.path.join(ctx.bench, 'results-latest.%s' % ext))
        print('updated bench/results-latest.md%s' % (' and .png' if png else ''))


def print_check(results, missing):
    """--check: one line per kernel and engine; no timings."""
    for k in results.kernels:
        print('%-9s %s' % (k.name, ', '.join('%s %s' % (e.name, results.status(k, e.name))
                                            for e in results.engines)))
    for e in missing:
        print('%-9s %-20s %s: %s' % ('*', e.label, 'BROKEN' if e.broken else 'NOT CHECKED',
                                     e.reason))
    print('checksums: %s' % ('all agree with native' if not results.failures() else 'FAILED'))
