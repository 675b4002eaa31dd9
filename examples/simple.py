"""Runs examples/simple.wasm (built from simple.c) and prints sum(5, 37)."""
import os

from wasmkiln import Instance

here = os.path.dirname(os.path.abspath(__file__))
wasm_bytes = open(os.path.join(here, "simple.wasm"), "rb").read()
instance = Instance(wasm_bytes)
result = instance.exports.sum(5, 37)

print(result)  # 42
