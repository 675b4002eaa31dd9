/* Unit tests for lib/linker.c (and instance.c's link errors): defining externs by name,
 * instantiating from a linker, and link errors that name the import and both types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "load_wasm.h"

typedef struct {
    wk_engine_t *engine;
    wk_store_t *store;
    wk_module_t *seven, *user;
    wk_linker_t *linker;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->engine = wk_engine_new();
    f->store = wk_store_new(f->engine);
    f->seven = load_wasm(f->engine, "seven");
    f->user = load_wasm(f->engine, "link_user");
    f->linker = wk_linker_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    wk_linker_delete(f->linker);
    wk_store_delete(f->store);
    wk_module_delete(f->seven);
    wk_module_delete(f->user);
    wk_engine_delete(f->engine);
    free(f);
    return 0;
}

static wk_trap_t *noop(void *env, const wk_caller_t *caller, const wk_val_t *args,
                       wk_val_t *results)
{
    (void)env;
    (void)caller;
    (void)args;
    (void)results;
    return NULL;
}

static wk_error_t *instantiate(Fixture *f, wk_instance_t **inst)
{
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_linker_instantiate(f->linker, f->store, f->user, inst, &trap);
    assert_null(trap);
    return err;
}

static void test_linker_instance_and_memory_by_name(void **state)
{
    Fixture *f = *state;
    wk_instance_t *lib, *inst;
    wk_trap_t *trap = NULL;
    assert_null(wk_linker_instantiate(f->linker, f->store, f->seven, &lib, &trap));
    wk_memory_t *mem;
    wk_limits_t lim = {1, 0, false};
    assert_null(wk_memory_new(f->store, &lim, &mem));
    assert_null(wk_linker_define(f->linker, "env", 3, "mem", 3,
                                 (wk_extern_t){.kind = WK_EXTERN_MEMORY, .of.memory = mem}));
    wk_extern_t seven;
    assert_true(wk_instance_export_get(lib, "seven", 5, &seven));
    assert_null(wk_linker_define(f->linker, "env", 3, "f", 1, seven));
    assert_null(instantiate(f, &inst));
    wk_extern_t run;
    assert_true(wk_instance_export_get(inst, "run", 3, &run));
    wk_val_t r;
    assert_null(wk_func_call(run.of.func, NULL, 0, &r, 1));
    assert_int_equal(r.of.i32, 7);
}

static void test_linker_unknown_import_names_it_and_its_type(void **state)
{
    Fixture *f = *state;
    wk_instance_t *inst;
    wk_error_t *err = instantiate(f, &inst);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_LINK);
    assert_string_equal(wk_error_message(err),
                        "unknown import \"env\".\"mem\": nothing defines this memory 1");
    wk_error_delete(err);
}

static void test_linker_define_instance_then_type_mismatch_names_both(void **state)
{
    Fixture *f = *state;
    wk_instance_t *lib, *inst;
    wk_trap_t *trap = NULL;
    assert_null(wk_linker_instantiate(f->linker, f->store, f->seven, &lib, &trap));
    assert_null(wk_linker_define_instance(f->linker, "env", 3, lib));
    wk_extern_t seven;
    assert_true(wk_instance_export_get(lib, "seven", 5, &seven));
    /* env.mem defined as a function: the kind differs */
    assert_null(wk_linker_define(f->linker, "env", 3, "mem", 3, seven));
    assert_null(wk_linker_define(f->linker, "env", 3, "f", 1, seven));
    wk_error_t *err = instantiate(f, &inst);
    assert_non_null(err);
    assert_string_equal(wk_error_message(err), "incompatible import type for \"env\".\"mem\": "
                                               "expected memory 1, found func () -> (i32)");
    wk_error_delete(err);
    wk_valkind_t i64 = WK_I64;
    wk_functype_t ft = {1, &i64, 0, NULL};
    wk_func_t *h = wk_func_new(f->store, &ft, noop, NULL, NULL);
    wk_memory_t *mem;
    wk_limits_t lim = {1, 0, false};
    assert_null(wk_memory_new(f->store, &lim, &mem));
    assert_null(wk_linker_define(f->linker, "env", 3, "mem", 3,
                                 (wk_extern_t){.kind = WK_EXTERN_MEMORY, .of.memory = mem}));
    assert_null(wk_linker_define(f->linker, "env", 3, "f", 1,
                                 (wk_extern_t){.kind = WK_EXTERN_FUNC, .of.func = h}));
    err = instantiate(f, &inst);
    assert_non_null(err);
    assert_string_equal(wk_error_message(err), "incompatible import type for \"env\".\"f\": "
                                               "expected func () -> (i32), found func (i64) -> ()");
    wk_error_delete(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_linker_instance_and_memory_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linker_unknown_import_names_it_and_its_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linker_define_instance_then_type_mismatch_names_both, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
