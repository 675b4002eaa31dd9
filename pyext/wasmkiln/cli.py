"""The wasmkiln command line (also the `wasmkiln` console script), with wasmtime's flags where
it has the same concept:

    wasmkiln run [--dir HOST[::GUEST]]... [--env KEY[=VALUE]]... [--invoke NAME] FILE.wasm [ARGS...]
    wasmkiln validate FILE.wasm
    wasmkiln inspect FILE.wasm

`run` passes stdin, stdout and stderr through and exits with the guest's exit code (134 when
it traps, as wasmtime); `--invoke NAME` calls an export with ARGS parsed by its parameter
types and prints the results, one per line. The C executable `wkrun` has the same interface.
"""
import argparse
import os
import sys

from . import Exit, Instance, Module, Trap, WasiConfig, validate

EXIT_TRAP = 134


def _parser():
    p = argparse.ArgumentParser(prog="wasmkiln", description="Run and inspect WebAssembly modules.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a WASI command (or --invoke an export)")
    run.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                     help="preopen directory HOST as GUEST (default: the same path)")
    run.add_argument("--env", action="append", default=[], metavar="KEY[=VALUE]",
                     help="set a guest environment variable (KEY alone: the host's value)")
    run.add_argument("--invoke", metavar="NAME", help="call export NAME with ARGS instead of _start")
    run.add_argument("file", metavar="FILE.wasm")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")
    for name, text in (("validate", "check that a module is valid"),
                       ("inspect", "list a module's imports and exports")):
        sub.add_parser(name, help=text).add_argument("file", metavar="FILE.wasm")
    return p


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _parse_value(text, kind):
    if kind in ("i32", "i64"):
        return int(text, 0)
    if kind in ("f32", "f64"):
        return float(text)
    raise ValueError(f"cannot pass a {kind} from the command line")


def _config(ns):
    preopens = {}
    for d in ns.dir:
        host, _, guest = d.partition("::")
        preopens[guest or host] = host
    env = {}
    for e in ns.env:
        key, eq, value = e.partition("=")
        if eq:
            env[key] = value
        elif key in os.environ:
            env[key] = os.environ[key]
    return WasiConfig(argv=[ns.file, *ns.args], env=env, preopens=preopens,
                      stdin=sys.stdin.buffer, stdout=sys.stdout.buffer, stderr=sys.stderr.buffer)


def _invoke(instance, ns):
    exports = instance.exports
    if "_initialize" in exports:
        exports._initialize()
    if ns.invoke not in exports:
        print(f"wasmkiln: {ns.file} exports no function '{ns.invoke}'", file=sys.stderr)
        return 1
    func = exports[ns.invoke]
    params = func.type.params
    if len(ns.args) != len(params):
        print(f"wasmkiln: '{ns.invoke}' takes {len(params)} arguments, {len(ns.args)} given",
              file=sys.stderr)
        return 2
    try:
        args = [_parse_value(a, k) for a, k in zip(ns.args, params)]
    except ValueError as e:
        print(f"wasmkiln: {e}", file=sys.stderr)
        return 2
    result = func(*args)
    for r in result if isinstance(result, tuple) else () if result is None else (result,):
        print(r)
    return 0


def _run(ns):
    try:
        module = Module(_read(ns.file))
        instance = Instance(module, wasi=_config(ns))
    except (OSError, ValueError) as e:
        print(f"wasmkiln: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # CompileError, LinkError, Trap in a start function
        print(f"wasmkiln: {ns.file}: {e}", file=sys.stderr)
        return 1
    try:
        return _invoke(instance, ns) if ns.invoke else instance.wasi.run()
    except Exit as e:
        return e.code
    except Trap as e:
        sys.stdout.flush()
        print(f"Error: wasm trap: {e}", file=sys.stderr)
        return EXIT_TRAP


def _validate(ns):
    try:
        data = _read(ns.file)
    except OSError as e:
        print(f"wasmkiln: {e}", file=sys.stderr)
        return 1
    if validate(data):
        print(f"{ns.file}: valid")
        return 0
    try:
        Module(data)
    except Exception as e:
        print(f"wasmkiln: {ns.file}: {e}", file=sys.stderr)
    return 1


def _describe(t):
    name = type(t).__name__
    if name == "FunctionType":
        return f"func ({' '.join(t.params)}) -> ({' '.join(t.results)})"
    return f"{name.replace('Type', '').lower()} {t}"


def _inspect(ns):
    try:
        data = _read(ns.file)
        module = Module(data)
    except Exception as e:
        print(f"wasmkiln: {ns.file}: {e}", file=sys.stderr)
        return 1
    imports, exports = module.imports, module.exports
    print(f"{ns.file}: {len(data)} bytes, {len(imports)} imports, {len(exports)} exports")
    for i in imports:
        print(f"import {i.module}.{i.name}: {_describe(i.type)}")
    for e in exports:
        print(f"export {e.name}: {_describe(e.type)}")
    return 0


def main(argv=None):
    ns = _parser().parse_args(argv)
    return {"run": _run, "validate": _validate, "inspect": _inspect}[ns.command](ns)
