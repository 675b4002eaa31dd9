/* The standard C API (include/wasm.h, lib/capi_*.c) beyond what the upstream examples check:
 * host info and finalizers, reference round trips, link errors, serialization, sharing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "add_module.h"
#include "wasm.h"

/* (module (import "m" "f" (func))) */
static const uint8_t import_wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01,
                                      0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x07, 0x01, 0x01,
                                      0x6d, 0x01, 0x66, 0x00, 0x00};

typedef struct Fixture {
    wasm_engine_t *engine;
    wasm_store_t *store;
    wasm_module_t *module; /* add_module.h's module */
} Fixture;

static int finalized[16];

static void finalize(void *data)
{
    finalized[(intptr_t)data]++;
}

static wasm_module_t *module_of(wasm_store_t *store, const uint8_t *bytes, size_t size)
{
    wasm_byte_vec_t binary = {size, (wasm_byte_t *)bytes};
    return wasm_module_new(store, &binary);
}

static int setup_store(void **state)
{
    static Fixture f;
    memset(finalized, 0, sizeof finalized);
    f.engine = wasm_engine_new();
    f.store = wasm_store_new(f.engine);
    f.module = module_of(f.store, add_wasm, sizeof add_wasm);
    *state = &f;
    return f.module ? 0 : -1;
}

static int teardown_store(void **state)
{
    Fixture *f = *state;
    wasm_module_delete(f->module);
    wasm_store_delete(f->store);
    wasm_engine_delete(f->engine);
    return 0;
}

static wasm_instance_t *instantiate(Fixture *f, wasm_extern_vec_t *exports)
{
    wasm_extern_vec_t imports = WASM_EMPTY_VEC;
    wasm_instance_t *inst = wasm_instance_new(f->store, f->module, &imports, NULL);
    assert_non_null(inst);
    wasm_instance_exports(inst, exports);
    assert_int_equal(exports->size, 3);
    return inst;
}

static void test_capi_host_info_finalizers_run_once(void **state)
{
    Fixture *f = *state;
    wasm_extern_vec_t exports;
    wasm_instance_t *inst = instantiate(f, &exports);
    wasm_func_t *add = wasm_extern_as_func(exports.data[0]);
    wasm_foreign_t *foreign = wasm_foreign_new(f->store);
    wasm_func_set_host_info_with_finalizer(add, (void *)1, finalize);
    wasm_func_set_host_info_with_finalizer(add, (void *)2, finalize); /* replaces 1 */
    assert_int_equal(finalized[1], 1);
    wasm_func_t *copy = wasm_func_copy(add);
    assert_ptr_equal(wasm_func_get_host_info(copy), (void *)2); /* the object's, not the handle's */
    wasm_instance_set_host_info_with_finalizer(inst, (void *)3, finalize);
    wasm_foreign_set_host_info_with_finalizer(foreign, (void *)4, finalize);
    wasm_module_set_host_info_with_finalizer(f->module, (void *)5, finalize);
    wasm_func_delete(copy);
    wasm_instance_delete(inst);
    wasm_foreign_delete(foreign);
    wasm_extern_vec_delete(&exports);
    assert_int_equal(finalized[2] + finalized[3] + finalized[4], 0); /* alive with the store */
    wasm_store_delete(f->store);
    f->store = wasm_store_new(f->engine);
    assert_int_equal(finalized[1], 1);
    assert_int_equal(finalized[2], 1);
    assert_int_equal(finalized[3], 1);
    assert_int_equal(finalized[4], 1);
    assert_int_equal(finalized[5], 0); /* modules die with their last handle */
    wasm_module_delete(f->module);
    f->module = NULL;
    assert_int_equal(finalized[5], 1);
}

static void test_capi_externref_global_round_trips_foreign(void **state)
{
    Fixture *f = *state;
    wasm_foreign_t *foreign = wasm_foreign_new(f->store);
    wasm_foreign_set_host_info(foreign, (void *)7);
    wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_externref(), WASM_VAR);
    wasm_val_t init = WASM_REF_VAL(wasm_foreign_as_ref(foreign));
    wasm_global_t *g = wasm_global_new(f->store, gt, &init);
    assert_non_null(g);
    wasm_val_t got;
    wasm_global_get(g, &got);
    assert_int_equal(got.kind, WASM_EXTERNREF);
    assert_true(wasm_ref_same(got.of.ref, wasm_foreign_as_ref(foreign)));
    assert_ptr_equal(wasm_ref_get_host_info(got.of.ref), (void *)7);
    assert_non_null(wasm_ref_as_foreign(got.of.ref));
    wasm_val_delete(&got);
    wasm_val_t null = WASM_REF_VAL(NULL);
    wasm_global_set(g, &null);
    wasm_global_get(g, &got);
    assert_null(got.of.ref);
    wasm_globaltype_delete(gt);
    wasm_global_delete(g);
    wasm_foreign_delete(foreign);
}

static void test_capi_funcref_table_round_trips_function(void **state)
{
    Fixture *f = *state;
    wasm_extern_vec_t exports;
    wasm_instance_t *inst = instantiate(f, &exports);
    wasm_table_t *tab = wasm_extern_as_table(exports.data[1]);
    wasm_func_t *fib = wasm_extern_as_func(exports.data[2]);
    assert_non_null(tab);
    wasm_ref_t *add = wasm_table_get(tab, 0);
    assert_true(wasm_ref_same(add, wasm_func_as_ref(wasm_extern_as_func(exports.data[0]))));
    assert_true(wasm_table_set(tab, 0, wasm_func_as_ref(fib)));
    wasm_ref_t *got = wasm_table_get(tab, 0);
    assert_true(wasm_func_same(wasm_ref_as_func(got), fib));
    wasm_foreign_t *foreign = wasm_foreign_new(f->store);
    assert_false(wasm_table_set(tab, 0, wasm_foreign_as_ref(foreign))); /* not a function */
    assert_false(wasm_table_set(tab, 1, NULL));                        /* out of bounds */
    assert_null(wasm_table_get(tab, 1));
    wasm_ref_delete(add);
    wasm_ref_delete(got);
    wasm_foreign_delete(foreign);
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(inst);
}

static void expect_trap_message(wasm_trap_t *trap, const char *want)
{
    assert_non_null(trap);
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    assert_int_equal(message.data[message.size - 1], '\0');
    assert_non_null(strstr(message.data, want));
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
}

static void test_capi_link_error_is_trap_with_message(void **state)
{
    Fixture *f = *state;
    wasm_module_t *m = module_of(f->store, import_wasm, sizeof import_wasm);
    assert_non_null(m);
    wasm_importtype_vec_t imports;
    wasm_module_imports(m, &imports);
    assert_int_equal(imports.size, 1);
    assert_memory_equal(wasm_importtype_module(imports.data[0])->data, "m", 1);
    assert_int_equal(wasm_externtype_kind(wasm_importtype_type(imports.data[0])),
                     WASM_EXTERN_FUNC);
    wasm_importtype_vec_delete(&imports);
    wasm_trap_t *trap = NULL;
    wasm_extern_vec_t none = WASM_EMPTY_VEC;
    assert_null(wasm_instance_new(f->store, m, &none, &trap));
    expect_trap_message(trap, "unknown import");
    wasm_memorytype_t *mt = wasm_memorytype_new(&(wasm_limits_t){1, 1});
    wasm_memory_t *mem = wasm_memory_new(f->store, mt);
    wasm_extern_t *ext[] = {wasm_memory_as_extern(mem)};
    wasm_extern_vec_t wrong = WASM_ARRAY_VEC(ext);
    assert_null(wasm_instance_new(f->store, m, &wrong, &trap));
    expect_trap_message(trap, "incompatible import type");
    wasm_memorytype_delete(mt);
    wasm_memory_delete(mem);
    wasm_module_delete(m);
}

static int32_t call_add(wasm_func_t *add, int32_t a, int32_t b)
{
    wasm_val_t vs[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)}, rs[1] = {WASM_INIT_VAL};
    wasm_val_vec_t args = WASM_ARRAY_VEC(vs), results = WASM_ARRAY_VEC(rs);
    assert_null(wasm_func_call(add, &args, &results));
    assert_int_equal(rs[0].kind, WASM_I32);
    return rs[0].of.i32;
}

static void test_capi_serialize_round_trips_and_rejects_raw_bytes(void **state)
{
    Fixture *f = *state;
    wasm_byte_vec_t ser;
    wasm_module_serialize(f->module, &ser);
    wasm_module_t *m = wasm_module_deserialize(f->store, &ser);
    wasm_byte_vec_delete(&ser);
    assert_non_null(m);
    wasm_extern_vec_t imports = WASM_EMPTY_VEC, exports;
    wasm_instance_t *inst = wasm_instance_new(f->store, m, &imports, NULL);
    wasm_instance_exports(inst, &exports);
    assert_int_equal(call_add(wasm_extern_as_func(exports.data[0]), 40, 2), 42);
    wasm_byte_vec_t raw = {sizeof add_wasm, (wasm_byte_t *)add_wasm};
    assert_null(wasm_module_deserialize(f->store, &raw));
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(inst);
    wasm_module_delete(m);
}

static void test_capi_obtain_needs_the_same_engine(void **state)
{
    Fixture *f = *state;
    wasm_shared_module_t *shared = wasm_module_share(f->module);
    wasm_engine_t *other = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(other);
    assert_null(wasm_module_obtain(store, shared));
    wasm_module_t *m = wasm_module_obtain(f->store, shared);
    assert_true(wasm_module_same(m, f->module));
    wasm_module_delete(m);
    wasm_store_delete(store);
    wasm_engine_delete(other);
    wasm_shared_module_delete(shared);
}

static void test_capi_call_with_wrong_arguments_traps(void **state)
{
    Fixture *f = *state;
    wasm_extern_vec_t exports;
    wasm_instance_t *inst = instantiate(f, &exports);
    wasm_func_t *add = wasm_extern_as_func(exports.data[0]);
    wasm_val_t vs[2] = {WASM_I32_VAL(1), WASM_I64_VAL(2)}, rs[1];
    wasm_val_vec_t one = {1, vs}, two = WASM_ARRAY_VEC(vs), results = WASM_ARRAY_VEC(rs);
    expect_trap_message(wasm_func_call(add, &one, &results), "wrong number of arguments");
    expect_trap_message(wasm_func_call(add, &two, &results), "argument of the wrong type");
    vs[1] = (wasm_val_t)WASM_I32_VAL(2);
    wasm_val_vec_t empty = WASM_EMPTY_VEC;
    expect_trap_message(wasm_func_call(add, &two, &empty), "results vector too short");
    assert_int_equal(call_add(add, 1, 2), 3);
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(inst);
}

static void finalize_env(void *env)
{
    (void)env;
    finalized[10]++;
}

static wasm_trap_t *fail_callback(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    (void)args;
    (void)results;
    wasm_message_t message;
    wasm_name_new_from_string_nt(&message, "from the host");
    wasm_trap_t *trap = wasm_trap_new(env, &message);
    wasm_name_delete(&message);
    wasm_trap_set_host_info(trap, (void *)9);
    return trap;
}

static void test_capi_callback_trap_comes_back_itself(void **state)
{
    Fixture *f = *state;
    wasm_functype_t *type = wasm_functype_new_0_0();
    wasm_func_t *func = wasm_func_new_with_env(f->store, type, fail_callback, f->store, finalize_env);
    wasm_functype_delete(type);
    wasm_val_vec_t none = WASM_EMPTY_VEC;
    wasm_trap_t *trap = wasm_func_call(func, &none, &none);
    assert_non_null(trap);
    assert_ptr_equal(wasm_trap_get_host_info(trap), (void *)9);
    expect_trap_message(trap, "from the host");
    wasm_func_delete(func);
    wasm_store_delete(f->store);
    f->store = wasm_store_new(f->engine);
    assert_int_equal(finalized[10], 1); /* the function's env finalizer, once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_capi_host_info_finalizers_run_once, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_capi_externref_global_round_trips_foreign,
                                        setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_capi_funcref_table_round_trips_function,
                                        setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_capi_link_error_is_trap_with_message, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_capi_serialize_round_trips_and_rejects_raw_bytes,
                                        setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_capi_obtain_needs_the_same_engine, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_capi_call_with_wrong_arguments_traps, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_capi_callback_trap_comes_back_itself, setup_store,
                                        teardown_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
