/* Unit tests for lib/store.c: merging one store into another (wk_store_merge) so that their
 * objects link together; refusing stores of different engines and a running store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "load_wasm.h"

static wk_extern_t export_of(wk_instance_t *inst, const char *name)
{
    wk_extern_t e;
    assert_true(wk_instance_export_get(inst, name, strlen(name), &e));
    return e;
}

static wk_instance_t *instantiate(wk_store_t *s, wk_module_t *m, const wk_extern_t *imports,
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
    wk_instance_t *lib = instantiate(b, seven, NULL, 0);
    assert_null(wk_store_merge(a, b));
    wk_extern_t imports[2] = {{.kind = WK_EXTERN_MEMORY, .of.memory = mem},
                              export_of(lib, "seven")};
    wk_instance_t *inst = instantiate(a, user, imports, 2);
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
    wk_instance_t *inst = instantiate(b, user, imports, 2);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_merge_then_objects_of_both_link),
        cmocka_unit_test(test_store_merge_different_engines_refused),
        cmocka_unit_test(test_store_merge_of_running_store_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
