/* Unit tests of lib/lower_simd.c and the v128 paths around it that the spec suite does not
 * reach: v128 through host adapters and multi-value trampolines, v128 globals shared with the
 * host, v128 accesses at the end of memory in both bounds modes, edge cases in both tiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_env.h"
#include "wasmkiln.h"

typedef struct Wasm {
    uint8_t bytes[4096];
    size_t size;
} Wasm;

/* Converts wat text to binary with wat2wasm (files in /tmp). */
static void wat_to_wasm(const char *wat, Wasm *out)
{
    char src[] = "/tmp/wk_test_simd_XXXXXX";
    int fd = mkstemp(src);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, wat, strlen(wat)), (ssize_t)strlen(wat));
    close(fd);
    char bin[sizeof src + 5], cmd[2 * sizeof src + 64];
    snprintf(bin, sizeof bin, "%s.wasm", src);
    snprintf(cmd, sizeof cmd, "wat2wasm %s -o %s", src, bin);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(bin, "rb");
    assert_non_null(f);
    out->size = fread(out->bytes, 1, sizeof out->bytes, f);
    fclose(f);
    unlink(src);
    unlink(bin);
}

typedef struct Env {
    wk_engine_t *engine;
    wk_store_t *store;
    wk_module_t *module;
    wk_instance_t *inst;
} Env;

/* Compiles wat into a fresh engine and store; env_instantiate completes the Env. */
static void env_begin(Env *e, const char *wat)
{
    Wasm w;
    wat_to_wasm(wat, &w);
    assert_null(engine_env_new(&e->engine)); /* the tests set WK_BOUNDS and WK_JIT_OPT */
    e->store = wk_store_new(e->engine);
    wk_error_t *err = wk_module_new(e->engine, w.bytes, w.size, &e->module);
    if (err) fail_msg("module: %s", wk_error_describe(err));
}

static void env_instantiate(Env *e, const wk_extern_t *imports, size_t nimports)
{
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(e->store, e->module, imports, nimports, &e->inst, &trap));
    assert_null(trap);
}

static void env_close(Env *e)
{
    wk_module_delete(e->module);
    wk_store_delete(e->store);
    wk_engine_delete(e->engine);
}

static wk_extern_t export_of(const Env *e, const char *name)
{
    wk_extern_t x;
    assert_true(wk_instance_export_get(e->inst, name, strlen(name), &x));
    return x;
}

static wk_val_t v128_of_bytes(uint8_t first)
{
    wk_val_t v = {.kind = WK_V128};
    for (int i = 0; i < 16; i++) v.of.v128[i] = (uint8_t)(first + i);
    return v;
}

/* Host: (v128, i32) -> (v128 with its bytes reversed, 2 * i32). */
static wk_trap_t *reverse_cb(void *env, const wk_caller_t *caller, const wk_val_t *args,
                             wk_val_t *results)
{
    (void)env;
    (void)caller;
    results[0].kind = WK_V128;
    for (int i = 0; i < 16; i++) results[0].of.v128[i] = args[0].of.v128[15 - i];
    results[1] = wk_val_i32(2 * args[1].of.i32);
    return NULL;
}

static void test_simd_host_call_v128_params_and_results_round_trip(void **state)
{
    (void)state;
    static const char wat[] =
        "(module (import \"host\" \"rev\" (func $rev (param v128 i32) (result v128 i32)))\n"
        "  (func (export \"run\") (param v128) (result v128 i32 v128)\n"
        "    (call $rev (local.get 0) (i32.const 21))\n"
        "    (local.get 0)))\n";
    Env e;
    static const wk_valkind_t params[] = {WK_V128, WK_I32}, results[] = {WK_V128, WK_I32};
    wk_functype_t ft = {2, params, 2, results};
    env_begin(&e, wat);
    wk_extern_t imp = {.kind = WK_EXTERN_FUNC};
    imp.of.func = wk_func_new(e.store, &ft, reverse_cb, NULL, NULL);
    env_instantiate(&e, &imp, 1);
    wk_val_t arg = v128_of_bytes(1), out[3];
    assert_null(wk_func_call(export_of(&e, "run").of.func, &arg, 1, out, 3));
    assert_int_equal(out[0].kind, WK_V128);
    for (int i = 0; i < 16; i++) assert_int_equal(out[0].of.v128[i], 16 - i);
    assert_int_equal(out[1].of.i32, 42);
    assert_memory_equal(out[2].of.v128, arg.of.v128, 16);
    env_close(&e);
}

static void test_simd_v128_globals_shared_with_host_hold_all_lanes(void **state)
{
    (void)state;
    static const char wat[] =
        "(module (import \"host\" \"g\" (global $g (mut v128)))\n"
        "  (global (export \"k\") v128 (v128.const i64x2 -1 0x0102030405060708))\n"
        "  (func (export \"bump\")\n"
        "    (global.set $g (i32x4.add (global.get $g) (v128.const i32x4 1 2 3 -1)))))\n";
    Env e;
    env_begin(&e, wat);
    wk_globaltype_t gt = {WK_V128, true};
    wk_val_t init = {.kind = WK_V128};
    uint32_t lanes[4] = {10, 20, 30, 0};
    memcpy(init.of.v128, lanes, 16);
    wk_extern_t imp = {.kind = WK_EXTERN_GLOBAL};
    assert_null(wk_global_new(e.store, &gt, init, &imp.of.global));
    env_instantiate(&e, &imp, 1);
    wk_func_t *bump = export_of(&e, "bump").of.func;
    assert_null(wk_func_call(bump, NULL, 0, NULL, 0));
    assert_null(wk_func_call(bump, NULL, 0, NULL, 0));
    wk_val_t g = wk_global_get(imp.of.global);
    uint32_t want[4] = {12, 24, 36, 0xfffffffeu};
    assert_memory_equal(g.of.v128, want, 16);
    wk_val_t k = wk_global_get(export_of(&e, "k").of.global);
    uint64_t kwant[2] = {UINT64_MAX, 0x0102030405060708ull};
    assert_memory_equal(k.of.v128, kwant, 16);
    env_close(&e);
}

/* Runs export `name` of the memory-end module at address addr: 0 or the trap kind. */
static int access_at(const Env *e, const char *name, int32_t addr)
{
    wk_val_t arg = wk_val_i32(addr), out[1];
    wk_functype_t ft = wk_func_type(export_of(e, name).of.func);
    wk_trap_t *trap = wk_func_call(export_of(e, name).of.func, &arg, 1, out, ft.nresults);
    if (!trap) return 0;
    int kind = wk_trap_kind(trap);
    wk_trap_delete(trap);
    return kind;
}

/* Every v128 access kind at the last in-bounds address and one byte past it. */
static void check_memory_end(bool software)
{
    static const char wat[] =
        "(module (memory 1)\n"
        "  (func (export \"load\") (param i32) (result v128) (v128.load offset=1 (local.get 0)))\n"
        "  (func (export \"store\") (param i32) (v128.store (local.get 0) (v128.const i64x2 1 2)))\n"
        "  (func (export \"ext\") (param i32) (result v128) (v128.load16x4_s (local.get 0)))\n"
        "  (func (export \"splat\") (param i32) (result v128) (v128.load32_splat (local.get 0)))\n"
        "  (func (export \"zero\") (param i32) (result v128) (v128.load64_zero (local.get 0)))\n"
        "  (func (export \"lane\") (param i32) (result v128)\n"
        "    (v128.load16_lane 3 (local.get 0) (v128.const i64x2 0 0)))\n"
        "  (func (export \"slane\") (param i32)\n"
        "    (v128.store64_lane 1 (local.get 0) (v128.const i64x2 0 0))))\n";
    if (software) setenv("WK_BOUNDS", "software", 1);
    Env e;
    env_begin(&e, wat);
    env_instantiate(&e, NULL, 0);
    unsetenv("WK_BOUNDS");
    assert_int_equal(wk_engine_software_bounds(e.engine), software);
    static const struct { const char *name; int32_t last; } cases[] = {
        {"load", 65536 - 17}, {"store", 65536 - 16}, {"ext", 65536 - 8}, {"splat", 65536 - 4},
        {"zero", 65536 - 8},  {"lane", 65536 - 2},   {"slane", 65536 - 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(access_at(&e, cases[i].name, cases[i].last), 0);
        assert_int_equal(access_at(&e, cases[i].name, cases[i].last + 1), WK_TRAP_MEMORY_OOB);
        assert_int_equal(access_at(&e, cases[i].name, -1), WK_TRAP_MEMORY_OOB);
    }
    env_close(&e);
}

static void test_simd_access_at_memory_end_guard_pages_traps_past_it(void **state)
{
    (void)state;
    check_memory_end(false);
}

static void test_simd_access_at_memory_end_software_bounds_traps_past_it(void **state)
{
    (void)state;
    check_memory_end(true);
}

static wk_val_t v128_of(const void *lanes)
{
    wk_val_t v = {.kind = WK_V128};
    memcpy(v.of.v128, lanes, 16);
    return v;
}

/* Calls export `name` (v128, v128) -> v128 and compares the result with `want`. */
static void check_binary(const Env *e, const char *name, const void *a, const void *b,
                         const void *want)
{
    wk_val_t args[2] = {v128_of(a), v128_of(b)}, out;
    assert_null(wk_func_call(export_of(e, name).of.func, args, 2, &out, 1));
    assert_memory_equal(out.of.v128, want, 16);
}

/* Edge cases whose lowering differs most between tiers (operands are parameters, so nothing
 * is folded at compile time). */
static void check_edge_cases(const char *opt)
{
    static const char wat[] =
        "(module\n"
        "  (func (export \"swizzle\") (param v128 v128) (result v128)\n"
        "    (i8x16.swizzle (local.get 0) (local.get 1)))\n"
        "  (func (export \"q15\") (param v128 v128) (result v128)\n"
        "    (i16x8.q15mulr_sat_s (local.get 0) (local.get 1)))\n"
        "  (func (export \"narrow\") (param v128 v128) (result v128)\n"
        "    (i16x8.narrow_i32x4_u (local.get 0) (local.get 1)))\n"
        "  (func (export \"abs\") (param v128 v128) (result v128)\n"
        "    (i8x16.add (i8x16.abs (local.get 0)) (local.get 1)))\n"
        "  (func (export \"min\") (param v128 v128) (result v128)\n"
        "    (f32x4.min (local.get 0) (local.get 1))))\n";
    setenv("WK_JIT_OPT", opt, 1);
    Env e;
    env_begin(&e, wat);
    unsetenv("WK_JIT_OPT");
    env_instantiate(&e, NULL, 0);
    uint8_t bytes[16], idx[16] = {0, 15, 16, 255, 128, 1, 17, 31, 14, 2, 3, 4, 5, 6, 7, 112};
    uint8_t swz[16] = {0x10, 0x1f, 0, 0, 0, 0x11, 0, 0, 0x1e, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17};
    for (int i = 0; i < 16; i++) bytes[i] = (uint8_t)(0x10 + i);
    check_binary(&e, "swizzle", bytes, idx, swz);
    int16_t q_a[8] = {-32768, -32768, 16384, -1, 32767, 3, 0, 1};
    int16_t q_b[8] = {-32768, 32767, 16384, 1, 32767, -3, 5, 1};
    int16_t q_want[8] = {32767, -32767, 8192, 0, 32766, 0, 0, 0};
    check_binary(&e, "q15", q_a, q_b, q_want);
    int32_t n_a[4] = {-1, 70000, 65535, 5}, n_b[4] = {INT32_MIN, INT32_MAX, 0, 32768};
    uint16_t n_want[8] = {0, 65535, 65535, 5, 0, 65535, 0, 32768};
    check_binary(&e, "narrow", n_a, n_b, n_want);
    int8_t s_a[16] = {-128, -127, -1, 0, 1, 127}, zero[16] = {0};
    uint8_t s_want[16] = {0x80, 127, 1, 0, 1, 127};
    check_binary(&e, "abs", s_a, zero, s_want);
    uint32_t f_a[4] = {0x80000000u, 0x00000000u, 0x7fa00000u, 0x3f800000u};
    uint32_t f_b[4] = {0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u};
    wk_val_t args[2] = {v128_of(f_a), v128_of(f_b)}, out;
    assert_null(wk_func_call(export_of(&e, "min").of.func, args, 2, &out, 1));
    uint32_t got[4];
    memcpy(got, out.of.v128, 16);
    assert_int_equal(got[0], 0x80000000u);
    assert_int_equal(got[1], 0x80000000u);
    assert_int_equal(got[2] & 0x7fc00000u, 0x7fc00000u); /* sNaN operand: a quiet NaN */
    assert_int_equal(got[3], 0xbf800000u);
    env_close(&e);
}

static void test_simd_edge_cases_default_tier_match_spec(void **state)
{
    (void)state;
    check_edge_cases("2");
}

static void test_simd_edge_cases_fast_tier_match_spec(void **state)
{
    (void)state;
    check_edge_cases("0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simd_host_call_v128_params_and_results_round_trip),
        cmocka_unit_test(test_simd_v128_globals_shared_with_host_hold_all_lanes),
        cmocka_unit_test(test_simd_access_at_memory_end_guard_pages_traps_past_it),
        cmocka_unit_test(test_simd_access_at_memory_end_software_bounds_traps_past_it),
        cmocka_unit_test(test_simd_edge_cases_default_tier_match_spec),
        cmocka_unit_test(test_simd_edge_cases_fast_tier_match_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
