/* Implements include/wasmkiln.h. Runtime parts are placeholders until the runtime lands:
 * they report WK_ERROR_UNSUPPORTED ("no execution yet"). */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "validate.h"

struct wk_engine {
    int unused;
};

struct wk_module {
    Module *m;
};

struct wk_store {
    wk_engine_t *engine;
};

wk_val_t wk_val_i32(int32_t v)
{
    wk_val_t r = {.kind = WK_I32};
    r.of.i32 = v;
    return r;
}

wk_val_t wk_val_i64(int64_t v)
{
    wk_val_t r = {.kind = WK_I64};
    r.of.i64 = v;
    return r;
}

wk_val_t wk_val_f32(float v)
{
    wk_val_t r = {.kind = WK_F32};
    memcpy(&r.of.f32_bits, &v, 4);
    return r;
}

wk_val_t wk_val_f64(double v)
{
    wk_val_t r = {.kind = WK_F64};
    memcpy(&r.of.f64_bits, &v, 8);
    return r;
}

float wk_val_as_f32(const wk_val_t *v)
{
    float f;
    memcpy(&f, &v->of.f32_bits, 4);
    return f;
}

double wk_val_as_f64(const wk_val_t *v)
{
    double d;
    memcpy(&d, &v->of.f64_bits, 8);
    return d;
}

wk_engine_t *wk_engine_new(void)
{
    return calloc(1, sizeof(wk_engine_t));
}

void wk_engine_delete(wk_engine_t *engine)
{
    free(engine);
}

wk_error_t *wk_module_validate(const uint8_t *bytes, size_t size)
{
    Module *m;
    wk_error_t *err = decode_module(bytes, size, &m);
    if (err) return err;
    err = validate_module(m);
    module_free(m);
    return err;
}

wk_error_t *wk_module_new(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                          wk_module_t **out)
{
    (void)engine;
    Module *m;
    wk_error_t *err = decode_module(bytes, size, &m);
    if (err) return err;
    if ((err = validate_module(m))) {
        module_free(m);
        return err;
    }
    wk_module_t *mod = calloc(1, sizeof *mod);
    if (!mod) {
        module_free(m);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    mod->m = m;
    *out = mod;
    return NULL;
}

void wk_module_delete(wk_module_t *module)
{
    if (!module) return;
    module_free(module->m);
    free(module);
}

wk_store_t *wk_store_new(wk_engine_t *engine)
{
    wk_store_t *s = calloc(1, sizeof *s);
    if (s) s->engine = engine;
    return s;
}

void wk_store_delete(wk_store_t *store)
{
    free(store);
}

wk_error_t *wk_instance_new(wk_store_t *store, const wk_module_t *module,
                            const wk_extern_t *imports, size_t nimports, wk_instance_t **out,
                            wk_trap_t **trap)
{
    (void)store; (void)module; (void)imports; (void)nimports; (void)out;
    *trap = NULL;
    return error_new(WK_ERROR_UNSUPPORTED, WK_NO_OFFSET, "no execution yet");
}
