/* Unit tests for lib/store.c: resource limits (memory bytes, table elements, Wasm stack size)
 * enforced by memory.grow / table.grow, at instantiation and by the C API; merging stores
 * (wk_store_merge) and the externrefs of a store (wk_store_externrefs). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "load_wasm.h"
#include "spin_module.h"
#include "wasmkiln.h"

typedef SpinFixture Fixture;

static int setup_store(void **state)
{
    static Fixture fx;
    spin_fixture_open(&fx, wk_engine_new(), false);
    *state = &fx;
    return 0;
}

#define teardown_store spin_fixture_close

static wk_error_t *instantiate(Fixture *fx)
{
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_instance_new(fx->store, fx->module, NULL, 0, &fx->inst, &trap);
    assert_null(trap);
    return err;
}

static int32_t call1(Fixture *fx, const char *name, int32_t arg, wk_trap_kind_t *trapped)
{
    wk_extern_t ext;
    assert_true(wk_instance_export_get(fx->inst, name, strlen(name), &ext));
    wk_val_t a = wk_val_i32(arg), r = wk_val_i32(0);
    wk_trap_t *trap = wk_func_call(ext.of.func, &a, 1, &r, 1);
    *trapped = trap ? wk_trap_kind(trap) : 0;
    wk_trap_delete(trap);
    return r.of.i32;
}

static int32_t call_ok(Fixture *fx, const char *name, int32_t arg)
{
    wk_trap_kind_t kind;
    int32_t r = call1(fx, name, arg, &kind);
    assert_int_equal(kind, 0);
    return r;
}

static void test_store_memory_limit_memory_grow_returns_minus_one(void **state)
{
    Fixture *fx = *state;
    wk_store_limits_t lim = {.memory_bytes = 2 * 65536 + 100};
    wk_store_set_limits(fx->store, &lim);
    assert_int_equal(wk_store_limits(fx->store).memory_bytes, lim.memory_bytes);
    assert_null(instantiate(fx));
    assert_int_equal(call_ok(fx, "grow", 1), 1);  /* 1 -> 2 pages */
    assert_int_equal(call_ok(fx, "grow", 1), -1); /* 3 pages > the limit; the type allows 4 */
    wk_extern_t mem;
    assert_true(wk_instance_export_get(fx->inst, "memory", 6, &mem));
    uint32_t prev = 0;
    assert_false(wk_memory_grow(mem.of.memory, 1, &prev));
    assert_int_equal(wk_memory_size(mem.of.memory), 2);
    assert_int_equal(wk_memory_type(mem.of.memory).max, 4); /* the declared type is kept */
}

static void test_store_memory_limit_below_minimum_fails_instantiation(void **state)
{
    Fixture *fx = *state;
    wk_store_limits_t lim = {.memory_bytes = 1000};
    wk_store_set_limits(fx->store, &lim);
    wk_error_t *err = instantiate(fx);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_RESOURCE);
    assert_string_equal(wk_error_message(err),
                        "memory minimum of 1 pages exceeds the store's limit of 0 pages");
    wk_error_delete(err);
    wk_memory_t *m = NULL;
    wk_limits_t l = {1, 0, false};
    err = wk_memory_new(fx->store, &l, &m);
    assert_non_null(err);
    wk_error_delete(err);
    /* Within the limit again: the store is fine. */
    lim.memory_bytes = 0;
    wk_store_set_limits(fx->store, &lim);
    assert_null(instantiate(fx));
    assert_int_equal(call_ok(fx, "grow", 3), 1);
}

static void test_store_table_limit_table_grow_returns_minus_one(void **state)
{
    Fixture *fx = *state;
    wk_store_limits_t lim = {.table_elements = 3};
    wk_store_set_limits(fx->store, &lim);
    assert_null(instantiate(fx));
    assert_int_equal(call_ok(fx, "tgrow", 2), 1);  /* 1 -> 3 */
    assert_int_equal(call_ok(fx, "tgrow", 1), -1); /* 4 > 3; the type allows 10 */
    wk_tabletype_t tt = {WK_FUNCREF, {5, 0, false}};
    wk_table_t *t = NULL;
    wk_val_t null = {.kind = WK_FUNCREF, .of.funcref = NULL};
    wk_error_t *err = wk_table_new(fx->store, &tt, null, &t);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_RESOURCE);
    assert_string_equal(wk_error_message(err),
                        "table minimum of 5 elements exceeds the store's limit of 3 elements");
    wk_error_delete(err);
    tt.limits.min = 2;
    assert_null(wk_table_new(fx->store, &tt, null, &t));
    uint32_t prev;
    assert_false(wk_table_grow(t, 2, null, &prev));
    assert_true(wk_table_grow(t, 1, null, &prev));
}

static void test_store_stack_size_bounds_recursion(void **state)
{
    Fixture *fx = *state;
    assert_null(instantiate(fx));
    wk_trap_kind_t kind;
    /* The default budget (1 MiB) holds a recursion of 2,000 but not of 10,000,000. */
    assert_int_equal(call_ok(fx, "down", 2000), 2000);
    call1(fx, "down", 10000000, &kind);
    assert_int_equal(kind, WK_TRAP_STACK_EXHAUSTED);
    wk_store_limits_t lim = {.stack_bytes = 16 << 10};
    wk_store_set_limits(fx->store, &lim);
    call1(fx, "down", 2000, &kind);
    assert_int_equal(kind, WK_TRAP_STACK_EXHAUSTED);
    assert_int_equal(call_ok(fx, "down", 10), 10);
}

typedef struct Deep {
    Fixture *fx;
    int32_t result;
    wk_trap_kind_t kind;
} Deep;

static void *deep_thread(void *arg)
{
    Deep *d = arg;
    d->result = call1(d->fx, "down", 200000, &d->kind);
    return NULL;
}

static void test_store_stack_whole_thread_follows_thread_stack(void **state)
{
    Fixture *fx = *state;
    assert_null(instantiate(fx));
    wk_store_limits_t lim = {.stack_bytes = WK_STACK_WHOLE_THREAD};
    wk_store_set_limits(fx->store, &lim);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)256 << 20);
    Deep d = {fx, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, &attr, deep_thread, &d), 0);
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    assert_int_equal(d.kind, 0);
    assert_int_equal(d.result, 200000); /* far beyond what 1 MiB holds */
}

static wk_extern_t export_of(wk_instance_t *inst, const char *name)
{
    wk_extern_t e;
    assert_true(wk_instance_export_get(inst, name, strlen(name), &e));
    return e;
}

static wk_instance_t *instantiate_in(wk_store_t *s, wk_module_t *m, const wk_extern_t *imports,
                                  size_t n)
{
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_instance_new(s, m, imports, n, &inst, &trap);
    if (err) fail_msg("%s", wk_error_describe(err));
    assert_null(trap);
    return inst;
}

static void test_store_merge_then_objects_of_both_link(void **state)
{
    (void)state;
    wk_engine_t *engine = wk_engine_new();
    wk_store_t *a = wk_store_new(engine), *b = wk_store_new(engine);
    wk_module_t *seven = load_wasm(engine, "seven"), *user = load_wasm(engine, "link_user");
    wk_memory_t *mem;
    wk_limits_t lim = {1, 0, false};
    assert_null(wk_memory_new(a, &lim, &mem));
    wk_instance_t *lib = instantiate_in(b, seven, NULL, 0);
    assert_null(wk_store_merge(a, b));
    wk_extern_t imports[2] = {{.kind = WK_EXTERN_MEMORY, .of.memory = mem},
                              export_of(lib, "seven")};
    wk_instance_t *inst = instantiate_in(a, user, imports, 2);
    wk_val_t r;
    assert_null(wk_func_call(export_of(inst, "run").of.func, NULL, 0, &r, 1));
    assert_int_equal(r.of.i32, 7);
    wk_name_t name = wk_func_name(export_of(lib, "seven").of.func);
    assert_int_equal(name.size, 5);
    assert_memory_equal(name.data, "seven", 5);
    wk_store_delete(b); /* empty now: a owns everything */
    assert_null(wk_func_call(export_of(inst, "run").of.func, NULL, 0, &r, 1));
    assert_int_equal(wk_memory_data(mem)[0], 7);
    wk_store_delete(a);
    wk_module_delete(seven);
    wk_module_delete(user);
    wk_engine_delete(engine);
}

static void test_store_merge_different_engines_refused(void **state)
{
    (void)state;
    wk_engine_t *e1 = wk_engine_new(), *e2 = wk_engine_new();
    wk_store_t *a = wk_store_new(e1), *b = wk_store_new(e2);
    wk_error_t *err = wk_store_merge(a, b);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_USAGE);
    assert_non_null(strstr(wk_error_message(err), "different engines"));
    wk_error_delete(err);
    assert_null(wk_store_merge(a, a));
    wk_store_delete(a);
    wk_store_delete(b);
    wk_engine_delete(e1);
    wk_engine_delete(e2);
}

typedef struct {
    wk_store_t *into, *running;
    wk_error_kind_t kind;
} MergeEnv;

static wk_trap_t *merge_from_callback(void *env, const wk_caller_t *caller, const wk_val_t *args,
                                      wk_val_t *results)
{
    (void)caller;
    (void)args;
    MergeEnv *m = env;
    results[0] = wk_val_i32(1);
    if (!m->running) return NULL;
    wk_error_t *err = wk_store_merge(m->into, m->running);
    m->kind = err ? wk_error_kind(err) : 0;
    wk_error_delete(err);
    return NULL;
}

static void test_store_merge_of_running_store_refused(void **state)
{
    (void)state;
    wk_engine_t *engine = wk_engine_new();
    wk_store_t *a = wk_store_new(engine), *b = wk_store_new(engine);
    wk_module_t *user = load_wasm(engine, "link_user");
    MergeEnv env = {a, b, 0};
    wk_valkind_t i32 = WK_I32;
    wk_functype_t ft = {0, NULL, 1, &i32};
    wk_memory_t *mem;
    wk_limits_t lim = {1, 0, false};
    assert_null(wk_memory_new(b, &lim, &mem));
    wk_extern_t imports[2] = {{.kind = WK_EXTERN_MEMORY, .of.memory = mem},
                              {.kind = WK_EXTERN_FUNC,
                               .of.func = wk_func_new(b, &ft, merge_from_callback, &env, NULL)}};
    wk_instance_t *inst = instantiate_in(b, user, imports, 2);
    wk_val_t r;
    assert_null(wk_func_call(export_of(inst, "run").of.func, NULL, 0, &r, 1));
    assert_int_equal(env.kind, WK_ERROR_USAGE);
    assert_null(wk_store_merge(a, b)); /* idle again */
    wk_store_delete(b);
    env.running = NULL;
    assert_null(wk_func_call(export_of(inst, "run").of.func, NULL, 0, &r, 1));
    assert_int_equal(r.of.i32, 1);
    wk_store_delete(a);
    wk_module_delete(user);
    wk_engine_delete(engine);
}


static void count_ref(void *ref, void *env)
{
    int *seen = env;
    if (ref == (void *)&seen[1]) seen[0] |= 1;
    if (ref == (void *)&seen[2]) seen[0] |= 2;
}

static void test_store_externrefs_visits_tables_and_globals(void **state)
{
    (void)state;
    wk_engine_t *engine = wk_engine_new();
    wk_store_t *s = wk_store_new(engine);
    int seen[3] = {0, 0, 0};
    wk_tabletype_t tt = {WK_EXTERNREF, {2, 0, false}};
    wk_val_t null = {.kind = WK_EXTERNREF};
    wk_table_t *t;
    assert_null(wk_table_new(s, &tt, null, &t));
    wk_val_t a = {.kind = WK_EXTERNREF, .of.externref = &seen[1]};
    assert_true(wk_table_set(t, 1, a));
    wk_globaltype_t gt = {WK_EXTERNREF, true};
    wk_val_t b = {.kind = WK_EXTERNREF, .of.externref = &seen[2]};
    wk_global_t *g;
    assert_null(wk_global_new(s, &gt, b, &g));
    wk_store_externrefs(s, count_ref, seen);
    assert_int_equal(seen[0], 3);
    seen[0] = 0;
    assert_true(wk_table_set(t, 1, null));
    assert_null(wk_global_set(g, null));
    wk_store_externrefs(s, count_ref, seen);
    assert_int_equal(seen[0], 0);
    wk_store_delete(s);
    wk_engine_delete(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_memory_limit_memory_grow_returns_minus_one,
                                        setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(
            test_store_memory_limit_below_minimum_fails_instantiation, setup_store,
            teardown_store),
        cmocka_unit_test_setup_teardown(test_store_table_limit_table_grow_returns_minus_one,
                                        setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_store_stack_size_bounds_recursion, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_store_stack_whole_thread_follows_thread_stack,
                                        setup_store, teardown_store),
        cmocka_unit_test(test_store_merge_then_objects_of_both_link),
        cmocka_unit_test(test_store_merge_different_engines_refused),
        cmocka_unit_test(test_store_merge_of_running_store_refused),
        cmocka_unit_test(test_store_externrefs_visits_tables_and_globals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
