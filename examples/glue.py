"""Python glue for examples/bindgen.wasm (examples/bindgen.c), a module in the style of
wasm-bindgen output: strings are passed as (pointer, length) in linear memory, allocated with
the module's exported allocator; the module logs and throws through imports of module "wbg".
Run from the repository root: PYTHONPATH=build/python python3 examples/glue.py"""

import os
import tempfile

import wasmkiln
from wasmkiln import Function, Linker, Module

HERE = os.path.dirname(os.path.abspath(__file__))


class GreetError(Exception):
    pass


def read_str(caller, ptr, length):
    return bytes(caller.memory.buffer[ptr:ptr + length]).decode()


def make_linker(log):
    linker = Linker()

    def wbg_log(caller, ptr: "i32", length: "i32") -> None:
        log.append(read_str(caller, ptr, length))

    def wbindgen_throw(caller, ptr: "i32", length: "i32") -> None:
        raise GreetError(read_str(caller, ptr, length))

    linker.define("wbg", "__wbg_log", Function.from_callable(wbg_log, access_caller=True))
    linker.define("wbg", "__wbindgen_throw",
                  Function.from_callable(wbindgen_throw, access_caller=True))
    return linker


class Greeter:
    """What wasm-bindgen's generated JavaScript does, in Python."""

    def __init__(self, module, log):
        self.instance = make_linker(log).instantiate(module)
        self.exports = self.instance.exports

    def _pass_str(self, s):
        data = s.encode()
        ptr = self.exports["__wbindgen_malloc"](len(data))
        self.instance.memory.buffer[ptr:ptr + len(data)] = data
        return ptr, len(data)

    def greet(self, name):
        return self.exports.greet(*self._pass_str(name))

    def count_vowels(self, s):
        return self.exports.count_vowels(*self._pass_str(s))


def main():
    wasmkiln.configure(strategy="o2")  # eager code: backtraces (lazy functions have none yet)
    wasm = open(os.path.join(HERE, "bindgen.wasm"), "rb").read()
    module = Module(wasm)
    # Ahead-of-time: serialize once (a build step), deserialize at start-up without compiling.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "greet.wkmod")
        with open(path, "wb") as f:
            f.write(module.serialize())
        module = Module.deserialize(open(path, "rb").read())
    print("producers section:", len(module.custom_sections("producers")), "found")

    log = []
    greeter = Greeter(module, log)
    print(greeter.greet("wasmkiln"), log[-1])
    print("vowels:", greeter.count_vowels("WebAssembly in Python"))
    try:
        greeter.greet("")
    except GreetError as e:
        print("GreetError:", e, "| raised in", [f.func_name for f in e.wasm_frames])
    try:
        greeter.exports.average(10, 0)
    except wasmkiln.Trap as e:
        print(e)


if __name__ == "__main__":
    main()
