/* Unit tests for lib/interrupt.c: wk_store_interrupt / wk_instance_interrupt from another
 * thread and from a signal handler, deadlines, fuel; loops and loop-less call trees stopped,
 * and the instance usable afterwards. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "spin_module.h"
#include "wasmkiln.h"

typedef SpinFixture Fixture;

static int setup_fuel(void **state)
{
    static Fixture fx;
    wk_engine_options_t o;
    wk_engine_options_default(&o);
    o.fuel = true;
    wk_engine_t *engine = NULL;
    assert_null(wk_engine_new_with(&o, &engine));
    assert_true(wk_engine_fuel(engine));
    spin_fixture_open(&fx, engine, true);
    *state = &fx;
    return 0;
}

static int setup_spin(void **state)
{
    static Fixture fx;
    spin_fixture_open(&fx, wk_engine_new(), true);
    *state = &fx;
    return 0;
}

#define teardown_spin spin_fixture_close

static wk_func_t *export_func(Fixture *fx, const char *name)
{
    wk_extern_t ext;
    assert_true(wk_instance_export_get(fx->inst, name, strlen(name), &ext));
    assert_int_equal(ext.kind, WK_EXTERN_FUNC);
    return ext.of.func;
}

/* Calls export `name` with one i32 (or none) and returns the trap (owned) or NULL. */
static wk_trap_t *call1(Fixture *fx, const char *name, int32_t arg, int32_t *result)
{
    wk_func_t *f = export_func(fx, name);
    wk_functype_t t = wk_func_type(f);
    wk_val_t a = wk_val_i32(arg), r = wk_val_i32(0);
    wk_trap_t *trap = wk_func_call(f, &a, t.nparams, &r, t.nresults);
    if (result) *result = r.of.i32;
    return trap;
}

static void expect_kind(wk_trap_t *trap, wk_trap_kind_t kind, const char *message)
{
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), kind);
    assert_string_equal(wk_trap_message(trap), message);
    wk_trap_delete(trap);
}

static void expect_add1_works(Fixture *fx)
{
    int32_t r = 0;
    assert_null(call1(fx, "add1", 41, &r));
    assert_int_equal(r, 42);
}

typedef struct Interrupter {
    Fixture *fx;
    bool by_instance;
} Interrupter;

/* Interrupts every 10 ms until cancelled: the call may not have started at the first one. */
static void *interrupt_thread(void *arg)
{
    Interrupter *it = arg;
    for (;;) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (it->by_instance)
            wk_instance_interrupt(it->fx->inst);
        else
            wk_store_interrupt(it->fx->store);
        pthread_testcancel();
    }
    return NULL;
}

static wk_trap_t *call_while_interrupting(Fixture *fx, bool by_instance, const char *name,
                                          int32_t arg)
{
    Interrupter it = {fx, by_instance};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, interrupt_thread, &it), 0);
    wk_trap_t *trap = call1(fx, name, arg, NULL);
    pthread_cancel(t);
    pthread_join(t, NULL);
    return trap;
}

static void test_interrupt_store_from_thread_stops_loop(void **state)
{
    Fixture *fx = *state;
    expect_kind(call_while_interrupting(fx, false, "spin", 0), WK_TRAP_INTERRUPTED,
                "interrupted");
    expect_add1_works(fx);
    /* Interrupted again: the instance is as before. */
    expect_kind(call_while_interrupting(fx, false, "spin", 0), WK_TRAP_INTERRUPTED,
                "interrupted");
}

static void test_interrupt_instance_stops_call_tree_without_loops(void **state)
{
    Fixture *fx = *state;
    /* fib(60) has no loop: the checks at function entries stop it. */
    expect_kind(call_while_interrupting(fx, true, "fib", 60), WK_TRAP_INTERRUPTED,
                "interrupted");
    int32_t r = 0;
    assert_null(call1(fx, "fib", 20, &r));
    assert_int_equal(r, 6765);
}

static void test_interrupt_while_idle_next_call_unaffected(void **state)
{
    Fixture *fx = *state;
    wk_store_interrupt(fx->store);
    wk_instance_interrupt(fx->inst);
    int32_t r = 0;
    assert_null(call1(fx, "count", 1000, &r));
    assert_int_equal(r, 1000);
}

static wk_store_t *signal_store;

static void on_sigusr1(int sig)
{
    (void)sig;
    wk_store_interrupt(signal_store); /* async-signal-safe */
}

static void *signal_thread(void *arg)
{
    pthread_t target = *(pthread_t *)arg;
    for (;;) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_kill(target, SIGUSR1);
        pthread_testcancel();
    }
    return NULL;
}

static void test_interrupt_from_signal_handler_stops_loop(void **state)
{
    Fixture *fx = *state;
    signal_store = fx->store;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    pthread_t self = pthread_self(), t;
    assert_int_equal(pthread_create(&t, NULL, signal_thread, &self), 0);
    wk_trap_t *trap = call1(fx, "spin", 0, NULL);
    pthread_cancel(t);
    pthread_join(t, NULL);
    sigaction(SIGUSR1, &old, NULL);
    expect_kind(trap, WK_TRAP_INTERRUPTED, "interrupted");
    expect_add1_works(fx);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void test_interrupt_deadline_stops_loop_then_cleared(void **state)
{
    Fixture *fx = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wk_store_set_deadline(fx->store, 50 * 1000 * 1000);
    expect_kind(call1(fx, "spin", 0, NULL), WK_TRAP_INTERRUPTED, "interrupted");
    double dt = seconds_since(&t0);
    assert_true(dt >= 0.045);
    assert_true(dt < 5.0);
    /* Past the deadline every call traps at its first check... */
    expect_kind(call1(fx, "fib", 25, NULL), WK_TRAP_INTERRUPTED, "interrupted");
    /* ...until it is cleared. */
    wk_store_set_deadline(fx->store, 0);
    int32_t r = 0;
    assert_null(call1(fx, "fib", 20, &r));
    assert_int_equal(r, 6765);
}

static void test_interrupt_deadline_not_reached_call_returns(void **state)
{
    Fixture *fx = *state;
    wk_store_set_deadline(fx->store, (uint64_t)60 * 1000 * 1000 * 1000);
    int32_t r = 0;
    assert_null(call1(fx, "count", 100000, &r));
    assert_int_equal(r, 100000);
    wk_store_set_deadline(fx->store, 0);
}

static void test_interrupt_deadline_in_forked_child(void **state)
{
    Fixture *fx = *state;
    wk_store_set_deadline(fx->store, (uint64_t)60 * 1000 * 1000 * 1000); /* watchdog running */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child has no watchdog thread: setting a deadline starts one. */
        wk_store_set_deadline(fx->store, 20 * 1000 * 1000);
        wk_trap_t *trap = call1(fx, "spin", 0, NULL);
        _exit(trap && wk_trap_kind(trap) == WK_TRAP_INTERRUPTED ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    wk_store_set_deadline(fx->store, 0);
}

static void test_interrupt_fuel_runs_out_then_added_continues(void **state)
{
    Fixture *fx = *state;
    assert_true(wk_instance_fuel(fx->inst) > ((uint64_t)1 << 62)); /* unlimited until set */
    assert_null(wk_instance_set_fuel(fx->inst, 10000));
    expect_kind(call1(fx, "spin", 0, NULL), WK_TRAP_OUT_OF_FUEL, "out of fuel");
    assert_int_equal(wk_instance_fuel(fx->inst), 0);
    /* Out of fuel, every call traps at its first check... */
    expect_kind(call1(fx, "count", 10, NULL), WK_TRAP_OUT_OF_FUEL, "out of fuel");
    /* ...until fuel is added. count(n) runs about 8 instructions per iteration. */
    assert_null(wk_instance_set_fuel(fx->inst, 1000000));
    int32_t r = 0;
    assert_null(call1(fx, "count", 1000, &r));
    assert_int_equal(r, 1000);
    uint64_t used = 1000000 - wk_instance_fuel(fx->inst);
    assert_true(used >= 1000 * 7 && used <= 1000 * 12);
    expect_kind(call1(fx, "count", 1000000000, NULL), WK_TRAP_OUT_OF_FUEL, "out of fuel");
    /* A call tree without loops runs out too (checks at function entries). */
    assert_null(wk_instance_set_fuel(fx->inst, 100000));
    expect_kind(call1(fx, "fib", 60, NULL), WK_TRAP_OUT_OF_FUEL, "out of fuel");
    assert_null(wk_instance_set_fuel(fx->inst, 100000));
    assert_null(call1(fx, "fib", 10, &r));
    assert_int_equal(r, 55);
}

static void test_interrupt_fuel_needs_metering_engine(void **state)
{
    Fixture *fx = *state;
    assert_false(wk_engine_fuel(fx->engine));
    wk_error_t *err = wk_instance_set_fuel(fx->inst, 10);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_USAGE);
    wk_error_delete(err);
    assert_int_equal(wk_instance_fuel(fx->inst), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_interrupt_store_from_thread_stops_loop, setup_spin,
                                        teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_instance_stops_call_tree_without_loops,
                                        setup_spin, teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_while_idle_next_call_unaffected,
                                        setup_spin, teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_from_signal_handler_stops_loop,
                                        setup_spin, teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_deadline_stops_loop_then_cleared,
                                        setup_spin, teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_deadline_not_reached_call_returns,
                                        setup_spin, teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_deadline_in_forked_child, setup_spin,
                                        teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_fuel_runs_out_then_added_continues,
                                        setup_fuel, teardown_spin),
        cmocka_unit_test_setup_teardown(test_interrupt_fuel_needs_metering_engine, setup_spin,
                                        teardown_spin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
