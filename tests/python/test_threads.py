"""The GIL is released while Wasm runs; objects are safe to use from several threads."""

import threading

import wasmkiln


def lcg(n):
    x = 1
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
    return x - 2**32 if x >= 2**31 else x


def test_gil_released_while_wasm_runs(instance):
    calls = instance("calls").exports
    n = 300_000_000
    started, done = threading.Event(), threading.Event()
    result = []

    def work():
        started.set()
        result.append(calls.spin(n))
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    progress = 0
    while not done.is_set():
        progress += 1
    t.join()
    assert len(result) == 1 and isinstance(result[0], int)
    assert progress > 10_000  # the main thread kept running Python code meanwhile


def test_spin_matches_python(instance):
    assert instance("calls").exports.spin(1000) == lcg(1000)


def test_many_threads_one_instance(instance):
    seen = []
    inst = instance("imports", {"env": {"add": lambda a, b: a + b, "log": seen.append,
                                        "pair": lambda x: (1, 2.0),
                                        "with_memory": lambda a, b: 0}})
    errors = []

    def work(k):
        try:
            for i in range(2000):
                assert inst.exports.call_add(k, i) == k + i
                inst.exports.call_log(k)
                inst.memory.uint8_view()[k] = i & 0xFF
        except Exception as e:  # reported below: a thread's assertion must fail the test
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(set(seen)) == [0, 1, 2, 3] and len(seen) == 8000


def test_instances_created_in_threads(wasm):
    module = wasmkiln.Module(wasm("calls"))
    out = []

    def work():
        for _ in range(50):
            out.append(wasmkiln.Instance(module).exports.add_i32(2, 3))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [5] * 200
