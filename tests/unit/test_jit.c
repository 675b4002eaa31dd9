/* Unit tests of lib/jit.c and lib/lower*.c: small modules (text converted with wat2wasm at run
 * time) compiled by the JIT and called through its trampolines with a hand-built VMContext. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "compile.h"
#include "decode.h"
#include "jit.h"
#include "thunk.h"
#include "trap.h"
#include "validate.h"

enum { MAX_FUNCS = 16, MEM_BYTES = 65536, TABLE_SIZE = 4 };

typedef struct Env {
    Jit *jit;
    Module *m;
    CompiledCode *code;
    VMStore store;
    VMContext vmctx;
    VMMemory mem;
    VMMemory *mems[1];
    VMTable table;
    VMTable *tables[1];
    void *elems[TABLE_SIZE];
    VMGlobal global_vals[4];
    VMGlobal *globals[4];
    VMFuncRef refs[MAX_FUNCS];
    VMFuncRef *funcs[MAX_FUNCS];
    uint32_t type_ids[MAX_FUNCS];
    char last_trap[64]; /* message of the last trap */
} Env;

/* The thunk cache of each live Jit of these tests (made on first use, in the thread that
 * creates the Jit's first trampoline or before threads start). */
static struct {
    Jit *jit;
    ThunkCache *thunks;
} caches[4];

static ThunkCache *thunks_of(Jit *jit)
{
    for (int i = 0; i < 4; i++)
        if (caches[i].jit == jit) return caches[i].thunks;
    for (int i = 0; i < 4; i++) {
        if (caches[i].jit) continue;
        assert_null(thunk_cache_new(jit, &caches[i].thunks));
        caches[i].jit = jit;
        return caches[i].thunks;
    }
    fail_msg("too many live Jits");
    return NULL;
}

static wk_error_t *trampoline(Jit *jit, uint32_t type_id, const FuncType *ft, Trampoline *out)
{
    return thunk_trampoline(thunks_of(jit), type_id, ft, out);
}

/* Deletes jit and its thunk cache. */
static void jit_free(Jit *jit)
{
    for (int i = 0; i < 4; i++) {
        if (caches[i].jit != jit) continue;
        thunk_cache_delete(caches[i].thunks);
        caches[i].jit = NULL;
    }
    jit_delete(jit);
}

/* Converts wat text to a Module with wat2wasm (a file in /tmp). */
static Module *load_wat(const char *wat)
{
    char src[] = "/tmp/wk_test_jit_XXXXXX";
    int fd = mkstemp(src);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, wat, strlen(wat)), (ssize_t)strlen(wat));
    close(fd);
    char out[sizeof src + 5], cmd[2 * sizeof src + 64];
    snprintf(out, sizeof out, "%s.wasm", src);
    snprintf(cmd, sizeof cmd, "wat2wasm %s -o %s", src, out);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    static uint8_t bytes[1 << 16];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    unlink(src);
    unlink(out);
    Module *m = NULL;
    wk_error_t *e = decode_module(bytes, n, &m);
    assert_null(e);
    assert_null(validate_module(m)); /* lowering reads the facts validation records */
    return m;
}

/* Compiles wat and builds an instance context: memory 0 (malloc'd, 1 page), table 0 of
 * TABLE_SIZE nulls, defined globals zeroed, type ids equal to type indices. */
static Env *env_new(const char *wat, BoundsMode mode)
{
    Env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    e->m = load_wat(wat);
    assert_true(e->m->nfuncs <= MAX_FUNCS);
    assert_null(jit_new(mode, &e->jit));
    wk_error_t *err = compile_module(e->jit, e->m, &e->code);
    if (err) fail_msg("compile: %s", wk_error_message(err));
    e->mem = (VMMemory){calloc(1, MEM_BYTES), MEM_BYTES, 1, 1};
    e->mems[0] = &e->mem;
    e->table = (VMTable){e->elems, TABLE_SIZE, TABLE_SIZE, WK_FUNCREF};
    e->tables[0] = &e->table;
    for (uint32_t i = 0; i < 4; i++) e->globals[i] = &e->global_vals[i];
    for (uint32_t i = 0; i < MAX_FUNCS; i++) e->type_ids[i] = i;
    for (uint32_t i = 0; i < e->m->nfuncs; i++) {
        e->refs[i] = (VMFuncRef){e->code->funcs[i], &e->vmctx, e->m->funcs[i].type};
        e->funcs[i] = &e->refs[i];
    }
    e->vmctx = (VMContext){.magic = WK_VMCTX_MAGIC, .store = &e->store,
                           .mem0_base = e->mem.base, .mem0 = &e->mem, .memories = e->mems,
                           .tables = e->tables, .globals = e->globals, .funcs = e->funcs,
                           .type_ids = e->type_ids};
    return e;
}

static void env_delete(Env *e)
{
    jit_code_free(e->jit, e->code);
    jit_free(e->jit);
    module_free(e->m);
    free(e->mem.base);
    free(e);
}

/* Calls defined function i with vals in/out; returns the trap kind or 0. */
static uint32_t call(Env *e, uint32_t i, WasmVal *vals)
{
    const FuncType *ft = &e->m->types[e->m->funcs[i].type];
    Trampoline tramp;
    assert_null(trampoline(e->jit, e->m->funcs[i].type + 1000, ft, &tramp));
    wk_trap_t *trap = trap_call(&e->store, tramp, e->code->funcs[i], &e->vmctx, vals);
    if (!trap) return 0;
    uint32_t kind = trap->kind;
    snprintf(e->last_trap, sizeof e->last_trap, "%s", trap->message);
    trap_delete(trap);
    return kind;
}

static uint32_t call_i32(Env *e, uint32_t i, uint32_t a, uint32_t b, uint32_t *out)
{
    WasmVal v[2] = {{.i32 = a}, {.i32 = b}};
    uint32_t k = call(e, i, v);
    *out = v[0].i32;
    return k;
}

static void test_jit_add_returns_sum(void **state)
{
    (void)state;
    Env *e = env_new("(module (func (param i32 i32) (result i32)"
                     "  local.get 0 local.get 1 i32.add))", BOUNDS_GUARD);
    uint32_t r;
    assert_int_equal(call_i32(e, 0, 40, 2, &r), 0);
    assert_int_equal(r, 42);
    env_delete(e);
}

static void test_jit_recursive_factorial_returns_product(void **state)
{
    (void)state;
    Env *e = env_new("(module (func $fac (param i64) (result i64)"
                     "  (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))"
                     "    (else (i64.mul (local.get 0)"
                     "      (call $fac (i64.sub (local.get 0) (i64.const 1))))))))",
                     BOUNDS_GUARD);
    WasmVal v[1] = {{.i64 = 20}};
    assert_int_equal(call(e, 0, v), 0);
    assert_true(v[0].i64 == 2432902008176640000ull);
    env_delete(e);
}

static void test_jit_loop_br_table_sums_cases(void **state)
{
    (void)state;
    Env *e = env_new(
        "(module (func (param i32) (result i32) (local i32 i32)"
        "  (loop $l (local.set 2 (i32.add (local.get 2)"
        "      (block $b2 (result i32) (block $b1 (result i32) (block $b0 (result i32)"
        "        (i32.const 100) (br_table $b0 $b1 $b2 (i32.rem_u (local.get 1) (i32.const 3))))"
        "        (drop) (i32.const 1)) (drop) (i32.const 10))))"
        "    (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
        "    (br_if $l (i32.lt_u (local.get 1) (local.get 0))))"
        "  (local.get 2)))",
        BOUNDS_GUARD);
    uint32_t r;
    /* rem 0 and 1 fall out of $b0/$b1 into "drop, 10"; rem 2 leaves $b2 with 100. */
    assert_int_equal(call_i32(e, 0, 6, 0, &r), 0);
    assert_int_equal(r, 240);
    env_delete(e);
}

static void test_jit_multi_value_block_and_return_swap(void **state)
{
    (void)state;
    Env *e = env_new("(module (func (param i32 i64) (result i64 i32)"
                     "  (local.get 0) (local.get 1)"
                     "  (block (param i32 i64) (result i64 i32)"
                     "    (local.set 1) (local.set 0) (local.get 1) (local.get 0))))",
                     BOUNDS_GUARD);
    WasmVal v[2] = {{.i32 = 7}, {.i64 = 1ull << 40}};
    assert_int_equal(call(e, 0, v), 0);
    assert_true(v[0].i64 == 1ull << 40);
    assert_int_equal(v[1].i32, 7);
    env_delete(e);
}

static void test_jit_division_traps_and_rem_min(void **state)
{
    (void)state;
    Env *e = env_new("(module (func (param i32 i32) (result i32) (i32.div_s (local.get 0)"
                     "  (local.get 1))) (func (param i32 i32) (result i32)"
                     "  (i32.rem_s (local.get 0) (local.get 1)))"
                     " (func (param i32 i32) (result i32) (drop (i32.div_u (local.get 0)"
                     "  (local.get 1))) (i32.const 5)))",
                     BOUNDS_GUARD);
    uint32_t r;
    assert_int_equal(call_i32(e, 0, 7, 0, &r), WK_TRAP_INT_DIV_ZERO);
    assert_int_equal(call_i32(e, 0, 0x80000000u, UINT32_MAX, &r), WK_TRAP_INT_OVERFLOW);
    assert_int_equal(call_i32(e, 0, (uint32_t)-7, 2, &r), 0);
    assert_int_equal((int32_t)r, -3);
    assert_int_equal(call_i32(e, 1, 0x80000000u, UINT32_MAX, &r), 0);
    assert_int_equal(r, 0);
    assert_int_equal(call_i32(e, 2, 1, 0, &r), WK_TRAP_INT_DIV_ZERO);
    env_delete(e);
}

static void test_jit_memory_software_bounds_trap(void **state)
{
    (void)state;
    Env *e = env_new("(module (memory 1) (func (param i32 i32) (result i32)"
                     "  (i32.store offset=4 (local.get 0) (local.get 1))"
                     "  (i32.load8_s offset=4 (local.get 0))))",
                     BOUNDS_SOFTWARE);
    uint32_t r;
    assert_int_equal(call_i32(e, 0, 100, 0x1ff, &r), 0);
    assert_int_equal((int32_t)r, -1);
    assert_int_equal(e->mem.base[105], 1);
    assert_int_equal(call_i32(e, 0, MEM_BYTES - 7, 1, &r), WK_TRAP_MEMORY_OOB);
    assert_int_equal(call_i32(e, 0, UINT32_MAX, 1, &r), WK_TRAP_MEMORY_OOB);
    env_delete(e);
}

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void test_jit_float_min_nan_and_signed_zero(void **state)
{
    (void)state;
    Env *e = env_new("(module (func (param f32 f32) (result f32)"
                     "  (f32.min (local.get 0) (local.get 1)))"
                     " (func (param f32) (result f32) (f32.mul (local.get 0) (f32.const 1))))",
                     BOUNDS_GUARD);
    uint32_t r;
    assert_int_equal(call_i32(e, 0, f32_bits(0.0f), f32_bits(-0.0f), &r), 0);
    assert_int_equal(r, 0x80000000u);
    assert_int_equal(call_i32(e, 0, 0x7fa00000u, f32_bits(1.0f), &r), 0);
    assert_int_equal(r & 0x7fc00000u, 0x7fc00000u); /* a quiet NaN */
    assert_int_equal(call_i32(e, 1, 0x7fa00000u, 0, &r), 0);
    assert_int_equal(r, 0x7fe00000u); /* signalling NaN quieted, payload kept */
    env_delete(e);
}

static void test_jit_trunc_traps_and_saturates(void **state)
{
    (void)state;
    Env *e = env_new("(module (func (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))"
                     " (func (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0))))",
                     BOUNDS_GUARD);
    WasmVal v[1];
    double d = -2147483648.9;
    memcpy(&v[0].f64_bits, &d, 8);
    assert_int_equal(call(e, 0, v), 0);
    assert_int_equal((int32_t)v[0].i32, INT32_MIN);
    d = 2147483648.0;
    memcpy(&v[0].f64_bits, &d, 8);
    assert_int_equal(call(e, 0, v), WK_TRAP_INT_OVERFLOW);
    d = NAN;
    memcpy(&v[0].f64_bits, &d, 8);
    assert_int_equal(call(e, 0, v), WK_TRAP_INVALID_CONVERSION);
    d = 1e20;
    memcpy(&v[0].f64_bits, &d, 8);
    assert_int_equal(call(e, 1, v), 0);
    assert_int_equal(v[0].i32, UINT32_MAX);
    env_delete(e);
}

static void test_jit_call_indirect_checks_element(void **state)
{
    (void)state;
    Env *e = env_new("(module (type $ii (func (param i32) (result i32))) (table 4 funcref)"
                     " (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))"
                     " (func $nop) "
                     " (func (param i32 i32) (result i32)"
                     "  (call_indirect (type $ii) (local.get 1) (local.get 0))))",
                     BOUNDS_GUARD);
    e->elems[0] = e->funcs[0];
    e->elems[1] = e->funcs[1];
    uint32_t r;
    assert_int_equal(call_i32(e, 2, 0, 21, &r), 0);
    assert_int_equal(r, 42);
    assert_int_equal(call_i32(e, 2, 1, 21, &r), WK_TRAP_INDIRECT_CALL_TYPE);
    assert_int_equal(call_i32(e, 2, 2, 21, &r), WK_TRAP_UNINITIALIZED_ELEMENT);
    assert_string_equal(e->last_trap, "uninitialized element 2");
    assert_int_equal(call_i32(e, 2, 4, 21, &r), WK_TRAP_UNDEFINED_ELEMENT);
    env_delete(e);
}

static void test_jit_infinite_recursion_exhausts_then_recovers(void **state)
{
    (void)state;
    Env *e = env_new("(module (func $r (param i32) (result i32)"
                     "  (i32.add (call $r (local.get 0)) (i32.const 1)))"
                     " (func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))",
                     BOUNDS_GUARD);
    uint32_t r;
    assert_int_equal(call_i32(e, 0, 1, 0, &r), WK_TRAP_STACK_EXHAUSTED);
    assert_int_equal(call_i32(e, 1, 1, 0, &r), 0);
    assert_int_equal(r, 2);
    env_delete(e);
}

static void test_jit_globals_fold_and_update(void **state)
{
    (void)state;
    Env *e = env_new("(module (global $c i32 (i32.const 40)) (global $g (mut i32) (i32.const 0))"
                     " (func (param i32) (result i32)"
                     "  (global.set $g (i32.add (global.get $g) (local.get 0)))"
                     "  (i32.add (global.get $c) (global.get $g))))",
                     BOUNDS_GUARD);
    e->global_vals[1].value.i32 = 1;
    uint32_t r;
    assert_int_equal(call_i32(e, 0, 1, 0, &r), 0);
    assert_int_equal(r, 42);
    assert_int_equal(e->global_vals[1].value.i32, 2);
    env_delete(e);
}

static void test_jit_unreachable_traps(void **state)
{
    (void)state;
    Env *e = env_new("(module (func (result i32) (block (br 0) (i32.const 1) (drop))"
                     "  unreachable))", BOUNDS_GUARD);
    uint32_t r;
    assert_int_equal(call_i32(e, 0, 0, 0, &r), WK_TRAP_UNREACHABLE);
    env_delete(e);
}

static void test_jit_fast_tier_keeps_semantics(void **state)
{
    (void)state;
    setenv("WK_JIT_OPT", "0", 1);
    Env *e = env_new("(module (func (param f32 f32) (result i32)"
                     "  (i32.trunc_f32_s (f32.min (local.get 0) (local.get 1))))"
                     " (func (param i32 i32) (result i32)"
                     "  (i32.rem_s (local.get 0) (local.get 1))))",
                     BOUNDS_SOFTWARE);
    unsetenv("WK_JIT_OPT");
    uint32_t r;
    assert_int_equal(call_i32(e, 0, f32_bits(-7.5f), f32_bits(3.0f), &r), 0);
    assert_int_equal((int32_t)r, -7);
    assert_int_equal(call_i32(e, 0, 0x7fc00000u, f32_bits(3.0f), &r), WK_TRAP_INVALID_CONVERSION);
    assert_int_equal(call_i32(e, 1, 0x80000000u, UINT32_MAX, &r), 0);
    assert_int_equal(r, 0);
    assert_int_equal(call_i32(e, 1, 1, 0, &r), WK_TRAP_INT_DIV_ZERO);
    env_delete(e);
}

typedef struct Shared {
    Jit *jit;
    Module *m;
    uint32_t first_type_id;
    int failures;
} Shared;

/* Compiles s->m with the shared Jit, fetches trampolines for type ids 0..7 and calls f0. */
static void *compile_and_call(void *arg)
{
    Shared *s = arg;
    for (int round = 0; round < 3; round++) {
        CompiledCode *code = NULL;
        wk_error_t *err = compile_module(s->jit, s->m, &code);
        if (err) {
            wk_error_delete(err);
            s->failures++;
            continue;
        }
        Trampoline tramp = NULL;
        for (uint32_t id = 0; id < 8; id++)
            if (trampoline(s->jit, s->first_type_id + id, &s->m->types[0], &tramp))
                s->failures++;
        VMStore store = {0};
        VMContext vmctx = {.magic = WK_VMCTX_MAGIC, .store = &store};
        WasmVal v[1] = {{.i32 = 41}};
        wk_trap_t *trap = trap_call(&store, tramp, code->funcs[0], &vmctx, v);
        if (trap || v[0].i32 != 42) s->failures++;
        trap_delete(trap);
        jit_code_free(s->jit, code);
    }
    return NULL;
}

static void test_jit_concurrent_compiles_share_one_jit(void **state)
{
    (void)state;
    Module *m = load_wat("(module (func (param i32) (result i32) (call 1 (local.get 0)))"
                         " (func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))");
    Jit *jit = NULL;
    assert_null(jit_new(BOUNDS_GUARD, &jit));
    thunks_of(jit); /* before the threads race for it */
    Shared shared[3] = {{jit, m, 100, 0}, {jit, m, 100, 0}, {jit, m, 104, 0}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, compile_and_call, &shared[i]), 0);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++) assert_int_equal(shared[i].failures, 0);
    jit_free(jit);
    module_free(m);
}

/* The inode of the only .wkobj file in dir (0 when there is none). */
static ino_t cache_file_inode(const char *dir)
{
    char cmd[128], path[512] = "";
    snprintf(cmd, sizeof cmd, "ls %s/*.wkobj 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(path, sizeof path, p)) path[0] = 0;
    pclose(p);
    path[strcspn(path, "\n")] = 0;
    struct stat st;
    return path[0] && stat(path, &st) == 0 ? st.st_ino : 0;
}

static uint32_t compile_and_add(Jit *jit, Module *m, CompiledCode **code)
{
    assert_null(compile_module(jit, m, code));
    Trampoline tramp;
    assert_null(trampoline(jit, 7, &m->types[0], &tramp));
    VMStore store = {0};
    VMContext vmctx = {.magic = WK_VMCTX_MAGIC, .store = &store};
    WasmVal v[2] = {{.i32 = 40}, {.i32 = 2}};
    assert_null(trap_call(&store, tramp, (*code)->funcs[0], &vmctx, v));
    return v[0].i32;
}

static void test_jit_object_cache_hit_and_shared_reuse(void **state)
{
    (void)state;
    char dir[] = "/tmp/wk_test_jit_cache_XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("WK_CACHE_DIR", dir, 1);
    Module *m = load_wat("(module (func (param i32 i32) (result i32) (call 1 (local.get 0)"
                         "  (local.get 1))) (func (param i32 i32) (result i32)"
                         "  (i32.add (local.get 0) (local.get 1))))");
    Jit *jit;
    CompiledCode *a, *b;
    assert_null(jit_new(BOUNDS_GUARD, &jit));
    assert_int_equal(compile_and_add(jit, m, &a), 42);
    ino_t stored = cache_file_inode(dir);
    assert_true(stored != 0);
    jit_code_free(jit, a);
    jit_free(jit);
    /* A new JIT loads the file instead of compiling (it is not rewritten). */
    assert_null(jit_new(BOUNDS_GUARD, &jit));
    assert_int_equal(compile_and_add(jit, m, &a), 42);
    assert_true(cache_file_inode(dir) == stored);
    /* While it is loaded, the same bytes again share the loaded code. */
    assert_int_equal(compile_and_add(jit, m, &b), 42);
    assert_ptr_equal(a->funcs[0], b->funcs[0]);
    jit_code_free(jit, a);
    jit_code_free(jit, b);
    jit_free(jit);
    unsetenv("WK_CACHE_DIR");
    module_free(m);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_jit_damaged_cache_file_recompiles(void **state)
{
    (void)state;
    char dir[] = "/tmp/wk_test_jit_cache_XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("WK_CACHE_DIR", dir, 1);
    Module *m = load_wat("(module (func (param i32 i32) (result i32)"
                         "  (i32.add (local.get 0) (local.get 1))))");
    Jit *jit;
    CompiledCode *a;
    assert_null(jit_new(BOUNDS_GUARD, &jit));
    assert_int_equal(compile_and_add(jit, m, &a), 42);
    jit_code_free(jit, a);
    jit_free(jit);
    /* Overwrite the start of the first object (after magic, key, nonce, count, size). */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "f=$(ls %s/*.wkobj) && printf 'garbage!garbage!' | "
             "dd of=$f bs=1 seek=60 conv=notrunc 2>/dev/null", dir);
    assert_int_equal(system(cmd), 0);
    assert_null(jit_new(BOUNDS_GUARD, &jit));
    assert_int_equal(compile_and_add(jit, m, &a), 42);
    jit_code_free(jit, a);
    jit_free(jit);
    unsetenv("WK_CACHE_DIR");
    module_free(m);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_jit_identical_modules_share_code_until_last_free(void **state)
{
    (void)state;
    Module *m = load_wat("(module (func (param i32 i32) (result i32)"
                         "  (i32.add (local.get 0) (local.get 1))))");
    Module *other = load_wat("(module (func (param i32 i32) (result i32)"
                             "  (i32.sub (local.get 0) (local.get 1))))");
    Jit *jit;
    CompiledCode *a, *b, *c;
    assert_null(jit_new(BOUNDS_GUARD, &jit));
    assert_int_equal(compile_and_add(jit, m, &a), 42);
    assert_int_equal(compile_and_add(jit, m, &b), 42);
    assert_ptr_equal(a->funcs[0], b->funcs[0]);
    assert_int_equal(compile_and_add(jit, other, &c), 38);
    assert_ptr_not_equal(c->funcs[0], a->funcs[0]);
    jit_code_free(jit, a);
    /* b still runs after a is freed. */
    VMStore store = {0};
    VMContext vmctx = {.magic = WK_VMCTX_MAGIC, .store = &store};
    Trampoline tramp;
    assert_null(trampoline(jit, 7, &m->types[0], &tramp));
    WasmVal v[2] = {{.i32 = 1}, {.i32 = 2}};
    assert_null(trap_call(&store, tramp, b->funcs[0], &vmctx, v));
    assert_int_equal(v[0].i32, 3);
    jit_code_free(jit, b);
    jit_code_free(jit, c);
    jit_free(jit);
    module_free(m);
    module_free(other);
}

static void test_jit_module_ir_verifies(void **state)
{
    (void)state;
    Module *m = load_wat("(module (func (param i64) (result i64) (i64.rotl (local.get 0)"
                         "  (i64.const 3))))");
    char *ir = NULL;
    assert_null(compile_module_ir(m, BOUNDS_GUARD, &ir));
    assert_non_null(strstr(ir, "llvm.fshl.i64"));
    free(ir);
    module_free(m);
}

/* True when the IR of the module has the prologue's stack-limit comparison. */
static bool ir_has_stack_check(const char *wat)
{
    Module *m = load_wat(wat);
    char *ir = NULL;
    assert_null(compile_module_ir(m, BOUNDS_GUARD, &ir));
    bool has = strstr(ir, "icmp ult i64") != NULL;
    free(ir);
    module_free(m);
    return has;
}

static void test_jit_stack_check_only_where_calls_are(void **state)
{
    (void)state;
    assert_false(ir_has_stack_check("(module (func (param i32) (result i32)"
                                     "  (i32.mul (local.get 0) (local.get 0))))"));
    assert_true(ir_has_stack_check("(module (func $f (param i32) (result i32)"
                                   "  (call $f (local.get 0))))"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jit_add_returns_sum),
        cmocka_unit_test(test_jit_recursive_factorial_returns_product),
        cmocka_unit_test(test_jit_loop_br_table_sums_cases),
        cmocka_unit_test(test_jit_multi_value_block_and_return_swap),
        cmocka_unit_test(test_jit_division_traps_and_rem_min),
        cmocka_unit_test(test_jit_memory_software_bounds_trap),
        cmocka_unit_test(test_jit_float_min_nan_and_signed_zero),
        cmocka_unit_test(test_jit_trunc_traps_and_saturates),
        cmocka_unit_test(test_jit_call_indirect_checks_element),
        cmocka_unit_test(test_jit_infinite_recursion_exhausts_then_recovers),
        cmocka_unit_test(test_jit_globals_fold_and_update),
        cmocka_unit_test(test_jit_unreachable_traps),
        cmocka_unit_test(test_jit_fast_tier_keeps_semantics),
        cmocka_unit_test(test_jit_concurrent_compiles_share_one_jit),
        cmocka_unit_test(test_jit_object_cache_hit_and_shared_reuse),
        cmocka_unit_test(test_jit_identical_modules_share_code_until_last_free),
        cmocka_unit_test(test_jit_damaged_cache_file_recompiles),
        cmocka_unit_test(test_jit_module_ir_verifies),
        cmocka_unit_test(test_jit_stack_check_only_where_calls_are),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
