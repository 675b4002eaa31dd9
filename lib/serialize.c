/* Serialized modules: a compiled module as bytes (for ahead-of-time compilation in a build
 * step) and back, refusing bytes made by another build of the library, LLVM, CPU or bounds
 * mode. Layout: magic, format version, the build, target and mode strings, the tier, the Wasm
 * bytes, then the symbol nonce and the objects (as in a code-cache file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace.h"
#include "codecache.h"
#include "compile.h"
#include "compiled.h"
#include "serialize.h"
#include "tierup.h"

static const char magic[8] = "WKMODULE";
enum { FORMAT_VERSION = 1 };

/* ---- writing ----------------------------------------------------------------------------- */

static bool put(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n;
}

static bool put_u64(FILE *f, uint64_t v)
{
    return put(f, &v, sizeof v);
}

static bool put_str(FILE *f, const char *s)
{
    return put_u64(f, strlen(s)) && put(f, s, strlen(s));
}

/* What serialized code depends on: this build and the engine's target and bounds mode. */
static void describe(const Jit *jit, char *build, size_t bsize, char *target, size_t tsize)
{
    codecache_build_id(build, bsize);
    jit_describe_target(jit, target, tsize);
}

static bool write_module(FILE *f, const wk_module_t *mod, JitTier tier, const CacheEntry *e)
{
    char build[1024], target[1024];
    describe(mod->engine->jit, build, sizeof build, target, sizeof target);
    uint8_t head[2] = {(uint8_t)tier, (uint8_t)jit_mode(mod->engine->jit)};
    uint32_t version = FORMAT_VERSION;
    bool ok = put(f, magic, 8) && put(f, &version, 4) && put_str(f, build) &&
              put_str(f, target) && put(f, head, 2) && put_u64(f, mod->m->size) &&
              put(f, mod->m->bytes, mod->m->size) && put_u64(f, e->nonce) &&
              put(f, &e->nobjs, 4);
    for (uint32_t i = 0; ok && i < e->nobjs; i++)
        ok = put_u64(f, e->sizes[i]) && put(f, e->objs[i], e->sizes[i]);
    return ok;
}

wk_error_t *serialize_module(const wk_module_t *mod, uint8_t **out, size_t *size)
{
    Jit *jit = mod->engine->jit;
    JitTier tier = mod->engine->strategy == WK_STRATEGY_FAST ? JIT_TIER_FAST : JIT_TIER_O2;
    CacheEntry e = {0};
    wk_error_t *err = compile_module_objects(jit, mod->m, tier, &e);
    if (err) return err;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    bool ok = f && write_module(f, mod, tier, &e);
    if (f && fclose(f) != 0) ok = false;
    codecache_entry_free(&e);
    if (!ok) {
        free(buf);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    *out = (uint8_t *)buf;
    *size = n;
    return NULL;
}

/* ---- reading ----------------------------------------------------------------------------- */

typedef struct In {
    const uint8_t *p, *end;
    bool bad;
} In;

static const uint8_t *take(In *in, uint64_t n)
{
    if (in->bad || n > (uint64_t)(in->end - in->p)) {
        in->bad = true;
        return NULL;
    }
    const uint8_t *r = in->p;
    in->p += n;
    return r;
}

static uint64_t take_u64(In *in)
{
    uint64_t v = 0;
    const uint8_t *p = take(in, 8);
    if (p) memcpy(&v, p, 8);
    return v;
}

/* A string of the header into buf (size bytes, NUL-terminated); false when truncated. */
static bool take_str(In *in, char *buf, size_t size)
{
    uint64_t n = take_u64(in);
    const uint8_t *p = n < size ? take(in, n) : NULL;
    if (!p) return false;
    memcpy(buf, p, n);
    buf[n] = 0;
    return true;
}

static wk_error_t *malformed(const char *what)
{
    return error_new(WK_ERROR_MALFORMED, WK_NO_OFFSET,
                     "not a serialized wasmkiln module (%s)", what);
}

/* The first '|'-separated field of a target description ("llvm 19.1.7"), into out. */
static void first_field(const char *s, char *out, size_t size)
{
    size_t n = strcspn(s, "|");
    snprintf(out, size, "%.*s", (int)n, s);
}

/* Compares what the bytes were made for with this engine; an error saying what differs. */
static wk_error_t *check_origin(const Jit *jit, const char *build, const char *target,
                                uint8_t mode)
{
    char my_build[1024], my_target[1024], a[64], b[64];
    describe(jit, my_build, sizeof my_build, my_target, sizeof my_target);
    first_field(target, a, sizeof a);
    first_field(my_target, b, sizeof b);
    if (strcmp(a, b) != 0)
        return error_new(WK_ERROR_UNSUPPORTED, WK_NO_OFFSET,
                         "serialized module was compiled with %s, this build uses %s", a, b);
    if (strcmp(target, my_target) != 0)
        return error_new(WK_ERROR_UNSUPPORTED, WK_NO_OFFSET,
                         "serialized module was compiled for another CPU (%s), this one is %s",
                         strchr(target, '|') + 1, strchr(my_target, '|') + 1);
    if (strcmp(build, my_build) != 0)
        return error_new(WK_ERROR_UNSUPPORTED, WK_NO_OFFSET,
                         "serialized module was made by another wasmkiln build (%s), this is %s",
                         build, my_build);
    if (mode != (uint8_t)jit_mode(jit))
        return error_new(WK_ERROR_UNSUPPORTED, WK_NO_OFFSET,
                         "serialized module uses %s bounds checks, this engine the other kind",
                         mode == BOUNDS_GUARD ? "guard-page" : "software");
    return NULL;
}

/* The objects after the header into e (borrowing the input); false when truncated. */
static bool take_objects(In *in, CacheEntry *e)
{
    e->nonce = take_u64(in);
    const uint8_t *n = take(in, 4);
    if (!n) return false;
    memcpy(&e->nobjs, n, 4);
    if (e->nobjs > (uint64_t)(in->end - in->p) / 8) return false;
    e->objs = calloc(e->nobjs ? e->nobjs : 1, sizeof *e->objs);
    e->sizes = calloc(e->nobjs ? e->nobjs : 1, sizeof *e->sizes);
    if (!e->objs || !e->sizes) return false;
    for (uint32_t i = 0; i < e->nobjs && !in->bad; i++) {
        e->sizes[i] = take_u64(in);
        e->objs[i] = (uint8_t *)take(in, e->sizes[i]);
    }
    return !in->bad && in->p == in->end;
}

wk_error_t *deserialize_module(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                               wk_module_t **out)
{
    In in = {bytes, bytes + size, false};
    char build[1024], target[1024];
    const uint8_t *m = take(&in, 8), *v = take(&in, 4);
    if (!m || memcmp(m, magic, 8) != 0) return malformed("no WKMODULE header");
    uint32_t version;
    memcpy(&version, v, 4);
    if (version != FORMAT_VERSION) return malformed("unknown format version");
    if (!take_str(&in, build, sizeof build) || !take_str(&in, target, sizeof target))
        return malformed("truncated header");
    const uint8_t *head = take(&in, 2);
    uint64_t wasm_size = take_u64(&in);
    const uint8_t *wasm = take(&in, wasm_size);
    if (!head || !wasm) return malformed("truncated");
    wk_error_t *err = check_origin(engine->jit, build, target, head[1]);
    if (err) return err;
    CacheEntry e = {0};
    if (!take_objects(&in, &e)) {
        free(e.objs);
        free(e.sizes);
        return malformed("truncated objects");
    }
    wk_module_t *mod = NULL;
    err = compiled_new(engine, wasm, wasm_size, &mod);
    CompiledCode *code = NULL;
    if (!err) err = compile_load_objects(engine->jit, mod->m, (JitTier)head[0], &e, &code);
    free(e.objs); /* the object bytes are the input's */
    free(e.sizes);
    if (err) {
        if (mod) compiled_unref(mod);
        return err;
    }
    backtrace_add_code(mod, code);
    atomic_store(&mod->code, code);
    *out = mod;
    return NULL;
}
