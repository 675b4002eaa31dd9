/* Hostile-but-valid modules: each must end as a clean error, a trap or success, never a crash.
 * 4 GiB memories and growth past the maximum, far out-of-bounds accesses that must stay inside
 * the guard reservation, huge table growth, out-of-bounds segments, deep recursion through host
 * callbacks, 50,000 locals, 100,000 functions, 20,000-deep nesting (and past the limit), a 100,000-target br_table,
 * thousands of memories and address-space exhaustion. */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wasm_builder.h"
#include "wasmkiln.h"

/* bigmem.wat:
 * (module
 *   (memory (export "mem") 65536)
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "size") (result i32) (memory.size))
 *   (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
 *   (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
 *   (func (export "load_far") (param i32) (result i64) (i64.load offset=0xffffffff (local.get 0))))
 */
static const uint8_t bigmem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x14, 0x04, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x03, 0x06,
    0x05, 0x00, 0x01, 0x02, 0x00, 0x03, 0x05, 0x05, 0x01, 0x00, 0x80, 0x80, 0x04, 0x07, 0x31, 0x06,
    0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00, 0x04, 0x73, 0x69,
    0x7a, 0x65, 0x00, 0x01, 0x06, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x38, 0x00, 0x02, 0x05, 0x6c, 0x6f,
    0x61, 0x64, 0x38, 0x00, 0x03, 0x08, 0x6c, 0x6f, 0x61, 0x64, 0x5f, 0x66, 0x61, 0x72, 0x00, 0x04,
    0x0a, 0x2b, 0x05, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x04, 0x00, 0x3f, 0x00, 0x0b, 0x09,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x3a, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00,
    0x0b, 0x0b, 0x00, 0x20, 0x00, 0x29, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b,
};

/* smallmem.wat:
 * (module
 *   (memory (export "mem") 1 2)
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "store_far") (param i32 i64)
 *     (i64.store offset=0xffffffff (local.get 0) (local.get 1)))
 *   (func (export "store_v128_far") (param i32)
 *     (v128.store offset=0xffffffff (local.get 0) (v128.const i64x2 -1 -1)))
 *   (func (export "store8_far") (param i32)
 *     (i32.store8 offset=0xffffffff (local.get 0) (i32.const 0x55))))
 */
static const uint8_t smallmem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x03, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x02, 0x7f, 0x7e, 0x00, 0x60, 0x01, 0x7f, 0x00, 0x03, 0x05, 0x04, 0x00, 0x01, 0x02, 0x02,
    0x05, 0x04, 0x01, 0x01, 0x01, 0x02, 0x07, 0x38, 0x05, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x04,
    0x67, 0x72, 0x6f, 0x77, 0x00, 0x00, 0x09, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x5f, 0x66, 0x61, 0x72,
    0x00, 0x01, 0x0e, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x5f, 0x76, 0x31, 0x32, 0x38, 0x5f, 0x66, 0x61,
    0x72, 0x00, 0x02, 0x0a, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x38, 0x5f, 0x66, 0x61, 0x72, 0x00, 0x03,
    0x0a, 0x44, 0x04, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x0d, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x37, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b, 0x1e, 0x00, 0x20, 0x00, 0xfd, 0x0c, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0x0b,
    0x04, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b, 0x0e, 0x00, 0x20, 0x00, 0x41, 0xd5, 0x00, 0x3a, 0x00,
    0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b,
};

/* table.wat:
 * (module
 *   (table (export "t") 0 funcref)
 *   (table $small 0 10 funcref)
 *   (func (export "grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))
 *   (func (export "grow_small") (param i32) (result i32)
 *     (table.grow $small (ref.null func) (local.get 0)))
 *   (func (export "size") (result i32) (table.size 0)))
 */
static const uint8_t table_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x01, 0x7f, 0x03, 0x04, 0x03, 0x00, 0x00, 0x01, 0x04, 0x08, 0x02, 0x70, 0x00, 0x00,
    0x70, 0x01, 0x00, 0x0a, 0x07, 0x20, 0x04, 0x01, 0x74, 0x01, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77,
    0x00, 0x00, 0x0a, 0x67, 0x72, 0x6f, 0x77, 0x5f, 0x73, 0x6d, 0x61, 0x6c, 0x6c, 0x00, 0x01, 0x04,
    0x73, 0x69, 0x7a, 0x65, 0x00, 0x02, 0x0a, 0x1b, 0x03, 0x09, 0x00, 0xd0, 0x70, 0x20, 0x00, 0xfc,
    0x0f, 0x00, 0x0b, 0x09, 0x00, 0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x01, 0x0b, 0x05, 0x00, 0xfc,
    0x10, 0x00, 0x0b,
};

/* segs.wat:
 * (module
 *   (memory (export "mem") 1)
 *   (data (i32.const 0) "ok")
 *   (data (i32.const -16) "0123456789abcdef0123"))
 */
static const uint8_t segs_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x07, 0x01,
    0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x0b, 0x21, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x6f, 0x6b,
    0x00, 0x41, 0x70, 0x0b, 0x14, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61,
    0x62, 0x63, 0x64, 0x65, 0x66, 0x30, 0x31, 0x32, 0x33,
};

/* elemseg.wat:
 * (module
 *   (table (export "t") 1 funcref)
 *   (func $f)
 *   (elem (i32.const 0) $f)
 *   (elem (i32.const -1) $f $f))
 */
static const uint8_t elemseg_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
    0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01, 0x74, 0x01, 0x00, 0x09,
    0x0e, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x00, 0x41, 0x7f, 0x0b, 0x02, 0x00, 0x00, 0x0a,
    0x04, 0x01, 0x02, 0x00, 0x0b,
};

/* reenter.wat:
 * (module
 *   (import "h" "down" (func $down (param i32) (result i32)))
 *   (func (export "f") (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0))
 *       (then (i32.const 0))
 *       (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))
 */
static const uint8_t reenter_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x02, 0x0a, 0x01, 0x01, 0x68, 0x04, 0x64, 0x6f, 0x77, 0x6e, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01, 0x0a, 0x17, 0x01, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04,
    0x7f, 0x41, 0x00, 0x05, 0x41, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x00, 0x6a, 0x0b, 0x0b,
};

static wk_engine_t *engine;
static wk_store_t *store;

static int setup(void **state)
{
    (void)state;
    engine = wk_engine_new();
    store = wk_store_new(engine);
    return engine && store ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wk_store_delete(store);
    wk_engine_delete(engine);
    return 0;
}

/* Switches engine and store to a fresh fast-tier pair (on) or back to the O2 pair (off). */
static void fast_engine(bool on)
{
    static wk_engine_t *o2_engine;
    static wk_store_t *o2_store;
    if (on) {
        o2_engine = engine;
        o2_store = store;
        wk_engine_options_t opts;
        wk_engine_options_default(&opts);
        opts.strategy = WK_STRATEGY_FAST;
        assert_null(wk_engine_new_with(&opts, &engine));
        store = wk_store_new(engine);
    } else {
        wk_store_delete(store);
        wk_engine_delete(engine);
        engine = o2_engine;
        store = o2_store;
    }
}

static wk_module_t *compile(const uint8_t *bytes, size_t size)
{
    wk_module_t *mod = NULL;
    wk_error_t *err = wk_module_new(engine, bytes, size, &mod);
    if (err) fail_msg("compile: %s", wk_error_describe(err));
    return mod;
}

/* Instantiates without imports; NULL with *trap set when instantiation traps. */
static wk_instance_t *instantiate_imports(const uint8_t *bytes, size_t size,
                                          const wk_extern_t *imports, size_t n, wk_trap_t **trap)
{
    wk_module_t *mod = compile(bytes, size);
    wk_instance_t *inst = NULL;
    *trap = NULL;
    wk_error_t *err = wk_instance_new(store, mod, imports, n, &inst, trap);
    if (err) fail_msg("instantiate: %s", wk_error_describe(err));
    wk_module_delete(mod);
    return inst;
}

static wk_instance_t *instantiate(const uint8_t *bytes, size_t size)
{
    wk_trap_t *trap;
    wk_instance_t *inst = instantiate_imports(bytes, size, NULL, 0, &trap);
    assert_null(trap);
    assert_non_null(inst);
    return inst;
}

static wk_extern_t export_of(const wk_instance_t *inst, const char *name)
{
    wk_extern_t ext;
    assert_true(wk_instance_export_get(inst, name, strlen(name), &ext));
    return ext;
}

/* Calls export `name` with args; returns the trap (owned) and the first result in *result. */
static wk_trap_t *call(const wk_instance_t *inst, const char *name, const wk_val_t *args,
                       size_t nargs, wk_val_t *result)
{
    wk_func_t *f = export_of(inst, name).of.func;
    wk_val_t results[1];
    wk_trap_t *trap = wk_func_call(f, args, nargs, results, wk_func_type(f).nresults);
    if (result && !trap) *result = results[0];
    return trap;
}

static int32_t call_i32(const wk_instance_t *inst, const char *name, int32_t arg)
{
    wk_val_t a = wk_val_i32(arg), r;
    wk_functype_t type = wk_func_type(export_of(inst, name).of.func);
    wk_trap_t *trap = call(inst, name, &a, type.nparams, &r);
    if (trap) fail_msg("%s trapped: %s", name, wk_trap_message(trap));
    return r.of.i32;
}

static void expect_trap(wk_trap_t *trap, wk_trap_kind_t kind)
{
    assert_non_null(trap);
    assert_int_equal(wk_trap_kind(trap), kind);
    wk_trap_delete(trap);
}

/* ---- memories ---- */

static void test_hostile_memory_4gib_grow_past_max_fails_last_byte_usable(void **state)
{
    (void)state;
    wk_instance_t *inst = instantiate(bigmem_wasm, sizeof bigmem_wasm);
    assert_int_equal(call_i32(inst, "size", 0), 65536);
    assert_int_equal(call_i32(inst, "grow", 1), -1);
    assert_int_equal(call_i32(inst, "grow", -1), -1);
    assert_int_equal(call_i32(inst, "grow", 0), 65536);
    wk_val_t args[2] = {wk_val_i32(-1), wk_val_i32(0x5a)};
    assert_null(call(inst, "store8", args, 2, NULL));
    assert_int_equal(call_i32(inst, "load8", -1), 0x5a);
    wk_val_t far = wk_val_i32(-1);
    expect_trap(call(inst, "load_far", &far, 1, NULL), WK_TRAP_MEMORY_OOB);
    far = wk_val_i32(0);
    expect_trap(call(inst, "load_far", &far, 1, NULL), WK_TRAP_MEMORY_OOB);
    wk_memory_t *mem = export_of(inst, "mem").of.memory;
    assert_int_equal(wk_memory_data_size(mem), (size_t)1 << 32);
    uint32_t prev = 0;
    assert_false(wk_memory_grow(mem, UINT32_MAX, &prev));
    assert_int_equal(wk_memory_size(mem), 65536);
}

static void test_hostile_memory_grow_by_huge_deltas_fails_unchanged(void **state)
{
    (void)state;
    wk_instance_t *inst = instantiate(smallmem_wasm, sizeof smallmem_wasm);
    assert_int_equal(call_i32(inst, "grow", -1), -1);
    assert_int_equal(call_i32(inst, "grow", 0x10000), -1);
    assert_int_equal(call_i32(inst, "grow", 2), -1);
    assert_int_equal(call_i32(inst, "grow", 1), 1);
    assert_int_equal(call_i32(inst, "grow", 1), -1);
    assert_int_equal(wk_memory_size(export_of(inst, "mem").of.memory), 2);
}

/* The furthest accesses Wasm can name (address 2^32-1 plus offset 2^32-1, 1 to 16 bytes) trap
 * and write nothing: not in the memory, not in a page mapped just past the reservation. */
static void test_hostile_memory_furthest_stores_trap_touch_nothing(void **state)
{
    (void)state;
    wk_instance_t *inst = instantiate(smallmem_wasm, sizeof smallmem_wasm);
    wk_memory_t *mem = export_of(inst, "mem").of.memory;
    uint8_t *base = wk_memory_data(mem);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *beyond = NULL;
    if (!wk_engine_software_bounds(engine)) {
        /* The reservation is 8 GiB plus a 64 KiB guard; map a sentinel page right after. */
        void *want = base + ((size_t)8 << 30) + (64 << 10);
        void *p = mmap(want, page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p != MAP_FAILED) beyond = p;
        if (beyond) memset(beyond, 0xcc, page);
    }
    const uint32_t addrs[] = {0, 1, 0x10000, 0x7fffffff, 0xfffffff0, 0xffffffff};
    for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) {
        wk_val_t args[2] = {wk_val_i32((int32_t)addrs[i]), wk_val_i64(-1)};
        expect_trap(call(inst, "store_far", args, 2, NULL), WK_TRAP_MEMORY_OOB);
        expect_trap(call(inst, "store_v128_far", args, 1, NULL), WK_TRAP_MEMORY_OOB);
        expect_trap(call(inst, "store8_far", args, 1, NULL), WK_TRAP_MEMORY_OOB);
    }
    for (size_t i = 0; i < 65536; i++)
        if (base[i] != 0) fail_msg("memory byte %zu written", i);
    if (beyond) {
        for (size_t i = 0; i < page; i++)
            if (beyond[i] != 0xcc) fail_msg("byte %zu past the reservation written", i);
        munmap(beyond, page);
    }
}

/* ---- tables and segments ---- */

static void test_hostile_table_grow_huge_deltas_clean(void **state)
{
    (void)state;
    wk_instance_t *inst = instantiate(table_wasm, sizeof table_wasm);
    assert_int_equal(call_i32(inst, "grow", -1), -1);
    assert_int_equal(call_i32(inst, "size", 0), 0);
    assert_int_equal(call_i32(inst, "grow", 10000000), 0);
    assert_int_equal(call_i32(inst, "size", 0), 10000000);
    assert_int_equal(call_i32(inst, "grow", -10000000), -1);
    assert_int_equal(call_i32(inst, "size", 0), 10000000);
    assert_int_equal(call_i32(inst, "grow_small", 11), -1);
    assert_int_equal(call_i32(inst, "grow_small", 10), 0);
    wk_table_t *t = export_of(inst, "t").of.table;
    wk_val_t null = {.kind = WK_FUNCREF};
    uint32_t prev;
    assert_false(wk_table_grow(t, UINT32_MAX, null, &prev));
    wk_val_t v;
    assert_true(wk_table_get(t, 9999999, &v));
    assert_null(v.of.funcref);
    assert_false(wk_table_get(t, 10000000, &v));
}

static void test_hostile_data_segment_past_4gib_traps(void **state)
{
    (void)state;
    wk_trap_t *trap;
    assert_null(instantiate_imports(segs_wasm, sizeof segs_wasm, NULL, 0, &trap));
    expect_trap(trap, WK_TRAP_MEMORY_OOB);
}

static void test_hostile_elem_segment_past_end_traps(void **state)
{
    (void)state;
    wk_trap_t *trap;
    assert_null(instantiate_imports(elemseg_wasm, sizeof elemseg_wasm, NULL, 0, &trap));
    expect_trap(trap, WK_TRAP_TABLE_OOB);
}

/* A 16 MiB data segment into a 1-page memory. */
static void test_hostile_huge_data_segment_traps(void **state)
{
    (void)state;
    Buf mod = {0}, sec = {0};
    buf_header(&mod);
    buf_bytes(&sec, "\x01\x00\x01", 3); /* one memory, min 1 */
    buf_section(&mod, 5, &sec);
    size_t size = 16u << 20;
    buf_bytes(&sec, "\x01\x00\x41\x00\x0b", 5); /* one active segment at i32.const 0 */
    buf_u32(&sec, (uint32_t)size);
    uint8_t *zeros = calloc(1, size);
    buf_bytes(&sec, zeros, size);
    free(zeros);
    buf_section(&mod, 11, &sec);
    wk_trap_t *trap;
    assert_null(instantiate_imports(mod.p, mod.n, NULL, 0, &trap));
    expect_trap(trap, WK_TRAP_MEMORY_OOB);
    buf_free(&mod);
    buf_free(&sec);
}

/* ---- recursion through host callbacks ---- */

static wk_trap_t *down(void *env, const wk_caller_t *caller, const wk_val_t *args,
                       wk_val_t *results)
{
    (void)env;
    wk_extern_t f;
    assert_true(wk_caller_export(caller, "f", 1, &f));
    return wk_func_call(f.of.func, args, 1, results, 1);
}

static void test_hostile_host_reentry_deep_recursion_traps_then_runs(void **state)
{
    (void)state;
    wk_valkind_t i32 = WK_I32;
    wk_functype_t type = {1, &i32, 1, &i32};
    wk_extern_t imp = {.kind = WK_EXTERN_FUNC};
    imp.of.func = wk_func_new(store, &type, down, NULL, NULL);
    wk_trap_t *trap;
    wk_instance_t *inst = instantiate_imports(reenter_wasm, sizeof reenter_wasm, &imp, 1, &trap);
    assert_null(trap);
    assert_int_equal(call_i32(inst, "f", 100), 100);
    wk_val_t deep = wk_val_i32(100000000);
    expect_trap(call(inst, "f", &deep, 1, NULL), WK_TRAP_STACK_EXHAUSTED);
    assert_int_equal(call_i32(inst, "f", 100), 100);
    expect_trap(call(inst, "f", &deep, 1, NULL), WK_TRAP_STACK_EXHAUSTED);
    assert_int_equal(call_i32(inst, "f", 3), 3);
}

/* ---- big functions and modules ---- */

/* Type section of one `(func (param params) (result result))` type. */
static void type_section(Buf *mod, const char *params, uint8_t result)
{
    Buf sec = {0};
    buf_bytes(&sec, "\x01\x60", 2);
    buf_u32(&sec, (uint32_t)strlen(params));
    buf_bytes(&sec, params, strlen(params));
    buf_bytes(&sec, "\x01", 1);
    buf_byte(&sec, result);
    buf_section(mod, 1, &sec);
    buf_free(&sec);
}

/* A module of nfuncs functions of type 0, the last exported as "f", and a 1-page memory when
 * with_memory; body(i, out) writes the locals and instructions of function i (not its size). */
/* Writes into *mod (empty) a module of nfuncs functions (params) -> result made by body,
 * exporting the last as "f". */
static void build_funcs_module(Buf *mod_out, const char *params, uint8_t result,
                               uint32_t nfuncs, void (*body)(uint32_t i, Buf *out),
                               bool with_memory)
{
    Buf mod = {0}, sec = {0}, code = {0};
    buf_header(&mod);
    type_section(&mod, params, result);
    buf_u32(&sec, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) buf_byte(&sec, 0);
    buf_section(&mod, 3, &sec);
    if (with_memory) {
        buf_bytes(&sec, "\x01\x00\x01", 3);
        buf_section(&mod, 5, &sec);
    }
    buf_u32(&sec, 1);
    buf_name(&sec, "f");
    buf_byte(&sec, 0);
    buf_u32(&sec, nfuncs - 1);
    buf_section(&mod, 7, &sec);
    buf_u32(&sec, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) {
        body(i, &code);
        buf_u32(&sec, (uint32_t)code.n);
        buf_bytes(&sec, code.p, code.n);
        code.n = 0;
    }
    buf_section(&mod, 10, &sec);
    buf_free(&sec);
    buf_free(&code);
    *mod_out = mod;
}

static wk_instance_t *funcs_module_with(const char *params, uint8_t result, uint32_t nfuncs,
                                        void (*body)(uint32_t i, Buf *out), bool with_memory)
{
    Buf mod = {0};
    build_funcs_module(&mod, params, result, nfuncs, body, with_memory);
    wk_instance_t *inst = instantiate(mod.p, mod.n);
    buf_free(&mod);
    return inst;
}

static wk_instance_t *funcs_module(const char *params, uint8_t result, uint32_t nfuncs,
                                   void (*body)(uint32_t i, Buf *out))
{
    return funcs_module_with(params, result, nfuncs, body, false);
}

/* 50,000 i64 locals; returns local 49,999 after setting it to param + 1. */
static void many_locals_body(uint32_t i, Buf *out)
{
    (void)i;
    buf_bytes(out, "\x01", 1);
    buf_u32(out, 50000);
    buf_byte(out, 0x7e);
    buf_bytes(out, "\x20\x00\x42\x01\x7c", 5); /* local.get 0, i64.const 1, i64.add */
    buf_byte(out, 0x21);
    buf_u32(out, 49999);                       /* local.set 49999 */
    buf_byte(out, 0x20);
    buf_u32(out, 49998);
    buf_byte(out, 0x1a);                       /* local.get 49998, drop */
    buf_byte(out, 0x20);
    buf_u32(out, 49999);
    buf_byte(out, 0x0b);
}

static void test_hostile_func_with_50000_locals_runs(void **state)
{
    (void)state;
    wk_instance_t *inst = funcs_module("\x7e", 0x7e, 1, many_locals_body);
    wk_val_t a = wk_val_i64(41), r;
    assert_null(call(inst, "f", &a, 1, &r));
    assert_int_equal(r.of.i64, 42);
}

enum { SPILLS = 20000 };

/* SPILLS v128 values loaded from memory, each then overwritten by a store (so no load can move
 * past it), all live until summed at the end: a frame of SPILLS * 16 bytes (over 300 KiB). */
static void big_frame_body(uint32_t i, Buf *out)
{
    (void)i;
    buf_byte(out, 0);
    for (uint32_t k = 0; k < SPILLS; k++) {
        buf_bytes(out, "\x20\x00\xfd\x00\x04", 5); /* local.get 0, v128.load align=16 */
        buf_u32(out, k * 16 % 32768);
        /* local.get 0, i32.const k, i32.store over what was just loaded */
        buf_bytes(out, "\x20\x00\x41", 3);
        buf_s64(out, k);
        buf_bytes(out, "\x36\x02", 2);
        buf_u32(out, k * 16 % 32768);
    }
    for (uint32_t k = 1; k < SPILLS; k++) buf_bytes(out, "\xfd\xe4\x01", 3); /* f32x4.add */
    buf_bytes(out, "\xfd\x1b\x00\x0b", 4); /* i32x4.extract_lane 0 */
}

typedef struct FrameRun {
    wk_instance_t *inst;
    wk_trap_kind_t first, second;
} FrameRun;

static void *big_frame_thread(void *arg)
{
    FrameRun *r = arg;
    wk_val_t a = wk_val_i32(0), res;
    wk_trap_t *trap = call(r->inst, "f", &a, 1, &res);
    r->first = trap ? wk_trap_kind(trap) : 0;
    wk_trap_delete(trap);
    trap = call(r->inst, "f", &a, 1, &res);
    r->second = trap ? wk_trap_kind(trap) : 0;
    wk_trap_delete(trap);
    return NULL;
}

/* A frame of over 300 KiB on a 256 KiB thread stack: the prologue probes the frame's pages in
 * order, so the thread's guard page faults (a stack-exhausted trap) before anything below it is
 * touched; the thread goes on. */
static void test_hostile_frame_larger_than_thread_stack_traps(void **state)
{
    (void)state;
    fast_engine(true); /* O2 takes minutes to allocate registers for 20,000 live values */
    FrameRun r = {.inst = funcs_module_with("\x7f", 0x7f, 1, big_frame_body, true)};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_t th;
    assert_int_equal(pthread_create(&th, &attr, big_frame_thread, &r), 0);
    pthread_join(th, NULL);
    pthread_attr_destroy(&attr);
    assert_int_equal(r.first, WK_TRAP_STACK_EXHAUSTED);
    assert_int_equal(r.second, WK_TRAP_STACK_EXHAUSTED);
    wk_val_t a = wk_val_i32(0), res;
    assert_null(call(r.inst, "f", &a, 1, &res)); /* the main thread's stack holds the frame */
    fast_engine(false);
}

/* Function i returns i. */
static void const_body(uint32_t i, Buf *out)
{
    buf_byte(out, 0);
    buf_byte(out, 0x41);
    buf_s64(out, i);
    buf_byte(out, 0x0b);
}

/* On a fast-tier engine: O2 would take most of a minute over 100,000 functions. */
static void test_hostile_module_with_100000_functions_runs(void **state)
{
    (void)state;
    fast_engine(true);
    wk_instance_t *inst = funcs_module("", 0x7f, 100000, const_body);
    assert_int_equal(call_i32(inst, "f", 0), 99999);
    fast_engine(false);
}

/* Issue 13 item 5: 20,000 nested blocks (V8 and wabt accept them) were refused. */
enum { DEPTH = 20000 };

/* DEPTH nested blocks; the innermost branches out of all of them with the param. */
static void deep_blocks_body(uint32_t i, Buf *out)
{
    (void)i;
    buf_byte(out, 0);
    for (int d = 0; d < DEPTH; d++) buf_bytes(out, "\x02\x7f", 2); /* block (result i32) */
    buf_bytes(out, "\x20\x00\x0c", 3);                              /* local.get 0, br */
    buf_u32(out, DEPTH - 1);
    for (int d = 0; d < DEPTH; d++) buf_byte(out, 0x0b);
    buf_byte(out, 0x0b);
}

static void test_hostile_20000_deep_block_nesting_runs(void **state)
{
    (void)state;
    wk_instance_t *inst = funcs_module("\x7f", 0x7f, 1, deep_blocks_body);
    assert_int_equal(call_i32(inst, "f", 7), 7);
}

/* DEPTH nested ifs (each taken when the param is non-zero), 1 + the param at the bottom. */
static void deep_ifs_body(uint32_t i, Buf *out)
{
    (void)i;
    buf_byte(out, 0);
    for (int d = 0; d < DEPTH; d++) buf_bytes(out, "\x20\x00\x04\x7f", 4); /* if (result i32) */
    buf_bytes(out, "\x20\x00\x41\x01\x6a", 5);
    for (int d = 0; d < DEPTH; d++) buf_bytes(out, "\x05\x41\x00\x0b", 4); /* else 0 end */
    buf_byte(out, 0x0b);
}

static void test_hostile_20000_deep_if_nesting_runs(void **state)
{
    (void)state;
    wk_instance_t *inst = funcs_module("\x7f", 0x7f, 1, deep_ifs_body);
    assert_int_equal(call_i32(inst, "f", 5), 6);
    assert_int_equal(call_i32(inst, "f", 0), 0);
}

/* 100,001 nested blocks: past the implementation limit. */
static void too_deep_body(uint32_t i, Buf *out)
{
    (void)i;
    buf_byte(out, 0);
    for (int d = 0; d < 100001; d++) buf_bytes(out, "\x02\x40", 2);
    for (int d = 0; d < 100001; d++) buf_byte(out, 0x0b);
    buf_bytes(out, "\x41\x00\x0b", 3);
}

static void test_hostile_nesting_past_limit_invalid_with_offset(void **state)
{
    (void)state;
    Buf mod = {0};
    build_funcs_module(&mod, "", 0x7f, 1, too_deep_body, false);
    wk_error_t *err = wk_module_validate(mod.p, mod.n);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_INVALID);
    assert_string_equal(wk_error_message(err), "nesting too deep (implementation limit 100000)");
    assert_true(wk_error_offset(err) != SIZE_MAX && wk_error_offset(err) < mod.n);
    wk_error_delete(err);
    buf_free(&mod);
}

enum { OPERANDS = 100000 };

/* OPERANDS values on the operand stack at once (param, then 1s), summed by OPERANDS - 1 adds:
 * a 100,000-deep expression for the code generator. */
static void deep_stack_body(uint32_t i, Buf *out)
{
    (void)i;
    buf_bytes(out, "\x00\x20\x00", 3);
    for (int k = 1; k < OPERANDS; k++) buf_bytes(out, "\x41\x01", 2);
    for (int k = 1; k < OPERANDS; k++) buf_byte(out, 0x6a);
    buf_byte(out, 0x0b);
}

static void test_hostile_100000_operands_on_stack_runs(void **state)
{
    (void)state;
    wk_instance_t *inst = funcs_module("\x7f", 0x7f, 1, deep_stack_body);
    assert_int_equal(call_i32(inst, "f", 1), OPERANDS);
}

enum { TARGETS = 100000 };

/* Three blocks; br_table with TARGETS entries (entry i -> label i % 3, default 2); each block
 * exit returns 100 + its label. */
static void br_table_body(uint32_t i, Buf *out)
{
    (void)i;
    buf_byte(out, 0);
    buf_bytes(out, "\x02\x40\x02\x40\x02\x40\x20\x00\x0e", 9);
    buf_u32(out, TARGETS);
    for (uint32_t t = 0; t < TARGETS; t++) buf_byte(out, (uint8_t)(t % 3));
    buf_byte(out, 2);
    buf_bytes(out, "\x0b\x41\xe4\x00\x0f", 5); /* end, i32.const 100, return */
    buf_bytes(out, "\x0b\x41\xe5\x00\x0f", 5);
    buf_bytes(out, "\x0b\x41\xe6\x00\x0b", 5);
}

static void test_hostile_br_table_100000_targets_runs(void **state)
{
    (void)state;
    wk_instance_t *inst = funcs_module("\x7f", 0x7f, 1, br_table_body);
    assert_int_equal(call_i32(inst, "f", 0), 100);
    assert_int_equal(call_i32(inst, "f", 4), 101);
    assert_int_equal(call_i32(inst, "f", 99998), 102);
    assert_int_equal(call_i32(inst, "f", 99999), 100);
    assert_int_equal(call_i32(inst, "f", 100000), 102);
    assert_int_equal(call_i32(inst, "f", -1), 102);
}

/* ---- many memories ---- */

static void test_hostile_2000_instances_with_memories(void **state)
{
    (void)state;
    wk_store_t *s = wk_store_new(engine);
    wk_module_t *mod = compile(smallmem_wasm, sizeof smallmem_wasm);
    for (int i = 0; i < 2000; i++) {
        wk_instance_t *inst = NULL;
        wk_trap_t *trap = NULL;
        wk_error_t *err = wk_instance_new(s, mod, NULL, 0, &inst, &trap);
        if (err) fail_msg("instance %d: %s", i, wk_error_describe(err));
        assert_non_null(inst);
    }
    wk_module_delete(mod);
    wk_store_delete(s);
}

/* Creates memories until the address space runs out (at most 40,000: 320 TiB of reservations
 * in guard mode): the failure is a clean resource error, and after freeing them all a memory
 * can be made again. Run in a child process so that exhaustion cannot disturb the others. */
static int exhaust_address_space(void)
{
    wk_store_t *s = wk_store_new(engine);
    wk_limits_t limits = {1, 1, true};
    wk_error_t *err = NULL;
    int n = 0;
    for (; n < 40000 && !err; n++) {
        wk_memory_t *mem;
        err = wk_memory_new(s, &limits, &mem);
        if (!err) wk_memory_data(mem)[0] = 1;
    }
    if (!err && !wk_engine_software_bounds(engine)) return 10;
    if (err && wk_error_kind(err) != WK_ERROR_RESOURCE) return 11;
    wk_error_delete(err);
    wk_store_delete(s);
    s = wk_store_new(engine);
    wk_memory_t *mem;
    err = wk_memory_new(s, &limits, &mem);
    if (err) return 12;
    wk_store_delete(s);
    return 0;
}

static void test_hostile_address_space_exhaustion_clean_error(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(exhaust_address_space());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_memory_4gib_grow_past_max_fails_last_byte_usable),
        cmocka_unit_test(test_hostile_memory_grow_by_huge_deltas_fails_unchanged),
        cmocka_unit_test(test_hostile_memory_furthest_stores_trap_touch_nothing),
        cmocka_unit_test(test_hostile_table_grow_huge_deltas_clean),
        cmocka_unit_test(test_hostile_data_segment_past_4gib_traps),
        cmocka_unit_test(test_hostile_elem_segment_past_end_traps),
        cmocka_unit_test(test_hostile_huge_data_segment_traps),
        cmocka_unit_test(test_hostile_host_reentry_deep_recursion_traps_then_runs),
        cmocka_unit_test(test_hostile_func_with_50000_locals_runs),
        cmocka_unit_test(test_hostile_frame_larger_than_thread_stack_traps),
        cmocka_unit_test(test_hostile_module_with_100000_functions_runs),
        cmocka_unit_test(test_hostile_20000_deep_block_nesting_runs),
        cmocka_unit_test(test_hostile_20000_deep_if_nesting_runs),
        cmocka_unit_test(test_hostile_nesting_past_limit_invalid_with_offset),
        cmocka_unit_test(test_hostile_br_table_100000_targets_runs),
        cmocka_unit_test(test_hostile_100000_operands_on_stack_runs),
        cmocka_unit_test(test_hostile_2000_instances_with_memories),
        cmocka_unit_test(test_hostile_address_space_exhaustion_clean_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
