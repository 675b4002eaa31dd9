/* Unit tests for lib/instance.c and lib/rt.c: constant expressions (imported globals,
 * ref.func), passive and declarative segments with their drops, bulk memory and table bounds
 * at the exact edges, element segments applied in order at instantiation, and stack
 * exhaustion on a thread with a small stack. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasmkiln.h"

/* elemoob.wat:
 * (module
 *   (import "a" "tab" (table 3 funcref))
 *   (func $f)
 *   (elem (i32.const 0) $f $f)
 *   (elem (i32.const 2) $f $f))
 */
static const uint8_t elemoob_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x0b,
    0x01, 0x01, 0x61, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00, 0x03, 0x03, 0x02, 0x01, 0x00, 0x09,
    0x0f, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x41, 0x02, 0x0b, 0x02, 0x00, 0x00,
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
};

/* rec.wat:
 * (module
 *   (func $rec (export "rec") (param i32) (result i32)
 *     (i32.add (i32.const 1) (call $rec (local.get 0))))
 *   (func (export "id") (param i32) (result i32) (local.get 0)))
 */
static const uint8_t rec_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x0c, 0x02, 0x03, 0x72, 0x65, 0x63, 0x00, 0x00, 0x02, 0x69,
    0x64, 0x00, 0x01, 0x0a, 0x10, 0x02, 0x09, 0x00, 0x41, 0x01, 0x20, 0x00, 0x10, 0x00, 0x6a, 0x0b,
    0x04, 0x00, 0x20, 0x00, 0x0b,
};

/* segs2.wat:
 * (module
 *   (import "a" "g" (global $ig i32))
 *   (import "a" "tab" (table 3 funcref))
 *   (memory (export "mem") 1)
 *   (table $t (export "t") 4 funcref)
 *   (global (export "copy") i32 (global.get $ig))
 *   (global (export "fref") funcref (ref.func $f))
 *   (func $f (export "f") (result i32) (i32.const 7))
 *   (elem $p funcref (ref.func $f) (ref.null func))
 *   (elem $d declare func $f)
 *   (data $pd "abcdef")
 *   (func (export "tinit") (param i32 i32 i32) (table.init $t $p (local.get 0) (local.get 1) (local.get 2)))
 *   (func (export "tinit_decl") (param i32 i32 i32) (table.init $t $d (local.get 0) (local.get 1) (local.get 2)))
 *   (func (export "edrop") (elem.drop $p))
 *   (func (export "minit") (param i32 i32 i32) (memory.init $pd (local.get 0) (local.get 1) (local.get 2)))
 *   (func (export "ddrop") (data.drop $pd))
 *   (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
 *   (func (export "copy_mem") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
 *   (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
 *   (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))
 */
static const uint8_t segs2_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x13, 0x04, 0x60, 0x00, 0x01, 0x7f, 0x60,
    0x03, 0x7f, 0x7f, 0x7f, 0x00, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x12, 0x02,
    0x01, 0x61, 0x01, 0x67, 0x03, 0x7f, 0x00, 0x01, 0x61, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00,
    0x03, 0x03, 0x0b, 0x0a, 0x00, 0x01, 0x01, 0x02, 0x01, 0x02, 0x01, 0x01, 0x03, 0x03, 0x04, 0x04,
    0x01, 0x70, 0x00, 0x04, 0x05, 0x03, 0x01, 0x00, 0x01, 0x06, 0x0b, 0x02, 0x7f, 0x00, 0x23, 0x00,
    0x0b, 0x70, 0x00, 0xd2, 0x00, 0x0b, 0x07, 0x6c, 0x0e, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01,
    0x74, 0x01, 0x01, 0x04, 0x63, 0x6f, 0x70, 0x79, 0x03, 0x01, 0x04, 0x66, 0x72, 0x65, 0x66, 0x03,
    0x02, 0x01, 0x66, 0x00, 0x00, 0x05, 0x74, 0x69, 0x6e, 0x69, 0x74, 0x00, 0x01, 0x0a, 0x74, 0x69,
    0x6e, 0x69, 0x74, 0x5f, 0x64, 0x65, 0x63, 0x6c, 0x00, 0x02, 0x05, 0x65, 0x64, 0x72, 0x6f, 0x70,
    0x00, 0x03, 0x05, 0x6d, 0x69, 0x6e, 0x69, 0x74, 0x00, 0x04, 0x05, 0x64, 0x64, 0x72, 0x6f, 0x70,
    0x00, 0x05, 0x04, 0x66, 0x69, 0x6c, 0x6c, 0x00, 0x06, 0x08, 0x63, 0x6f, 0x70, 0x79, 0x5f, 0x6d,
    0x65, 0x6d, 0x00, 0x07, 0x05, 0x74, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x08, 0x05, 0x6c, 0x6f, 0x61,
    0x64, 0x38, 0x00, 0x09, 0x09, 0x0e, 0x02, 0x05, 0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b,
    0x03, 0x00, 0x01, 0x00, 0x0c, 0x01, 0x01, 0x0a, 0x64, 0x0a, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x0c,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x0c, 0x00, 0x01, 0x0b, 0x0c, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x20, 0x02, 0xfc, 0x0c, 0x01, 0x01, 0x0b, 0x05, 0x00, 0xfc, 0x0d, 0x00, 0x0b, 0x0c,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x08, 0x00, 0x00, 0x0b, 0x05, 0x00, 0xfc, 0x09,
    0x00, 0x0b, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x0b, 0x00, 0x0b, 0x0c, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x0a, 0x00, 0x00, 0x0b, 0x09, 0x00, 0xd0, 0x70, 0x20,
    0x00, 0xfc, 0x0f, 0x01, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x0b, 0x09, 0x01,
    0x01, 0x06, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
};

typedef struct World {
    wk_engine_t *engine;
    wk_store_t *store;
    wk_module_t *mod;
    wk_instance_t *inst;
    wk_global_t *g;
    wk_table_t *tab;
} World;

static wk_extern_t get(wk_instance_t *inst, const char *name)
{
    wk_extern_t e;
    assert_true(wk_instance_export_get(inst, name, strlen(name), &e));
    return e;
}

static int setup_world(void **state)
{
    World *w = calloc(1, sizeof *w);
    w->engine = wk_engine_new();
    w->store = wk_store_new(w->engine);
    wk_globaltype_t gt = {WK_I32, false};
    assert_null(wk_global_new(w->store, &gt, wk_val_i32(1234), &w->g));
    wk_tabletype_t tt = {WK_FUNCREF, {3, 10, true}};
    wk_val_t null = {.kind = WK_FUNCREF};
    assert_null(wk_table_new(w->store, &tt, null, &w->tab));
    assert_null(wk_module_new(w->engine, segs2_wasm, sizeof segs2_wasm, &w->mod));
    wk_extern_t imports[2] = {{.kind = WK_EXTERN_GLOBAL, .of.global = w->g},
                              {.kind = WK_EXTERN_TABLE, .of.table = w->tab}};
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(w->store, w->mod, imports, 2, &w->inst, &trap));
    assert_null(trap);
    *state = w;
    return 0;
}

static int teardown_world(void **state)
{
    World *w = *state;
    wk_store_delete(w->store);
    wk_module_delete(w->mod);
    wk_engine_delete(w->engine);
    free(w);
    return 0;
}

/* Runs export `name` with three i32 arguments; returns the trap kind or 0. */
static int run3(World *w, const char *name, int32_t a, int32_t b, int32_t c)
{
    wk_val_t args[3] = {wk_val_i32(a), wk_val_i32(b), wk_val_i32(c)};
    wk_trap_t *t = wk_func_call(get(w->inst, name).of.func, args, 3, NULL, 0);
    int kind = t ? wk_trap_kind(t) : 0;
    wk_trap_delete(t);
    return kind;
}

/* Runs export `name` with no arguments and no results; returns the trap kind or 0. */
static int run0(World *w, const char *name)
{
    wk_trap_t *t = wk_func_call(get(w->inst, name).of.func, NULL, 0, NULL, 0);
    int kind = t ? wk_trap_kind(t) : 0;
    wk_trap_delete(t);
    return kind;
}

static void test_instance_global_init_from_imported_global(void **state)
{
    World *w = *state;
    wk_val_t v = wk_global_get(get(w->inst, "copy").of.global);
    assert_int_equal(v.kind, WK_I32);
    assert_int_equal(v.of.i32, 1234);
}

static void test_instance_ref_func_global_is_exported_func(void **state)
{
    World *w = *state;
    wk_val_t v = wk_global_get(get(w->inst, "fref").of.global);
    assert_int_equal(v.kind, WK_FUNCREF);
    assert_ptr_equal(v.of.funcref, get(w->inst, "f").of.func);
}

static void test_instance_passive_elem_init_then_drop(void **state)
{
    World *w = *state;
    wk_table_t *t = get(w->inst, "t").of.table;
    assert_int_equal(run3(w, "tinit", 2, 0, 2), 0);
    wk_val_t v;
    assert_true(wk_table_get(t, 2, &v));
    assert_ptr_equal(v.of.funcref, get(w->inst, "f").of.func);
    assert_true(wk_table_get(t, 3, &v));
    assert_null(v.of.funcref);
    assert_int_equal(run3(w, "tinit", 3, 0, 2), WK_TRAP_TABLE_OOB); /* 3 + 2 > 4 */
    assert_int_equal(run3(w, "tinit", 4, 2, 0), 0);                 /* edges, n = 0 */
    assert_int_equal(run3(w, "tinit", 5, 0, 0), WK_TRAP_TABLE_OOB);
    assert_int_equal(run3(w, "tinit", 0, 3, 0), WK_TRAP_TABLE_OOB);
    assert_int_equal(run0(w, "edrop"), 0);
    assert_int_equal(run3(w, "tinit", 0, 0, 1), WK_TRAP_TABLE_OOB);
    assert_int_equal(run3(w, "tinit", 0, 0, 0), 0);
}

static void test_instance_declarative_elem_is_dropped(void **state)
{
    World *w = *state;
    assert_int_equal(run3(w, "tinit_decl", 0, 0, 1), WK_TRAP_TABLE_OOB);
    assert_int_equal(run3(w, "tinit_decl", 0, 0, 0), 0);
}

static void test_instance_passive_data_init_bounds_and_drop(void **state)
{
    World *w = *state;
    uint8_t *mem = wk_memory_data(get(w->inst, "mem").of.memory);
    assert_int_equal(run3(w, "minit", 100, 1, 3), 0);
    assert_memory_equal(mem + 100, "bcd", 3);
    assert_int_equal(run3(w, "minit", 65535, 0, 2), WK_TRAP_MEMORY_OOB);
    assert_int_equal(run3(w, "minit", 65536, 6, 0), 0);
    assert_int_equal(run3(w, "minit", 65537, 0, 0), WK_TRAP_MEMORY_OOB);
    assert_int_equal(run3(w, "minit", 0, 7, 0), WK_TRAP_MEMORY_OOB);
    assert_int_equal(run0(w, "ddrop"), 0);
    assert_int_equal(run3(w, "minit", 0, 0, 1), WK_TRAP_MEMORY_OOB);
    assert_int_equal(run3(w, "minit", 0, 0, 0), 0);
}

static void test_rt_memory_fill_and_copy_exact_edges(void **state)
{
    World *w = *state;
    uint8_t *mem = wk_memory_data(get(w->inst, "mem").of.memory);
    assert_int_equal(run3(w, "fill", 65530, 0x41, 6), 0);
    assert_int_equal(mem[65535], 0x41);
    assert_int_equal(run3(w, "fill", 65531, 0x42, 6), WK_TRAP_MEMORY_OOB);
    assert_int_equal(mem[65531], 0x41); /* nothing written by a trapping fill */
    assert_int_equal(run3(w, "fill", 65536, 0, 0), 0);
    assert_int_equal(run3(w, "fill", -1, 0, 0), WK_TRAP_MEMORY_OOB);
    memcpy(mem, "0123456789", 10);
    assert_int_equal(run3(w, "copy_mem", 2, 0, 8), 0); /* overlapping, forward */
    assert_memory_equal(mem, "0101234567", 10);
    assert_int_equal(run3(w, "copy_mem", 0, 2, 8), 0); /* overlapping, backward */
    assert_memory_equal(mem, "0123456767", 10);
    assert_int_equal(run3(w, "copy_mem", 0, 65535, 2), WK_TRAP_MEMORY_OOB);
    assert_int_equal(run3(w, "copy_mem", 65536, 65536, 0), 0);
}

static void test_rt_table_grow_to_max_then_fails(void **state)
{
    World *w = *state;
    wk_val_t arg = wk_val_i32(2), res[1];
    wk_func_t *grow = get(w->inst, "tgrow").of.func;
    assert_null(wk_func_call(grow, &arg, 1, res, 1));
    assert_int_equal(res[0].of.i32, 4);
    arg = wk_val_i32(-1);
    assert_null(wk_func_call(grow, &arg, 1, res, 1));
    assert_int_equal(res[0].of.i32, -1);
    assert_int_equal(wk_table_size(get(w->inst, "t").of.table), 6);
}

static void test_instance_elem_segments_in_order_first_writes_stay(void **state)
{
    World *w = *state;
    wk_module_t *m;
    assert_null(wk_module_new(w->engine, elemoob_wasm, sizeof elemoob_wasm, &m));
    wk_extern_t imp = {.kind = WK_EXTERN_TABLE, .of.table = w->tab};
    wk_instance_t *inst;
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(w->store, m, &imp, 1, &inst, &trap));
    assert_null(inst);
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), WK_TRAP_TABLE_OOB);
    assert_string_equal(wk_trap_message(trap), "out of bounds table access");
    wk_trap_delete(trap);
    wk_val_t v;
    assert_true(wk_table_get(w->tab, 1, &v));
    assert_non_null(v.of.funcref); /* from the first segment, callable although it failed */
    assert_null(wk_func_call(v.of.funcref, NULL, 0, NULL, 0));
    assert_true(wk_table_get(w->tab, 2, &v));
    assert_null(v.of.funcref);
    wk_module_delete(m);
}

/* ---- threads ---- */

typedef struct ThreadRun {
    World *w;
    wk_module_t *mod;
    int first_kind, second_result;
} ThreadRun;

static void *thread_main(void *p)
{
    ThreadRun *r = p;
    wk_store_t *store = wk_store_new(r->w->engine);
    wk_instance_t *inst;
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_instance_new(store, r->mod, NULL, 0, &inst, &trap);
    if (!err && !trap) {
        wk_val_t arg = wk_val_i32(3), res[1];
        wk_trap_t *t = wk_func_call(get(inst, "rec").of.func, &arg, 1, res, 1);
        r->first_kind = t ? wk_trap_kind(t) : 0;
        wk_trap_delete(t);
        t = wk_func_call(get(inst, "id").of.func, &arg, 1, res, 1);
        r->second_result = t ? -1 : res[0].of.i32;
        wk_trap_delete(t);
    }
    wk_error_delete(err);
    wk_trap_delete(trap);
    wk_store_delete(store);
    return NULL;
}

static void test_instance_small_thread_stack_recursion_traps_not_crashes(void **state)
{
    World *w = *state;
    ThreadRun r = {.w = w};
    assert_null(wk_module_new(w->engine, rec_wasm, sizeof rec_wasm, &r.mod));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_t th;
    assert_int_equal(pthread_create(&th, &attr, thread_main, &r), 0);
    pthread_join(th, NULL);
    pthread_attr_destroy(&attr);
    assert_int_equal(r.first_kind, WK_TRAP_STACK_EXHAUSTED);
    assert_int_equal(r.second_result, 3);
    wk_module_delete(r.mod);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_world, teardown_world)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_instance_global_init_from_imported_global),
        T(test_instance_ref_func_global_is_exported_func),
        T(test_instance_passive_elem_init_then_drop),
        T(test_instance_declarative_elem_is_dropped),
        T(test_instance_passive_data_init_bounds_and_drop),
        T(test_rt_memory_fill_and_copy_exact_edges),
        T(test_rt_table_grow_to_max_then_fails),
        T(test_instance_elem_segments_in_order_first_writes_stay),
        T(test_instance_small_thread_stack_recursion_traps_not_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
