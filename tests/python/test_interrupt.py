"""Interruption: Ctrl-C (SIGINT) during Wasm raises KeyboardInterrupt, Instance.interrupt()
from another thread and timeout= stop a running call; the instance runs normally afterwards."""

import os
import signal
import threading
import time

import pytest

import wasmkiln


@pytest.fixture
def spin(wasm):
    return wasmkiln.Instance(wasm("spin"))


def later(seconds, action):
    """Runs action() in a thread after `seconds`; returns a list that receives the time."""
    when = []

    def run():
        time.sleep(seconds)
        when.append(time.monotonic())
        action()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return when, t


def assert_runs_normally(instance):
    assert instance.exports.add1(41) == 42
    assert instance.exports.count(100_000) == 100_000
    assert instance.exports.fib(20) == 6765


def test_sigint_during_loop_raises_keyboard_interrupt(spin):
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    when, t = later(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        spin.exports.spin()
    latency = time.monotonic() - when[0]
    t.join()
    assert latency < 0.1
    assert_runs_normally(spin)


def test_sigint_during_call_tree_without_loops(spin):
    when, t = later(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        spin.exports.fib(60)
    assert time.monotonic() - when[0] < 0.1
    t.join()
    assert_runs_normally(spin)


def test_sigint_goes_to_the_python_handler_in_place(spin):
    class Stop(Exception):
        pass

    def handler(signum, frame):
        raise Stop(signum)
    old = signal.signal(signal.SIGINT, handler)
    try:
        _, t = later(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
        with pytest.raises(Stop):
            spin.exports.spin()
        t.join()
    finally:
        signal.signal(signal.SIGINT, old)
    assert_runs_normally(spin)


def test_interrupt_from_another_thread(spin):
    _, t = later(0.2, spin.interrupt)
    with pytest.raises(wasmkiln.Trap) as e:
        spin.exports.spin()
    t.join()
    assert e.value.kind == "interrupted"
    assert_runs_normally(spin)


def test_interrupt_call_in_worker_thread(spin):
    errors = []

    def work():
        try:
            spin.exports.spin()
        except wasmkiln.Trap as e:
            errors.append(e.kind)
    t = threading.Thread(target=work)
    t.start()
    time.sleep(0.2)
    spin.interrupt()
    t.join(5)
    assert not t.is_alive()
    assert errors == ["interrupted"]
    assert_runs_normally(spin)


def test_interrupt_while_idle_does_nothing(spin):
    spin.interrupt()
    assert_runs_normally(spin)


def test_timeout_per_call(spin):
    t0 = time.monotonic()
    with pytest.raises(wasmkiln.Trap) as e:
        spin.exports.spin(timeout=0.1)
    elapsed = time.monotonic() - t0
    assert e.value.kind == "interrupted"
    assert 0.09 <= elapsed < 2.0
    assert_runs_normally(spin)  # no timeout left behind
    assert spin.exports.count(1000, timeout=10) == 1000


def test_timeout_per_instance(wasm):
    instance = wasmkiln.Instance(wasm("spin"), timeout=0.1)
    with pytest.raises(wasmkiln.Trap) as e:
        instance.exports.fib(60)
    assert e.value.kind == "interrupted"
    assert_runs_normally(instance)
    with pytest.raises(wasmkiln.Trap):
        instance.exports.spin()
    assert instance.exports.count(10, timeout=None) == 10


def test_timeout_bad_values(spin):
    with pytest.raises(ValueError):
        spin.exports.spin(timeout=-1)
    with pytest.raises(TypeError):
        spin.exports.spin(timeout="1")
    with pytest.raises(TypeError, match="unexpected keyword"):
        spin.exports.add1(1, deadline=1)
    with pytest.raises(ValueError):
        wasmkiln.Instance(spin.module, timeout=0)
