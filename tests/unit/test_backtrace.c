/* Unit tests for lib/backtrace.c (with trap.c's frame capture): the Wasm frames of traps
 * raised by faults, by runtime helpers and by host functions, names from the name section,
 * functions reached through tables, demangling and the multi-line description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "backtrace.h"
#include "load_wasm.h"

typedef struct Fixture {
    wk_engine_t *engine;
    wk_store_t *store;
    wk_module_t *mod;
    wk_instance_t *inst;
    int cb_mode; /* 0: return, 1: trap, 2: call via_table(1) and pass its trap on */
} Fixture;

static wk_trap_t *cb(void *env, const wk_caller_t *caller, const wk_val_t *args,
                     wk_val_t *results)
{
    (void)args;
    (void)results;
    Fixture *f = env;
    if (f->cb_mode == 1) return wk_trap_new("host says no", NULL, NULL);
    if (f->cb_mode == 2) {
        wk_extern_t e;
        assert_true(wk_caller_export(caller, "via_table", 9, &e));
        wk_val_t a = wk_val_i32(1);
        return wk_func_call(e.of.func, &a, 1, NULL, 0);
    }
    return NULL;
}

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    /* Eagerly compiled code: the lazy strategy's functions are not registered yet. */
    wk_engine_options_t opts;
    wk_engine_options_default(&opts);
    opts.strategy = WK_STRATEGY_O2;
    assert_null(wk_engine_new_with(&opts, &f->engine));
    f->store = wk_store_new(f->engine);
    f->mod = load_wasm(f->engine, "backtrace");
    wk_functype_t ft = {0, NULL, 0, NULL};
    wk_extern_t imp = {.kind = WK_EXTERN_FUNC, .of.func = wk_func_new(f->store, &ft, cb, f, NULL)};
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(f->store, f->mod, &imp, 1, &f->inst, &trap));
    assert_null(trap);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    wk_store_delete(f->store);
    wk_module_delete(f->mod);
    wk_engine_delete(f->engine);
    free(f);
    return 0;
}

static wk_trap_t *call(Fixture *f, const char *name, int nargs, int32_t arg)
{
    wk_extern_t e;
    assert_true(wk_instance_export_get(f->inst, name, strlen(name), &e));
    wk_val_t a = wk_val_i32(arg), r;
    wk_functype_t t = wk_func_type(e.of.func);
    return wk_func_call(e.of.func, &a, (size_t)nargs, &r, t.nresults);
}

/* Asserts frame i of trap is function `index` named `name`. */
static void assert_frame(const wk_trap_t *trap, size_t i, uint32_t index, const char *name)
{
    assert_true(i < wk_trap_frame_count(trap));
    const wk_frame_t *fr = wk_trap_frame(trap, i);
    assert_int_equal(fr->func_index, index);
    assert_int_equal(fr->func_name.size, strlen(name));
    assert_memory_equal(fr->func_name.data, name, strlen(name));
    assert_int_equal(fr->module_name.size, 2);
    assert_memory_equal(fr->module_name.data, "bt", 2);
    assert_true(fr->module_offset > 8);
}

static void test_backtrace_unreachable_through_table_names_both_frames(void **state)
{
    wk_trap_t *trap = call(*state, "via_table", 1, 0);
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), WK_TRAP_UNREACHABLE);
    assert_int_equal(wk_trap_frame_count(trap), 2);
    assert_frame(trap, 0, 1, "unreach");
    assert_frame(trap, 1, 4, "via_table");
    wk_trap_delete(trap);
}

static void test_backtrace_div_zero_three_frames_and_description(void **state)
{
    wk_trap_t *trap = call(*state, "via_table", 1, 1);
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), WK_TRAP_INT_DIV_ZERO);
    assert_int_equal(wk_trap_frame_count(trap), 3);
    assert_frame(trap, 0, 2, "div");
    assert_frame(trap, 1, 3, "div_entry");
    assert_frame(trap, 2, 4, "via_table");
    const char *d = wk_trap_describe(trap);
    assert_non_null(strstr(d, "integer divide by zero\nwasm backtrace:\n    0: "));
    assert_non_null(strstr(d, " - bt!div\n    1: "));
    assert_non_null(strstr(d, " - bt!via_table"));
    wk_trap_delete(trap);
}

static void test_backtrace_rust_name_demangled(void **state)
{
    wk_trap_t *trap = call(*state, "via_table", 1, 2);
    assert_non_null(trap);
    assert_frame(trap, 0, 5, "core::panicking::panic");
    wk_trap_delete(trap);
}

static void test_backtrace_host_trap_has_calling_frame(void **state)
{
    Fixture *f = *state;
    f->cb_mode = 1;
    wk_trap_t *trap = call(f, "calls_host", 0, 0);
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), WK_TRAP_HOST);
    assert_string_equal(wk_trap_message(trap), "host says no");
    assert_int_equal(wk_trap_frame_count(trap), 1);
    assert_frame(trap, 0, 6, "calls_host");
    wk_trap_delete(trap);
}

static void test_backtrace_trap_passed_on_by_host_keeps_inner_then_outer(void **state)
{
    Fixture *f = *state;
    f->cb_mode = 2;
    wk_trap_t *trap = call(f, "calls_host", 0, 0);
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), WK_TRAP_INT_DIV_ZERO);
    assert_int_equal(wk_trap_frame_count(trap), 4);
    assert_frame(trap, 0, 2, "div");
    assert_frame(trap, 2, 4, "via_table");
    assert_frame(trap, 3, 6, "calls_host");
    wk_trap_delete(trap);
}

static void test_backtrace_stack_exhausted_records_256_counts_rest(void **state)
{
    wk_trap_t *trap = call(*state, "deep", 1, 0);
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), WK_TRAP_STACK_EXHAUSTED);
    assert_true(wk_trap_frame_count(trap) >= 250);
    assert_true(wk_trap_frames_omitted(trap) > 0);
    assert_frame(trap, 10, 7, "deep");
    assert_non_null(strstr(wk_trap_describe(trap), "more frames"));
    wk_trap_delete(trap);
}

static void test_backtrace_export_name_else_index(void **state)
{
    wk_trap_t *trap = call(*state, "exported", 1, 3);
    assert_non_null(trap);
    assert_int_equal(wk_trap_frame_count(trap), 2);
    assert_int_equal(wk_trap_frame(trap, 0)->func_index, 9);
    assert_int_equal(wk_trap_frame(trap, 0)->func_name.size, 0);
    assert_frame(trap, 1, 8, "exported"); /* no name in the name section: the export's */
    assert_non_null(strstr(wk_trap_describe(trap), "bt!<wasm function 9>\n"));
    wk_trap_delete(trap);
}

static void test_backtrace_host_function_called_directly_has_no_frames(void **state)
{
    Fixture *f = *state;
    f->cb_mode = 1;
    wk_extern_t e;
    wk_trap_t *trap = NULL;
    (void)e;
    wk_functype_t ft = {0, NULL, 0, NULL};
    wk_func_t *h = wk_func_new(f->store, &ft, cb, f, NULL);
    trap = wk_func_call(h, NULL, 0, NULL, 0);
    assert_non_null(trap);
    assert_int_equal(wk_trap_frame_count(trap), 0);
    assert_string_equal(wk_trap_describe(trap), "host says no");
    wk_trap_delete(trap);
}

static void test_backtrace_demangle_rust_cpp_and_plain(void **state)
{
    (void)state;
    char out[128];
    const char *rust = "_ZN5hello4main17h0123456789abcdefE";
    assert_true(backtrace_demangle(rust, strlen(rust), out, sizeof out));
    assert_string_equal(out, "hello::main");
    const char *generic = "_ZN4core3ptr23drop_in_place$LT$u8$GT$17h0123456789abcdefE";
    assert_true(backtrace_demangle(generic, strlen(generic), out, sizeof out));
    assert_string_equal(out, "core::ptr::drop_in_place<u8>");
    const char *cpp = "_ZN3foo3barEii";
    assert_true(backtrace_demangle(cpp, strlen(cpp), out, sizeof out));
    assert_string_equal(out, "foo::bar");
    assert_true(backtrace_demangle("_Z3addii", 8, out, sizeof out));
    assert_string_equal(out, "add");
    assert_false(backtrace_demangle("main", 4, out, sizeof out));
    assert_false(backtrace_demangle("_Z", 2, out, sizeof out));
}

static void test_backtrace_kind_names(void **state)
{
    (void)state;
    assert_string_equal(wk_trap_kind_name(WK_TRAP_INT_DIV_ZERO), "integer_divide_by_zero");
    assert_string_equal(wk_trap_kind_name(WK_TRAP_STACK_EXHAUSTED), "call_stack_exhausted");
    assert_string_equal(wk_trap_kind_name(WK_TRAP_HOST), "host");
    assert_string_equal(wk_trap_kind_name(200), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backtrace_unreachable_through_table_names_both_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backtrace_div_zero_three_frames_and_description, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backtrace_rust_name_demangled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backtrace_host_trap_has_calling_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backtrace_trap_passed_on_by_host_keeps_inner_then_outer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backtrace_stack_exhausted_records_256_counts_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backtrace_export_name_else_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backtrace_host_function_called_directly_has_no_frames, setup, teardown),
        cmocka_unit_test(test_backtrace_demangle_rust_cpp_and_plain),
        cmocka_unit_test(test_backtrace_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
