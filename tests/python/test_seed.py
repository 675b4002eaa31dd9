"""Every Python snippet of the seed README (wasmer-python 0.2), with `wasmkiln` as the module
name, run in a directory holding simple.wasm and my_program.wasm; each prints what it says."""

import contextlib
import io
import os
import shutil

import pytest

from conftest import REPO


@pytest.fixture
def seed_dir(tmp_path, wasm_dir, monkeypatch):
    shutil.copy(os.path.join(REPO, "examples", "simple.wasm"), tmp_path / "simple.wasm")
    shutil.copy(wasm_dir / "my_program.wasm", tmp_path / "my_program.wasm")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<seed snippet>", "exec"), {})
    return out.getvalue()


def test_seed_simple(seed_dir):
    assert run("""
from wasmkiln import Instance

wasm_bytes = open('simple.wasm', 'rb').read()
instance = Instance(wasm_bytes)
result = instance.exports.sum(5, 37)

print(result) # 42!
""") == "42\n"


def test_seed_instance_class(seed_dir):
    assert run("""
from wasmkiln import Instance

# Get the Wasm module as bytes.
wasm_bytes = open('my_program.wasm', 'rb').read()

# Instantiates the Wasm module.
instance = Instance(wasm_bytes)

# Call a function on it.
result = instance.exports.sum(1, 2)

print(result) # 3
""") == "3\n"


def test_seed_explicit_values_and_memory_getter(seed_dir):
    assert run("""
from wasmkiln import Instance, Value
instance = Instance(open('my_program.wasm', 'rb').read())
print(instance.exports.sum(Value.i32(1), Value.i32(2)))
view = instance.memory.uint8_view()
print(len(view))
""") == "3\n65536\n"


def test_seed_value_class(seed_dir):
    assert run("""
from wasmkiln import Value

# Integer on 32-bits.
value_i32 = Value.i32(7)

# Integer on 64-bits.
value_i64 = Value.i64(7)

# Float on 32-bits.
value_f32 = Value.f32(7.42)

# Float on 64-bits.
value_f64 = Value.f64(7.42)

print(repr(value_i32)) # I32(7)
print(repr(value_i64), repr(value_f32), repr(value_f64))
""") == "I32(7)\nI64(7) F32(7.42) F64(7.42)\n"


def test_seed_memory_offset(seed_dir):
    assert run("""
from wasmkiln import Instance
instance = Instance(open('my_program.wasm', 'rb').read())

offset = 7
view = instance.memory.uint8_view(offset)
print(len(view))
""") == "65529\n"


def test_seed_return_string(seed_dir):
    assert run("""
from wasmkiln import Instance

# Get the Wasm module as bytes.
wasm_bytes = open('my_program.wasm', 'rb').read()

# Instantiates the Wasm module.
instance = Instance(wasm_bytes)

# Call a function that returns a pointer to a string for instance.
pointer = instance.exports.return_string()

# Get the memory view, with the offset set to `pointer` (default is 0).
memory = instance.memory.uint8_view(pointer)

# Read the string pointed by the pointer.
nth = 0;
string = ''

while True:
    char = memory[nth]
    if char == 0:
        break

    string += chr(char)
    nth += 1

print(string) # Hello, World!

print(''.join(map(chr, memory[0:13]))) # Hello, World!
""") == "Hello, World!\nHello, World!\n"


def test_seed_shared_views(seed_dir):
    run("""
from wasmkiln import Instance
instance = Instance(open('my_program.wasm', 'rb').read())

int8 = instance.memory.int8_view()
int16 = instance.memory.int16_view()
int32 = instance.memory.int32_view()

int8[0] = 0b00000001
int8[1] = 0b00000100
int8[2] = 0b00010000
int8[3] = 0b01000000

# No surprise with the following assertions.
assert int8[0] == 0b00000001
assert int8[1] == 0b00000100
assert int8[2] == 0b00010000
assert int8[3] == 0b01000000

# The `int16` view reads 2 bytes.
#                       b2       b1
assert int16[0] == 0b00000100_00000001
#                       b4       b3
assert int16[1] == 0b01000000_00010000

# The `int32` view reads 4 bytes.
#                       b4       b3       b2       b1
assert int32[0] == 0b01000000_00010000_00000100_00000001;
""")


def test_seed_validate(seed_dir):
    assert run("""
from wasmkiln import validate

wasm_bytes = open('my_program.wasm', 'rb').read()

if not validate(wasm_bytes):
    print('The program seems corrupted.')
print(validate(b'corrupted' + wasm_bytes))
""") == "False\n"
