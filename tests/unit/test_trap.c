/* Unit tests for lib/trap.c: trap kinds and messages, entries, the fault handler and its
 * chaining to a previous handler for faults outside Wasm. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "memory.h"
#include "trap.h"

static VMStore test_store;

static void tramp_raise(void *code, VMContext *vmctx, WasmVal *vals)
{
    (void)code;
    (void)vmctx;
    trap_raise(vals[0].i32, NULL);
}

static void tramp_ok(void *code, VMContext *vmctx, WasmVal *vals)
{
    (void)code;
    (void)vmctx;
    vals[0].i32 += 1;
}

/* Touches the byte at vals[0].ref. */
static void tramp_touch(void *code, VMContext *vmctx, WasmVal *vals)
{
    (void)code;
    (void)vmctx;
    *(volatile uint8_t *)vals[0].ref = 1;
}

static void tramp_recurse(void *code, VMContext *vmctx, WasmVal *vals)
{
    volatile uint8_t frame[256];
    frame[0] = (uint8_t)vals[0].i32;
    if ((uint8_t *)__builtin_frame_address(0) < test_store.stack_limit)
        trap_raise(WK_TRAP_STACK_EXHAUSTED, NULL);
    if (++vals[0].i32 < 100000000) tramp_recurse(code, vmctx, vals);
    vals[0].i32 += frame[0];
}

static void test_trap_messages_spec_wording(void **state)
{
    (void)state;
    assert_string_equal(trap_kind_message(WK_TRAP_INT_DIV_ZERO), "integer divide by zero");
    assert_string_equal(trap_kind_message(WK_TRAP_STACK_EXHAUSTED), "call stack exhausted");
    assert_string_equal(trap_kind_message(WK_TRAP_INDIRECT_CALL_TYPE),
                        "indirect call type mismatch");
}

static void test_trap_kind_names_are_identifiers(void **state)
{
    (void)state;
    assert_string_equal(wk_trap_kind_name(WK_TRAP_UNREACHABLE), "unreachable");
    assert_string_equal(wk_trap_kind_name(WK_TRAP_INT_DIV_ZERO), "integer_divide_by_zero");
    assert_string_equal(wk_trap_kind_name(WK_TRAP_STACK_EXHAUSTED), "call_stack_exhausted");
    assert_string_equal(wk_trap_kind_name(WK_TRAP_HOST), "host");
    assert_string_equal(wk_trap_kind_name(200), "unknown");
}

static void test_trap_call_normal_return_no_trap(void **state)
{
    (void)state;
    WasmVal v = {.i32 = 41};
    assert_null(trap_call(&test_store, tramp_ok, NULL, NULL, &v));
    assert_int_equal(v.i32, 42);
    assert_false(trap_in_entry());
}

static void test_trap_raise_returns_kind_then_call_again(void **state)
{
    (void)state;
    WasmVal v = {.i32 = WK_TRAP_UNREACHABLE};
    wk_trap_t *t = trap_call(&test_store, tramp_raise, NULL, NULL, &v);
    assert_non_null(t);
    assert_int_equal(t->kind, WK_TRAP_UNREACHABLE);
    assert_string_equal(t->message, "unreachable");
    trap_delete(t);
    v.i32 = 1;
    assert_null(trap_call(&test_store, tramp_ok, NULL, NULL, &v));
    assert_int_equal(v.i32, 2);
}

static void test_trap_fault_in_memory_guard_oob_trap(void **state)
{
    (void)state;
    trap_ensure_handler(); /* as creating a store does (cmocka installs its own per test) */
    wk_memory_t *mem;
    Limits l = {1, 2, true};
    assert_null(memory_new(l, true, &mem));
    WasmVal v = {.ref = mem->vm.base + 3 * WK_PAGE_SIZE};
    wk_trap_t *t = trap_call(&test_store, tramp_touch, NULL, NULL, &v);
    assert_non_null(t);
    assert_int_equal(t->kind, WK_TRAP_MEMORY_OOB);
    trap_delete(t);
    v.ref = mem->vm.base + 5;
    assert_null(trap_call(&test_store, tramp_touch, NULL, NULL, &v));
    assert_int_equal(mem->vm.base[5], 1);
    memory_delete(mem);
}

static void test_trap_deep_recursion_stack_exhausted_then_again(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        WasmVal v = {.i32 = 0};
        wk_trap_t *t = trap_call(&test_store, tramp_recurse, NULL, NULL, &v);
        assert_non_null(t);
        assert_int_equal(t->kind, WK_TRAP_STACK_EXHAUSTED);
        assert_true(v.i32 > 1000);
        trap_delete(t);
    }
    assert_null(test_store.stack_limit);
}

static sigjmp_buf outside_jmp;
static volatile int outside_hits;

static void outside_handler(int sig)
{
    (void)sig;
    outside_hits++;
    siglongjmp(outside_jmp, 1);
}

static void test_trap_fault_outside_wasm_reaches_previous_handler(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = outside_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, &old);
    /* Our handler installs on top of the host's, which must still see non-Wasm faults. */
    trap_ensure_handler();
    uint8_t *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(page != MAP_FAILED);
    if (sigsetjmp(outside_jmp, 1) == 0) *(volatile uint8_t *)page = 1;
    assert_int_equal(outside_hits, 1);
    munmap(page, 4096);
    sigaction(SIGSEGV, &old, NULL);
}

static void test_trap_fault_in_memory_while_host_code_not_a_trap(void **state)
{
    (void)state;
    /* Outside any entry, a fault in a registered range is not ours either. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = outside_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, &old);
    trap_ensure_handler();
    wk_memory_t *mem;
    Limits l = {0, 1, true};
    assert_null(memory_new(l, true, &mem));
    outside_hits = 0;
    if (sigsetjmp(outside_jmp, 1) == 0) *(volatile uint8_t *)mem->vm.base = 1;
    assert_int_equal(outside_hits, 1);
    memory_delete(mem);
    sigaction(SIGSEGV, &old, NULL);
}

/* A handler in the manner of CPython's faulthandler: report, restore the previous handler,
 * raise again. */
static struct sigaction fh_prev;
static int fh_pipe[2];

static void fh_handler(int sig)
{
    (void)!write(fh_pipe[1], "F", 1);
    sigaction(sig, &fh_prev, NULL);
    raise(sig);
}

/* In a child: ours, then a faulthandler-like one on top, then ours re-installed on top of it
 * (as on the next entry). A fault outside Wasm must reach it and then end the process with
 * SIGSEGV, not loop between the two handlers. */
static void fault_child(void)
{
    alarm(10);
    trap_ensure_handler();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fh_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, &fh_prev);
    trap_ensure_handler();
    uint8_t *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *(volatile uint8_t *)page = 1;
    _exit(0);
}

static void test_trap_faulthandler_on_both_sides_process_dies_once(void **state)
{
    (void)state;
    assert_int_equal(pipe(fh_pipe), 0);
    pid_t pid = fork();
    if (pid == 0) fault_child();
    close(fh_pipe[1]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    char buf[8];
    assert_int_equal(read(fh_pipe[0], buf, sizeof buf), 1);
    close(fh_pipe[0]);
}

/* faulthandler enabled after us, before the next entry re-checks: a Wasm fault reaches it
 * first; it restores us and re-raises; the fault must still end as a Wasm trap. */
static void test_trap_handler_installed_over_ours_wasm_fault_still_trap(void **state)
{
    (void)state;
    trap_ensure_handler();
    wk_memory_t *mem;
    Limits l = {1, 1, true};
    assert_null(memory_new(l, true, &mem));
    WasmVal v = {.ref = mem->vm.base};
    assert_null(trap_call(&test_store, tramp_touch, NULL, NULL, &v));
    assert_int_equal(pipe(fh_pipe), 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fh_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, &fh_prev);
    v.ref = mem->vm.base + WK_PAGE_SIZE;
    wk_trap_t *t = trap_call(&test_store, tramp_touch, NULL, NULL, &v);
    assert_non_null(t);
    assert_int_equal(t->kind, WK_TRAP_MEMORY_OOB);
    trap_delete(t);
    close(fh_pipe[0]);
    close(fh_pipe[1]);
    memory_delete(mem);
}

/* Touches the guard page after a one-page memory in an entry into store while outside_handler
 * (ignores Wasm, jumps away) is installed; asserts that ours made it a trap. */
static void assert_oob_trap_past_outside_handler(VMStore *store, struct sigaction *old)
{
    wk_memory_t *mem;
    Limits l = {1, 1, true};
    assert_null(memory_new(l, true, &mem));
    outside_hits = 0;
    WasmVal v = {.ref = mem->vm.base + WK_PAGE_SIZE};
    wk_trap_t *t = NULL;
    if (sigsetjmp(outside_jmp, 1) == 0) t = trap_call(store, tramp_touch, NULL, NULL, &v);
    sigaction(SIGSEGV, old, NULL);
    assert_int_equal(outside_hits, 0);
    assert_non_null(t);
    assert_int_equal(t->kind, WK_TRAP_MEMORY_OOB);
    trap_delete(t);
    memory_delete(mem);
}

static void install_outside_handler(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = outside_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, old);
}

/* A handler that ignores Wasm installed over ours: the first entry into a new store puts ours
 * back on top, so the Wasm fault is a trap and the other handler sees none. */
static void test_trap_foreign_handler_before_new_store_entry_wasm_fault_trap(void **state)
{
    (void)state;
    struct sigaction old;
    install_outside_handler(&old);
    VMStore fresh = {0};
    assert_oob_trap_past_outside_handler(&fresh, &old);
}

/* The same handler installed between entries into one store is put below ours again within
 * RECHECK_EVERY (1024) entries. */
static void test_trap_foreign_handler_between_entries_below_ours_within_1024(void **state)
{
    (void)state;
    WasmVal v = {.i32 = 0};
    assert_null(trap_call(&test_store, tramp_ok, NULL, NULL, &v));
    struct sigaction old;
    install_outside_handler(&old);
    for (int i = 0; i < 1024; i++) assert_null(trap_call(&test_store, tramp_ok, NULL, NULL, &v));
    assert_int_equal(v.i32, 1025);
    assert_oob_trap_past_outside_handler(&test_store, &old);
}

/* A handler over ours that blocks every signal while it runs and calls ours (as other
 * runtimes chain): after the trap the thread's signal mask is what it was before the call. */
static struct sigaction chained_to;

static void chaining_handler(int sig, siginfo_t *si, void *uc)
{
    chained_to.sa_sigaction(sig, si, uc);
}

static void test_trap_via_chaining_handler_signal_mask_restored(void **state)
{
    (void)state;
    trap_ensure_handler();
    sigaction(SIGSEGV, NULL, &chained_to);
    assert_true(chained_to.sa_flags & SA_SIGINFO);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = chaining_handler;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old);
    wk_memory_t *mem;
    Limits l = {1, 1, true};
    assert_null(memory_new(l, true, &mem));
    sigset_t before, after;
    sigprocmask(SIG_SETMASK, NULL, &before);
    VMStore store = {.entered = 1}; /* no check: the chaining handler stays on top */
    for (int round = 0; round < 2; round++) {
        WasmVal v = {.ref = mem->vm.base + WK_PAGE_SIZE};
        wk_trap_t *t = trap_call(&store, tramp_touch, NULL, NULL, &v);
        assert_non_null(t);
        assert_int_equal(t->kind, WK_TRAP_MEMORY_OOB);
        trap_delete(t);
        sigprocmask(SIG_SETMASK, NULL, &after);
        assert_false(sigismember(&after, SIGSEGV));
        assert_false(sigismember(&after, SIGUSR1));
        assert_int_equal(sigismember(&after, SIGINT), sigismember(&before, SIGINT));
    }
    sigaction(SIGSEGV, &old, NULL);
    memory_delete(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trap_messages_spec_wording),
        cmocka_unit_test(test_trap_kind_names_are_identifiers),
        cmocka_unit_test(test_trap_call_normal_return_no_trap),
        cmocka_unit_test(test_trap_raise_returns_kind_then_call_again),
        cmocka_unit_test(test_trap_fault_in_memory_guard_oob_trap),
        cmocka_unit_test(test_trap_deep_recursion_stack_exhausted_then_again),
        cmocka_unit_test(test_trap_fault_outside_wasm_reaches_previous_handler),
        cmocka_unit_test(test_trap_fault_in_memory_while_host_code_not_a_trap),
        cmocka_unit_test(test_trap_faulthandler_on_both_sides_process_dies_once),
        cmocka_unit_test(test_trap_handler_installed_over_ours_wasm_fault_still_trap),
        cmocka_unit_test(test_trap_foreign_handler_before_new_store_entry_wasm_fault_trap),
        cmocka_unit_test(test_trap_foreign_handler_between_entries_below_ours_within_1024),
        cmocka_unit_test(test_trap_via_chaining_handler_signal_mask_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
