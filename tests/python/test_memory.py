"""Memory: typed views, the buffer protocol, grow and sizes."""

import array
import struct

import pytest

import wasmkiln

VIEWS = [("uint8_view", "B"), ("int8_view", "b"), ("uint16_view", "H"), ("int16_view", "h"),
         ("uint32_view", "I"), ("int32_view", "i"), ("uint64_view", "Q"), ("int64_view", "q"),
         ("float32_view", "f"), ("float64_view", "d")]


@pytest.fixture
def mem(instance):
    return instance("my_program").memory


def test_memory_sizes(mem):
    assert mem.size == 1
    assert mem.data_size == 65536
    assert mem.type == wasmkiln.MemoryType(1, None)


@pytest.mark.parametrize("method, fmt", VIEWS)
def test_view_len_bytes_per_element_and_type(mem, method, fmt):
    size = struct.calcsize(fmt)
    view = getattr(mem, method)()
    assert view.bytes_per_element == size
    assert len(view) == 65536 // size
    assert len(getattr(mem, method)(3)) == (65536 - 3) // size


@pytest.mark.parametrize("method, fmt", VIEWS)
def test_view_reads_little_endian_at_byte_offset(mem, method, fmt):
    size = struct.calcsize(fmt)
    raw = bytes(range(1, 1 + 4 * size))
    mem.buffer[100:100 + len(raw)] = raw
    view = getattr(mem, method)(100)
    expected = struct.unpack("<" + fmt * 4, raw)
    assert [view[i] for i in range(4)] == pytest.approx(list(expected), nan_ok=True)
    assert view[0:4] == pytest.approx(list(expected), nan_ok=True)


@pytest.mark.parametrize("method, fmt", VIEWS)
def test_view_write_then_read(mem, method, fmt):
    view = getattr(mem, method)(8)
    value = -5 if fmt in "bhiqfd" else 200
    view[2] = value
    assert view[2] == value
    assert bytes(mem.buffer[8 + 2 * view.bytes_per_element:][:view.bytes_per_element]) == \
        struct.pack("<" + fmt, value)


def test_view_classes(mem):
    classes = [wasmkiln.Uint8Array, wasmkiln.Int8Array, wasmkiln.Uint16Array, wasmkiln.Int16Array,
               wasmkiln.Uint32Array, wasmkiln.Int32Array, wasmkiln.Uint64Array,
               wasmkiln.Int64Array, wasmkiln.Float32Array, wasmkiln.Float64Array]
    assert [type(getattr(mem, m)()) for m, _ in VIEWS] == classes


def test_view_seed_shared_buffer(mem):
    int8, int16, int32 = mem.int8_view(), mem.int16_view(), mem.int32_view()
    int8[0], int8[1], int8[2], int8[3] = 0b00000001, 0b00000100, 0b00010000, 0b01000000
    assert int16[0] == 0b00000100_00000001
    assert int16[1] == 0b01000000_00010000
    assert int32[0] == 0b01000000_00010000_00000100_00000001


def test_view_negative_index_from_end(mem):
    view = mem.uint16_view()
    view[-1] = 0xBEEF
    assert view[len(view) - 1] == 0xBEEF
    assert mem.uint8_view()[-2:] == [0xEF, 0xBE]


def test_view_slices_with_steps(mem):
    view = mem.uint8_view(10)
    view[0:6] = [1, 2, 3, 4, 5, 6]
    assert view[0:6:2] == [1, 3, 5]
    assert view[5:0:-2] == [6, 4, 2]
    assert view[3:3] == []
    view[0:6:2] = [9, 9, 9]
    assert view[0:6] == [9, 2, 9, 4, 9, 6]


def test_view_slice_assign_from_buffers(mem):
    view = mem.uint8_view()
    view[0:4] = b"abcd"
    view[4:8] = bytearray(b"efgh")
    view[8:12] = memoryview(b"ijkl")
    assert bytes(mem.buffer[0:12]) == b"abcdefghijkl"
    words = mem.int32_view(16)
    words[0:3] = array.array("i", [-1, 2, -3])
    assert words[0:3] == [-1, 2, -3]
    words[0:2] = array.array("b", [7, -8])  # element-wise: different element type
    assert words[0:2] == [7, -8]


def test_view_slice_assign_wrong_length_value_error(mem):
    with pytest.raises(ValueError):
        mem.uint8_view()[0:4] = b"abc"
    with pytest.raises(ValueError):
        mem.uint8_view()[0:4] = [1, 2, 3, 4, 5]


def test_view_out_of_range_index_error(mem):
    view = mem.uint32_view()
    with pytest.raises(IndexError):
        view[len(view)]
    with pytest.raises(IndexError):
        view[-len(view) - 1]
    with pytest.raises(IndexError):
        view[16384] = 1
    with pytest.raises(IndexError):
        mem.uint8_view(65537)
    with pytest.raises(IndexError):
        mem.uint8_view(-1)


@pytest.mark.parametrize("method, bad", [
    ("uint8_view", 256), ("uint8_view", -1), ("int8_view", 128), ("int8_view", -129),
    ("uint16_view", 65536), ("int16_view", 32768), ("uint32_view", 2**32),
    ("int32_view", 2**31), ("uint64_view", 2**64), ("uint64_view", -1), ("int64_view", 2**63),
    ("float32_view", 1e39)])
def test_view_value_too_big_overflow_error(mem, method, bad):
    with pytest.raises(OverflowError):
        getattr(mem, method)()[0] = bad


def test_view_wrong_value_type_type_error(mem):
    with pytest.raises(TypeError):
        mem.uint8_view()[0] = "a"
    with pytest.raises(TypeError):
        mem.int32_view()[0] = 1.5
    with pytest.raises(TypeError):
        del mem.uint8_view()[0]


def test_view_iteration(mem):
    mem.buffer[0:3] = b"\1\2\3"
    it = iter(mem.uint8_view(65533))
    assert list(it) == [0, 0, 0]
    assert list(mem.uint8_view())[0:3] == [1, 2, 3]


def test_buffer_protocol_zero_copy_writable(mem):
    mv = memoryview(mem)
    assert mv.nbytes == 65536 and not mv.readonly and mv.format == "B"
    mv[0:2] = b"hi"
    assert mem.uint8_view()[0:2] == [ord("h"), ord("i")]
    mem.uint8_view()[2] = ord("!")
    assert bytes(mv[0:3]) == b"hi!"
    assert bytearray(mem)[0:3] == b"hi!"
    assert mem.buffer.nbytes == 65536


def test_buffer_numpy_frombuffer_live(mem):
    import numpy
    a = numpy.frombuffer(mem, dtype=numpy.uint32)
    a[0:4] = [1, 2, 3, 0xFFFFFFFF]
    assert mem.uint32_view()[0:4] == [1, 2, 3, 0xFFFFFFFF]
    assert mem.int32_view()[3] == -1
    b = numpy.frombuffer(mem.int16_view(4), dtype=numpy.int16)
    assert b[0] == 2


def test_view_buffer_protocol_typed(mem):
    mv = memoryview(mem.float64_view(8))
    assert mv.format == "d" and mv.itemsize == 8 and len(mv) == (65536 - 8) // 8
    mv[0] = 1.5
    assert mem.float64_view(8)[0] == 1.5


def test_grow_returns_previous_size_and_views_follow(instance):
    inst = instance("othermem")
    mem = inst.memory
    view = mem.uint8_view()
    buf = memoryview(mem)
    buf[0] = 7
    assert mem.grow(1) == 1
    assert mem.size == 2 and mem.data_size == 131072
    assert len(view) == 131072
    view[70000] = 5
    assert inst.exports.load(70000) == 5
    assert buf[0] == 7 and len(buf) == 65536
    assert inst.exports.grow(1) == 2
    assert len(view) == 3 * 65536


def test_grow_past_maximum_error(instance):
    mem = instance("othermem").memory
    with pytest.raises(wasmkiln.Error):
        mem.grow(3)
    assert mem.size == 1


def test_host_memory_constructor():
    mem = wasmkiln.Memory(1, 2)
    assert mem.size == 1 and mem.type == wasmkiln.MemoryType(1, 2)
    mem.uint8_view()[0] = 3
    assert bytes(mem)[0] == 3
    assert mem.grow(1) == 1


def test_memory_read_write_1mib_fast(instance):
    import time
    mem = instance("my_program").memory
    mem.grow(16)
    data = bytes(range(256)) * 4096
    start = time.perf_counter()
    for _ in range(10):
        mem.uint8_view()[0:len(data)] = data
        out = bytes(mem.buffer[0:len(data)])
    assert out == data
    assert time.perf_counter() - start < 0.5


def test_zero_page_memory_then_grown_by_wasm(instance):
    inst = instance("zeromem")
    mem = inst.memory
    view = mem.uint32_view()
    assert len(view) == 0 and mem.data_size == 0 and bytes(mem) == b""
    assert view[0:4] == [] and list(view) == []
    with pytest.raises(IndexError):
        view[0]
    assert inst.exports.grow() == 0
    assert len(view) == 16384 and view[16383] == 0 and mem.size == 1
