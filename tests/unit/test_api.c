/* Unit tests for lib/api.c (and through it instance, func, rt, trap): instantiation, calls,
 * traps and re-calls, stack exhaustion, host functions (traps, re-entry, caller exports),
 * linking across instances, segments, memories, globals and tables. Modules are given as
 * their .wat source and the bytes wat2wasm made of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_env.h"
#include "wasmkiln.h"

/* basic.wat:
 * (module
 *   (import "host" "cb" (func $cb (param i32) (result i32)))
 *   (memory (export "mem") 1 4)
 *   (global $g (export "g") (mut i32) (i32.const 7))
 *   (global (export "k") i64 (i64.const -3))
 *   (table $t (export "tab") 2 funcref)
 *   (elem (i32.const 0) $add $div)
 *   (data (i32.const 16) "hello")
 *   (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
 *   (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func $rec (export "rec") (param i32) (result i32)
 *     (i32.add (i32.const 1) (call $rec (local.get 0))))
 *   (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "call_cb") (param i32) (result i32) (i32.add (i32.const 1) (call $cb (local.get 0))))
 *   (func (export "get_g") (result i32) (global.get $g))
 *   (func (export "pair") (param i64) (result i64 i32) (local.get 0) (i32.const 5))
 *   (func (export "a\00b") (result i32) (i32.const 99))
 *   (func (export "unreach") (unreachable)))
 */
static const uint8_t basic_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x19, 0x05, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7e, 0x02, 0x7e, 0x7f,
    0x60, 0x00, 0x00, 0x02, 0x0b, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x02, 0x63, 0x62, 0x00, 0x00,
    0x03, 0x0b, 0x0a, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x02, 0x04, 0x04, 0x04, 0x01,
    0x70, 0x00, 0x02, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x06, 0x0b, 0x02, 0x7f, 0x01, 0x41, 0x07,
    0x0b, 0x7e, 0x00, 0x42, 0x7d, 0x0b, 0x07, 0x5e, 0x0e, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01,
    0x67, 0x03, 0x00, 0x01, 0x6b, 0x03, 0x01, 0x03, 0x74, 0x61, 0x62, 0x01, 0x00, 0x03, 0x61, 0x64,
    0x64, 0x00, 0x01, 0x03, 0x64, 0x69, 0x76, 0x00, 0x02, 0x03, 0x72, 0x65, 0x63, 0x00, 0x03, 0x04,
    0x6c, 0x6f, 0x61, 0x64, 0x00, 0x04, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x05, 0x07, 0x63, 0x61,
    0x6c, 0x6c, 0x5f, 0x63, 0x62, 0x00, 0x06, 0x05, 0x67, 0x65, 0x74, 0x5f, 0x67, 0x00, 0x07, 0x04,
    0x70, 0x61, 0x69, 0x72, 0x00, 0x08, 0x03, 0x61, 0x00, 0x62, 0x00, 0x09, 0x07, 0x75, 0x6e, 0x72,
    0x65, 0x61, 0x63, 0x68, 0x00, 0x0a, 0x09, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x01, 0x02,
    0x0a, 0x4a, 0x0a, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x6d, 0x0b, 0x09, 0x00, 0x41, 0x01, 0x20, 0x00, 0x10, 0x03, 0x6a, 0x0b, 0x07, 0x00, 0x20,
    0x00, 0x28, 0x02, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x09, 0x00, 0x41, 0x01,
    0x20, 0x00, 0x10, 0x00, 0x6a, 0x0b, 0x04, 0x00, 0x23, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x41,
    0x05, 0x0b, 0x05, 0x00, 0x41, 0xe3, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b, 0x0b, 0x0b, 0x01, 0x00,
    0x41, 0x10, 0x0b, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* itab.wat:
 * (module
 *   (type $ii (func (param i32 i32) (result i32)))
 *   (type $v (func))
 *   (import "a" "tab" (table 2 funcref))
 *   (func (export "ci") (param i32 i32 i32) (result i32)
 *     (call_indirect (type $ii) (local.get 0) (local.get 1) (local.get 2)))
 *   (func (export "cv") (param i32) (call_indirect (type $v) (local.get 0))))
 */
static const uint8_t itab_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x15, 0x04, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x00, 0x00, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x02,
    0x0b, 0x01, 0x01, 0x61, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00, 0x02, 0x03, 0x03, 0x02, 0x02,
    0x03, 0x07, 0x0b, 0x02, 0x02, 0x63, 0x69, 0x00, 0x00, 0x02, 0x63, 0x76, 0x00, 0x01, 0x0a, 0x15,
    0x02, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x11, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x20,
    0x00, 0x11, 0x01, 0x00, 0x0b,
};

/* segs.wat:
 * (module
 *   (import "a" "mem" (memory 1))
 *   (data (i32.const 0) "ok")
 *   (data (i32.const 65535) "xx"))
 */
static const uint8_t segs_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x01, 0x01, 0x61, 0x03, 0x6d, 0x65,
    0x6d, 0x02, 0x00, 0x01, 0x0b, 0x11, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x6f, 0x6b, 0x00, 0x41,
    0xff, 0xff, 0x03, 0x0b, 0x02, 0x78, 0x78,
};

/* start.wat:
 * (module
 *   (import "host" "cb" (func $cb (param i32) (result i32)))
 *   (func $s (drop (call $cb (i32.const 11))))
 *   (start $s))
 */
static const uint8_t start_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x00, 0x02, 0x0b, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x02, 0x63, 0x62, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x01, 0x08, 0x01, 0x01, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x41, 0x0b, 0x10, 0x00,
    0x1a, 0x0b,
};

typedef struct Fixture {
    wk_engine_t *engine;
    wk_store_t *store;
    wk_module_t *basic;
    wk_instance_t *inst;
    wk_func_t *cb; /* host.cb */
    int cb_mode;   /* what host_cb does, see there */
    int cb_calls;
    int finalized;
} Fixture;

static Fixture *the_fixture;

static void payload_free(void *p)
{
    (void)p;
    the_fixture->finalized++;
}

static wk_func_t *export_func(wk_instance_t *inst, const char *name, size_t len)
{
    wk_extern_t e;
    assert_true(wk_instance_export_get(inst, name, len, &e));
    assert_int_equal(e.kind, WK_EXTERN_FUNC);
    return e.of.func;
}

/* host.cb: mode 0 returns x*2, mode 1 traps with a payload, mode 2 calls the caller's "add"
 * export with (x, 100) (re-entry), mode 3 calls the caller's "div" by zero and passes the
 * trap on, mode 4 returns a result of the wrong kind. */
static wk_trap_t *host_cb(void *env, const wk_caller_t *caller, const wk_val_t *args,
                          wk_val_t *results)
{
    Fixture *f = env;
    f->cb_calls++;
    int32_t x = args[0].of.i32;
    if (f->cb_mode == 1) return wk_trap_new("boom", f, payload_free);
    if (f->cb_mode == 4) {
        results[0] = wk_val_i64(x);
        return NULL;
    }
    if (f->cb_mode == 2 || f->cb_mode == 3) {
        wk_extern_t e;
        const char *name = f->cb_mode == 2 ? "add" : "div";
        if (!wk_caller_export(caller, name, 3, &e)) return wk_trap_new("no caller", NULL, NULL);
        wk_val_t a[2] = {wk_val_i32(x), wk_val_i32(f->cb_mode == 2 ? 100 : 0)};
        wk_trap_t *t = wk_func_call(e.of.func, a, 2, results, 1);
        if (t) return t;
        return NULL;
    }
    results[0] = wk_val_i32(x * 2);
    return NULL;
}

static int setup_basic(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    the_fixture = f;
    assert_null(engine_env_new(&f->engine)); /* WK_BOUNDS: see the software-bounds test */
    f->store = wk_store_new(f->engine);
    assert_null(wk_module_new(f->engine, basic_wasm, sizeof basic_wasm, &f->basic));
    wk_valkind_t i32 = WK_I32;
    wk_functype_t ft = {1, &i32, 1, &i32};
    f->cb = wk_func_new(f->store, &ft, host_cb, f, NULL);
    assert_non_null(f->cb);
    wk_extern_t imp = {.kind = WK_EXTERN_FUNC, .of.func = f->cb};
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(f->store, f->basic, &imp, 1, &f->inst, &trap));
    assert_null(trap);
    assert_non_null(f->inst);
    *state = f;
    return 0;
}

static int teardown_basic(void **state)
{
    Fixture *f = *state;
    wk_store_delete(f->store);
    wk_module_delete(f->basic);
    wk_engine_delete(f->engine);
    free(f);
    return 0;
}

/* Calls export name(args...) -> one i32 result; returns the trap (results[0] via *out). */
static wk_trap_t *call_i32(Fixture *f, const char *name, int32_t *out, size_t n, ...)
{
    wk_val_t args[4];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) args[i] = wk_val_i32(va_arg(ap, int32_t));
    va_end(ap);
    wk_val_t res[1];
    wk_trap_t *t = wk_func_call(export_func(f->inst, name, strlen(name)), args, n, res, 1);
    if (!t) *out = res[0].of.i32;
    return t;
}

static void test_api_call_export_returns_result(void **state)
{
    int32_t r = 0;
    assert_null(call_i32(*state, "add", &r, 2, 40, 2));
    assert_int_equal(r, 42);
}

static void test_api_multi_value_results_in_order(void **state)
{
    Fixture *f = *state;
    wk_val_t arg = wk_val_i64(-9), res[2];
    assert_null(wk_func_call(export_func(f->inst, "pair", 4), &arg, 1, res, 2));
    assert_int_equal(res[0].kind, WK_I64);
    assert_int_equal(res[0].of.i64, -9);
    assert_int_equal(res[1].of.i32, 5);
}

static void test_api_export_name_with_nul_found_by_length(void **state)
{
    int32_t r = 0;
    Fixture *f = *state;
    wk_val_t res[1];
    assert_null(wk_func_call(export_func(f->inst, "a\0b", 3), NULL, 0, res, 1));
    r = res[0].of.i32;
    assert_int_equal(r, 99);
    wk_extern_t e;
    assert_false(wk_instance_export_get(f->inst, "a", 1, &e));
}

static void test_api_div_zero_trap_then_call_again(void **state)
{
    int32_t r = 0;
    wk_trap_t *t = call_i32(*state, "div", &r, 2, 1, 0);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_INT_DIV_ZERO);
    assert_string_equal(wk_trap_message(t), "integer divide by zero");
    wk_trap_delete(t);
    t = call_i32(*state, "div", &r, 2, INT32_MIN, -1);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_INT_OVERFLOW);
    wk_trap_delete(t);
    assert_null(call_i32(*state, "div", &r, 2, 9, 3));
    assert_int_equal(r, 3);
}

static void test_api_unreachable_trap_kind(void **state)
{
    Fixture *f = *state;
    wk_trap_t *t = wk_func_call(export_func(f->inst, "unreach", 7), NULL, 0, NULL, 0);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_UNREACHABLE);
    assert_string_equal(wk_trap_message(t), "unreachable");
    wk_trap_delete(t);
}

static void test_api_recursion_stack_exhausted_then_call_again(void **state)
{
    int32_t r = 0;
    for (int round = 0; round < 3; round++) {
        wk_trap_t *t = call_i32(*state, "rec", &r, 1, 0);
        assert_non_null(t);
        assert_int_equal(wk_trap_kind(t), WK_TRAP_STACK_EXHAUSTED);
        assert_string_equal(wk_trap_message(t), "call stack exhausted");
        wk_trap_delete(t);
        assert_null(call_i32(*state, "add", &r, 2, 1, 2));
        assert_int_equal(r, 3);
    }
}

static void test_api_memory_oob_trap_then_grow_makes_it_valid(void **state)
{
    Fixture *f = *state;
    int32_t r = 0;
    wk_trap_t *t = call_i32(f, "load", &r, 1, 65534);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_MEMORY_OOB);
    assert_string_equal(wk_trap_message(t), "out of bounds memory access");
    wk_trap_delete(t);
    wk_extern_t e;
    assert_true(wk_instance_export_get(f->inst, "mem", 3, &e));
    uint8_t *base = wk_memory_data(e.of.memory);
    assert_null(call_i32(f, "grow", &r, 1, 1));
    assert_int_equal(r, 1);
    assert_ptr_equal(wk_memory_data(e.of.memory), base);
    assert_int_equal(wk_memory_size(e.of.memory), 2);
    base[65536] = 0x2a;
    assert_null(call_i32(f, "load", &r, 1, 65536));
    assert_int_equal(r, 0x2a);
    assert_null(call_i32(f, "grow", &r, 1, 3));
    assert_int_equal(r, -1); /* max is 4 */
    uint32_t prev;
    assert_true(wk_memory_grow(e.of.memory, 2, &prev));
    assert_int_equal(prev, 2);
    assert_false(wk_memory_grow(e.of.memory, 1, &prev));
}

static void test_api_data_segment_visible_in_memory(void **state)
{
    Fixture *f = *state;
    wk_extern_t e;
    assert_true(wk_instance_export_get(f->inst, "mem", 3, &e));
    assert_memory_equal(wk_memory_data(e.of.memory) + 16, "hello", 5);
}

static void test_api_host_function_called_with_args(void **state)
{
    Fixture *f = *state;
    int32_t r = 0;
    assert_null(call_i32(f, "call_cb", &r, 1, 20));
    assert_int_equal(r, 41);
    assert_int_equal(f->cb_calls, 1);
}

static void test_api_host_trap_propagates_as_same_trap(void **state)
{
    Fixture *f = *state;
    f->cb_mode = 1;
    int32_t r = 0;
    wk_trap_t *t = call_i32(f, "call_cb", &r, 1, 20);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_HOST);
    assert_string_equal(wk_trap_message(t), "boom");
    assert_ptr_equal(wk_trap_data(t), f);
    wk_trap_delete(t);
    assert_int_equal(f->finalized, 1);
    f->cb_mode = 0;
    assert_null(call_i32(f, "call_cb", &r, 1, 1));
    assert_int_equal(r, 3);
}

static void test_api_host_result_of_wrong_kind_host_trap(void **state)
{
    Fixture *f = *state;
    f->cb_mode = 4;
    int32_t r = 0;
    wk_trap_t *t = call_i32(f, "call_cb", &r, 1, 5);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_HOST);
    assert_string_equal(wk_trap_message(t), "host function returned a result of the wrong type");
    wk_trap_delete(t);
}

static void test_api_host_reenters_caller_export(void **state)
{
    Fixture *f = *state;
    f->cb_mode = 2;
    int32_t r = 0;
    assert_null(call_i32(f, "call_cb", &r, 1, 5));
    assert_int_equal(r, 106);
}

static void test_api_nested_trap_in_reentry_passed_on_by_host(void **state)
{
    Fixture *f = *state;
    f->cb_mode = 3;
    int32_t r = 0;
    wk_trap_t *t = call_i32(f, "call_cb", &r, 1, 5);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_INT_DIV_ZERO);
    wk_trap_delete(t);
    f->cb_mode = 0;
    assert_null(call_i32(f, "call_cb", &r, 1, 5));
    assert_int_equal(r, 11);
}

static void test_api_call_raw_args_in_results_out_same_slots(void **state)
{
    Fixture *f = *state;
    wk_raw_t v[2] = {{.i32 = 40}, {.i32 = 2}};
    assert_null(wk_func_call_raw(export_func(f->inst, "add", 3), v));
    assert_int_equal(v[0].i32, 42);
    wk_raw_t p[2] = {{.i64 = -9}};
    assert_null(wk_func_call_raw(export_func(f->inst, "pair", 4), p));
    assert_int_equal(p[0].i64, -9);
    assert_int_equal(p[1].i32, 5);
}

static void test_api_call_raw_trap_then_host_function_directly(void **state)
{
    Fixture *f = *state;
    wk_raw_t v[2] = {{.i32 = 1}, {.i32 = 0}};
    wk_trap_t *t = wk_func_call_raw(export_func(f->inst, "div", 3), v);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_INT_DIV_ZERO);
    wk_trap_delete(t);
    wk_raw_t h[1] = {{.i32 = 21}};
    assert_null(wk_func_call_raw(f->cb, h)); /* host.cb called from the host: x*2 */
    assert_int_equal(h[0].i32, 42);
    assert_int_equal(f->cb_calls, 1);
}

static void test_api_wrong_argument_kind_host_trap(void **state)
{
    Fixture *f = *state;
    wk_val_t args[2] = {wk_val_i32(1), wk_val_i64(2)}, res[1];
    wk_trap_t *t = wk_func_call(export_func(f->inst, "add", 3), args, 2, res, 1);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_HOST);
    wk_trap_delete(t);
}

static void test_api_globals_get_set_and_immutable_refused(void **state)
{
    Fixture *f = *state;
    wk_extern_t g, k;
    assert_true(wk_instance_export_get(f->inst, "g", 1, &g));
    assert_true(wk_instance_export_get(f->inst, "k", 1, &k));
    assert_int_equal(wk_global_get(g.of.global).of.i32, 7);
    assert_int_equal(wk_global_get(k.of.global).of.i64, -3);
    assert_null(wk_global_set(g.of.global, wk_val_i32(12)));
    int32_t r = 0;
    assert_null(call_i32(f, "get_g", &r, 0));
    assert_int_equal(r, 12);
    wk_error_t *err = wk_global_set(k.of.global, wk_val_i64(1));
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_USAGE);
    wk_error_delete(err);
    err = wk_global_set(g.of.global, wk_val_i64(1));
    assert_non_null(err);
    wk_error_delete(err);
}

static void test_api_table_holds_exported_funcs_and_grows(void **state)
{
    Fixture *f = *state;
    wk_extern_t t;
    assert_true(wk_instance_export_get(f->inst, "tab", 3, &t));
    assert_int_equal(wk_table_size(t.of.table), 2);
    wk_val_t v;
    assert_true(wk_table_get(t.of.table, 0, &v));
    assert_ptr_equal(v.of.funcref, export_func(f->inst, "add", 3));
    assert_false(wk_table_get(t.of.table, 2, &v));
    wk_val_t null = {.kind = WK_FUNCREF};
    uint32_t prev;
    assert_true(wk_table_grow(t.of.table, 3, null, &prev));
    assert_int_equal(prev, 2);
    assert_true(wk_table_set(t.of.table, 4, v));
    wk_val_t args[2] = {wk_val_i32(2), wk_val_i32(3)}, res[1];
    assert_true(wk_table_get(t.of.table, 4, &v));
    assert_null(wk_func_call(v.of.funcref, args, 2, res, 1));
    assert_int_equal(res[0].of.i32, 5);
}

static void test_api_cross_module_call_indirect_by_type_identity(void **state)
{
    Fixture *f = *state;
    wk_module_t *m;
    assert_null(wk_module_new(f->engine, itab_wasm, sizeof itab_wasm, &m));
    wk_extern_t imp;
    assert_true(wk_instance_export_get(f->inst, "tab", 3, &imp));
    wk_instance_t *inst;
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(f->store, m, &imp, 1, &inst, &trap));
    assert_null(trap);
    wk_val_t args[3] = {wk_val_i32(30), wk_val_i32(12), wk_val_i32(0)}, res[1];
    assert_null(wk_func_call(export_func(inst, "ci", 2), args, 3, res, 1));
    assert_int_equal(res[0].of.i32, 42);
    wk_val_t idx = wk_val_i32(1);
    wk_trap_t *t = wk_func_call(export_func(inst, "cv", 2), &idx, 1, NULL, 0);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_INDIRECT_CALL_TYPE);
    wk_trap_delete(t);
    idx = wk_val_i32(2);
    t = wk_func_call(export_func(inst, "cv", 2), &idx, 1, NULL, 0);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_UNDEFINED_ELEMENT);
    wk_trap_delete(t);
    wk_module_delete(m);
}

static void test_api_link_errors_unknown_and_incompatible(void **state)
{
    Fixture *f = *state;
    wk_module_t *m;
    assert_null(wk_module_new(f->engine, itab_wasm, sizeof itab_wasm, &m));
    wk_instance_t *inst;
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_instance_new(f->store, m, NULL, 0, &inst, &trap);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_LINK);
    assert_string_equal(wk_error_message(err), "unknown import: 0 imports given, the module has "
                                               "1 (the first missing is \"a\".\"tab\")");
    wk_error_delete(err);
    wk_extern_t imp;
    assert_true(wk_instance_export_get(f->inst, "mem", 3, &imp));
    err = wk_instance_new(f->store, m, &imp, 1, &inst, &trap);
    assert_non_null(err);
    assert_true(strncmp(wk_error_message(err), "incompatible import type for \"a\".\"tab\": "
                                               "expected table 2", 50) == 0);
    wk_error_delete(err);
    wk_tabletype_t tt = {WK_FUNCREF, {1, 0, false}};
    wk_val_t null = {.kind = WK_FUNCREF};
    imp.kind = WK_EXTERN_TABLE;
    assert_null(wk_table_new(f->store, &tt, null, &imp.of.table)); /* too small: min 2 */
    err = wk_instance_new(f->store, m, &imp, 1, &inst, &trap);
    assert_non_null(err);
    assert_true(strncmp(wk_error_message(err), "incompatible import type for \"a\".\"tab\": "
                                               "expected table 2", 50) == 0);
    wk_error_delete(err);
    wk_module_delete(m);
}

static wk_trap_t *noop_cb(void *env, const wk_caller_t *caller, const wk_val_t *args,
                          wk_val_t *results)
{
    (void)env, (void)caller, (void)args, (void)results;
    return NULL;
}

static void expect_usage(wk_error_t *err, const char *message)
{
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_USAGE);
    assert_string_equal(wk_error_message(err), message);
    wk_error_delete(err);
}

/* Issue 13 item 3: a function of one store put into another store's table, global or
 * instance dangled once its store died (call_indirect read freed memory). Every entry point
 * refuses it now. */
static void test_api_objects_of_another_store_refused(void **state)
{
    Fixture *f = *state;
    wk_store_t *other = wk_store_new(f->engine);
    wk_val_t foreign = {.kind = WK_FUNCREF, .of.funcref = export_func(f->inst, "add", 3)};
    wk_tabletype_t tt = {WK_FUNCREF, {2, 0, false}};
    wk_val_t null = {.kind = WK_FUNCREF};
    wk_table_t *t = NULL;
    expect_usage(wk_table_new(other, &tt, foreign, &t),
                 "the table's initial value is a function of another store");
    assert_null(wk_table_new(other, &tt, null, &t));
    assert_false(wk_table_set(t, 0, foreign));
    uint32_t prev;
    assert_false(wk_table_grow(t, 1, foreign, &prev));
    assert_int_equal(wk_table_size(t), 2);
    wk_globaltype_t gt = {WK_FUNCREF, true};
    wk_global_t *g = NULL;
    expect_usage(wk_global_new(other, &gt, foreign, &g),
                 "the global's initial value is a function of another store");
    assert_null(wk_global_new(other, &gt, null, &g));
    expect_usage(wk_global_set(g, foreign), "the value is a function of another store");
    /* An import of another store: the host function of f->store into `other`. */
    wk_extern_t imp = {.kind = WK_EXTERN_FUNC, .of.func = f->cb};
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    expect_usage(wk_instance_new(other, f->basic, &imp, 1, &inst, &trap),
                 "import 0 belongs to another store");
    assert_null(inst);
    /* A memory of another store as an import. */
    wk_module_t *m;
    assert_null(wk_module_new(f->engine, itab_wasm, sizeof itab_wasm, &m));
    assert_true(wk_instance_export_get(f->inst, "tab", 3, &imp));
    expect_usage(wk_instance_new(other, m, &imp, 1, &inst, &trap),
                 "import 0 belongs to another store");
    wk_module_delete(m);
    /* A funcref argument of another store. */
    wk_valkind_t ref = WK_FUNCREF;
    wk_functype_t ft = {1, &ref, 0, NULL};
    wk_func_t *take = wk_func_new(other, &ft, noop_cb, NULL, NULL);
    wk_trap_t *trap2 = wk_func_call(take, &foreign, 1, NULL, 0);
    assert_non_null(trap2);
    assert_string_equal(wk_trap_message(trap2), "argument 0 is a function of another store");
    wk_trap_delete(trap2);
    assert_null(wk_func_call(take, &null, 1, NULL, 0));
    wk_store_delete(other);
    /* Nothing of `other` was kept by f->store: it still runs. */
    int32_t r = 0;
    assert_null(call_i32(f, "add", &r, 2, 2, 3));
    assert_int_equal(r, 5);
}

static void test_api_data_segment_oob_traps_earlier_writes_stay(void **state)
{
    Fixture *f = *state;
    wk_module_t *m;
    assert_null(wk_module_new(f->engine, segs_wasm, sizeof segs_wasm, &m));
    wk_limits_t lim = {1, 0, false};
    wk_extern_t imp = {.kind = WK_EXTERN_MEMORY};
    assert_null(wk_memory_new(f->store, &lim, &imp.of.memory));
    wk_instance_t *inst = (wk_instance_t *)1;
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(f->store, m, &imp, 1, &inst, &trap));
    assert_null(inst);
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), WK_TRAP_MEMORY_OOB);
    wk_trap_delete(trap);
    assert_memory_equal(wk_memory_data(imp.of.memory), "ok", 2);
    wk_module_delete(m);
}

static void test_api_start_function_runs_and_traps_fail_instantiation(void **state)
{
    Fixture *f = *state;
    wk_module_t *m;
    assert_null(wk_module_new(f->engine, start_wasm, sizeof start_wasm, &m));
    wk_extern_t imp = {.kind = WK_EXTERN_FUNC, .of.func = f->cb};
    wk_instance_t *inst;
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(f->store, m, &imp, 1, &inst, &trap));
    assert_null(trap);
    assert_int_equal(f->cb_calls, 1);
    f->cb_mode = 1;
    assert_null(wk_instance_new(f->store, m, &imp, 1, &inst, &trap));
    assert_null(inst);
    assert_non_null(trap);
    assert_string_equal(wk_trap_message(trap), "boom");
    wk_trap_delete(trap);
    wk_module_delete(m);
}

static void test_api_module_outlives_delete_while_instance_lives(void **state)
{
    Fixture *f = *state;
    wk_module_delete(f->basic);
    f->basic = NULL;
    int32_t r = 0;
    assert_null(call_i32(f, "add", &r, 2, 1, 1));
    assert_int_equal(r, 2);
}

static void test_api_engine_deleted_first_store_still_runs(void **state)
{
    Fixture *f = *state;
    wk_engine_delete(f->engine);
    f->engine = NULL;
    int32_t r = 0;
    assert_null(call_i32(f, "add", &r, 2, 20, 3));
    assert_int_equal(r, 23);
    wk_module_delete(f->basic);
    f->basic = NULL;
    assert_null(call_i32(f, "add", &r, 2, 1, 3));
    assert_int_equal(r, 4);
}

static void test_api_func_bounded_only_without_loops_calls_bulk(void **state)
{
    Fixture *f = *state;
    assert_true(wk_func_bounded(export_func(f->inst, "add", 3)));
    assert_true(wk_func_bounded(export_func(f->inst, "load", 4)));
    assert_true(wk_func_bounded(export_func(f->inst, "load", 4))); /* cached */
    assert_false(wk_func_bounded(export_func(f->inst, "rec", 3)));
    assert_false(wk_func_bounded(export_func(f->inst, "call_cb", 7)));
    assert_false(wk_func_bounded(export_func(f->inst, "grow", 4)));
    assert_false(wk_func_bounded(f->cb));
}

static void test_api_software_bounds_mode_same_traps(void **state)
{
    (void)state;
    setenv("WK_BOUNDS", "software", 1);
    Fixture *f;
    setup_basic((void **)&f);
    unsetenv("WK_BOUNDS");
    assert_true(wk_engine_software_bounds(f->engine));
    int32_t r = 0;
    wk_trap_t *t = call_i32(f, "load", &r, 1, 65533);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_MEMORY_OOB);
    wk_trap_delete(t);
    assert_null(call_i32(f, "load", &r, 1, 16));
    assert_int_equal(r, 0x6c6c6568); /* "hell" */
    assert_null(call_i32(f, "grow", &r, 1, 1));
    assert_null(call_i32(f, "load", &r, 1, 65533));
    teardown_basic((void **)&f);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_basic, teardown_basic)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_api_call_export_returns_result),
        T(test_api_multi_value_results_in_order),
        T(test_api_export_name_with_nul_found_by_length),
        T(test_api_div_zero_trap_then_call_again),
        T(test_api_unreachable_trap_kind),
        T(test_api_recursion_stack_exhausted_then_call_again),
        T(test_api_memory_oob_trap_then_grow_makes_it_valid),
        T(test_api_data_segment_visible_in_memory),
        T(test_api_host_function_called_with_args),
        T(test_api_host_trap_propagates_as_same_trap),
        T(test_api_host_reenters_caller_export),
        T(test_api_host_result_of_wrong_kind_host_trap),
        T(test_api_nested_trap_in_reentry_passed_on_by_host),
        T(test_api_wrong_argument_kind_host_trap),
        T(test_api_call_raw_args_in_results_out_same_slots),
        T(test_api_call_raw_trap_then_host_function_directly),
        T(test_api_globals_get_set_and_immutable_refused),
        T(test_api_table_holds_exported_funcs_and_grows),
        T(test_api_cross_module_call_indirect_by_type_identity),
        T(test_api_link_errors_unknown_and_incompatible),
        T(test_api_objects_of_another_store_refused),
        T(test_api_data_segment_oob_traps_earlier_writes_stay),
        T(test_api_start_function_runs_and_traps_fail_instantiation),
        T(test_api_module_outlives_delete_while_instance_lives),
        T(test_api_engine_deleted_first_store_still_runs),
        T(test_api_func_bounded_only_without_loops_calls_bulk),
        cmocka_unit_test(test_api_software_bounds_mode_same_traps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
