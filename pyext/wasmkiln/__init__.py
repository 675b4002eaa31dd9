"""wasmkiln: run WebAssembly modules from Python at native speed.

Every function of a module is compiled to machine code by LLVM. The API:

    from wasmkiln import Instance
    instance = Instance(open("simple.wasm", "rb").read())
    print(instance.exports.sum(5, 37))  # 42

Instance, Module, Value, Memory (typed views and the buffer protocol), Global, Table,
Function, validate(), wat2wasm() (text format to binary; Module and Instance accept text
as a str too), configure() (compilation strategy and cache), and the errors Error > CompileError (DecodeError, ValidationError),
LinkError, Trap (also a RuntimeError), Exit (a WASI guest's proc_exit: .code).
WASI: Instance(module, imports, wasi=WasiConfig(argv=..., env=..., preopens=...)), then
instance.wasi.run(). Command line: python3 -m wasmkiln run|validate|inspect.
"""

import collections.abc

from ._wasmkiln import (
    CompileError,
    DecodeError,
    Error,
    Exit,
    Exports,
    ExportType,
    Float32Array,
    Float64Array,
    Frame,
    Caller,
    Function,
    FunctionType,
    Global,
    GlobalType,
    ImportType,
    Instance,
    Int8Array,
    Int16Array,
    Int32Array,
    Int64Array,
    LinkError,
    Memory,
    MemoryType,
    Module,
    Table,
    TableType,
    Trap,
    Uint8Array,
    Uint16Array,
    Uint32Array,
    Uint64Array,
    ValidationError,
    Value,
    Wasi,
    WasiConfig,
    configuration,
    configure,
    validate,
    wat2wasm,
)

from ._linker import Linker

collections.abc.Mapping.register(Exports)

__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "DecodeError",
    "Error",
    "Exit",
    "ExportType",
    "Exports",
    "Float32Array",
    "Float64Array",
    "Frame",
    "Function",
    "Caller",
    "Linker",
    "FunctionType",
    "Global",
    "GlobalType",
    "ImportType",
    "Instance",
    "Int16Array",
    "Int32Array",
    "Int64Array",
    "Int8Array",
    "LinkError",
    "Memory",
    "MemoryType",
    "Module",
    "Table",
    "TableType",
    "Trap",
    "Uint16Array",
    "Uint32Array",
    "Uint64Array",
    "Uint8Array",
    "ValidationError",
    "Value",
    "Wasi",
    "WasiConfig",
    "configuration",
    "configure",
    "validate",
    "wat2wasm",
]
