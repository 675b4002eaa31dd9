/* wasm.h (see lib/capi.h): vectors, value types, extern types, import and export types, and
 * their conversions from wasmkiln's types. Public wasm_* symbols are defined here. */
#include <stdlib.h>
#include <string.h>

#include "capi.h"

/* ---- Vectors ----------------------------------------------------------------------------- */

/* Allocation failure leaves an empty vector (wasm.h has no way to report it). */
static void *vec_alloc(size_t n, size_t elem, size_t *size)
{
    void *data = n ? calloc(n, elem) : NULL;
    *size = data ? n : 0;
    return data;
}

/* The five vector functions of a vector of owned pointers. */
#define CAPI_VEC_OF_POINTERS(name)                                                             \
    void wasm_##name##_vec_new_empty(wasm_##name##_vec_t *out)                                 \
    {                                                                                          \
        out->size = 0;                                                                         \
        out->data = NULL;                                                                      \
    }                                                                                          \
    void wasm_##name##_vec_new_uninitialized(wasm_##name##_vec_t *out, size_t n)               \
    {                                                                                          \
        out->data = vec_alloc(n, sizeof *out->data, &out->size);                               \
    }                                                                                          \
    void wasm_##name##_vec_new(wasm_##name##_vec_t *out, size_t n,                             \
                               wasm_##name##_t *const src[])                                   \
    {                                                                                          \
        wasm_##name##_vec_new_uninitialized(out, n);                                           \
        if (out->size) memcpy(out->data, src, n * sizeof *out->data);                          \
    }                                                                                          \
    void wasm_##name##_vec_copy(wasm_##name##_vec_t *out, const wasm_##name##_vec_t *v)        \
    {                                                                                          \
        wasm_##name##_vec_new_uninitialized(out, v->size);                                     \
        for (size_t i = 0; i < out->size; i++)                                                 \
            out->data[i] = v->data[i] ? wasm_##name##_copy(v->data[i]) : NULL;                 \
    }                                                                                          \
    void wasm_##name##_vec_delete(wasm_##name##_vec_t *v)                                      \
    {                                                                                          \
        for (size_t i = 0; i < v->size; i++) wasm_##name##_delete(v->data[i]);                 \
        free(v->data);                                                                         \
        v->size = 0;                                                                           \
        v->data = NULL;                                                                        \
    }

CAPI_VEC_OF_POINTERS(valtype)
CAPI_VEC_OF_POINTERS(functype)
CAPI_VEC_OF_POINTERS(globaltype)
CAPI_VEC_OF_POINTERS(tabletype)
CAPI_VEC_OF_POINTERS(memorytype)
CAPI_VEC_OF_POINTERS(externtype)
CAPI_VEC_OF_POINTERS(importtype)
CAPI_VEC_OF_POINTERS(exporttype)
CAPI_VEC_OF_POINTERS(frame)
CAPI_VEC_OF_POINTERS(extern)

void wasm_byte_vec_new_empty(wasm_byte_vec_t *out)
{
    out->size = 0;
    out->data = NULL;
}

void wasm_byte_vec_new_uninitialized(wasm_byte_vec_t *out, size_t n)
{
    out->data = vec_alloc(n, 1, &out->size);
}

void wasm_byte_vec_new(wasm_byte_vec_t *out, size_t n, const wasm_byte_t src[])
{
    wasm_byte_vec_new_uninitialized(out, n);
    if (out->size) memcpy(out->data, src, n);
}

void wasm_byte_vec_copy(wasm_byte_vec_t *out, const wasm_byte_vec_t *v)
{
    wasm_byte_vec_new(out, v->size, v->data);
}

void wasm_byte_vec_delete(wasm_byte_vec_t *v)
{
    free(v->data);
    v->size = 0;
    v->data = NULL;
}

void wasm_val_vec_new_empty(wasm_val_vec_t *out)
{
    out->size = 0;
    out->data = NULL;
}

void wasm_val_vec_new_uninitialized(wasm_val_vec_t *out, size_t n)
{
    out->data = vec_alloc(n, sizeof *out->data, &out->size);
    for (size_t i = 0; i < out->size; i++) out->data[i] = (wasm_val_t)WASM_INIT_VAL;
}

/* The values are moved in (their references become the vector's). */
void wasm_val_vec_new(wasm_val_vec_t *out, size_t n, const wasm_val_t src[])
{
    out->data = vec_alloc(n, sizeof *out->data, &out->size);
    if (out->size) memcpy(out->data, src, n * sizeof *out->data);
}

void wasm_val_vec_copy(wasm_val_vec_t *out, const wasm_val_vec_t *v)
{
    out->data = vec_alloc(v->size, sizeof *out->data, &out->size);
    for (size_t i = 0; i < out->size; i++) wasm_val_copy(&out->data[i], &v->data[i]);
}

void wasm_val_vec_delete(wasm_val_vec_t *v)
{
    for (size_t i = 0; i < v->size; i++) wasm_val_delete(&v->data[i]);
    free(v->data);
    v->size = 0;
    v->data = NULL;
}

/* ---- Value types ------------------------------------------------------------------------- */

wasm_valkind_t capi_valkind_from_wk(wk_valkind_t k)
{
    switch (k) {
    case WK_I32: return WASM_I32;
    case WK_I64: return WASM_I64;
    case WK_F32: return WASM_F32;
    case WK_F64: return WASM_F64;
    case WK_FUNCREF: return WASM_FUNCREF;
    case WK_EXTERNREF: return WASM_EXTERNREF;
    default: return CAPI_V128;
    }
}

wk_valkind_t capi_valkind_to_wk(wasm_valkind_t k)
{
    switch (k) {
    case WASM_I32: return WK_I32;
    case WASM_I64: return WK_I64;
    case WASM_F32: return WK_F32;
    case WASM_F64: return WK_F64;
    case WASM_FUNCREF: return WK_FUNCREF;
    case WASM_EXTERNREF: return WK_EXTERNREF;
    default: return WK_V128;
    }
}

static bool valkind_known(wasm_valkind_t k)
{
    return k <= WASM_F64 || k == CAPI_V128 || k == WASM_EXTERNREF || k == WASM_FUNCREF;
}

/* NULL for a kind wasm.h does not define. */
wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind)
{
    wasm_valtype_t *t = valkind_known(kind) ? malloc(sizeof *t) : NULL;
    if (t) t->kind = kind;
    return t;
}

void wasm_valtype_delete(wasm_valtype_t *t)
{
    free(t);
}

wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *t)
{
    return wasm_valtype_new(t->kind);
}

wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *t)
{
    return t->kind;
}

/* ---- Function, global, table and memory types -------------------------------------------- */

/* Takes the vectors' contents (the vectors are left empty). */
wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results)
{
    wasm_functype_t *t = malloc(sizeof *t);
    if (!t) {
        wasm_valtype_vec_delete(params);
        wasm_valtype_vec_delete(results);
        return NULL;
    }
    t->ext.kind = WASM_EXTERN_FUNC;
    t->params = *params;
    t->results = *results;
    wasm_valtype_vec_new_empty(params);
    wasm_valtype_vec_new_empty(results);
    return t;
}

void wasm_functype_delete(wasm_functype_t *t)
{
    if (!t) return;
    wasm_valtype_vec_delete(&t->params);
    wasm_valtype_vec_delete(&t->results);
    free(t);
}

wasm_functype_t *wasm_functype_copy(const wasm_functype_t *t)
{
    wasm_valtype_vec_t p, r;
    wasm_valtype_vec_copy(&p, &t->params);
    wasm_valtype_vec_copy(&r, &t->results);
    return wasm_functype_new(&p, &r);
}

const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *t)
{
    return &t->params;
}

const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *t)
{
    return &t->results;
}

wasm_globaltype_t *wasm_globaltype_new(wasm_valtype_t *content, wasm_mutability_t mutability)
{
    wasm_globaltype_t *t = content ? malloc(sizeof *t) : NULL;
    if (!t) {
        wasm_valtype_delete(content);
        return NULL;
    }
    *t = (wasm_globaltype_t){{WASM_EXTERN_GLOBAL}, content, mutability};
    return t;
}

void wasm_globaltype_delete(wasm_globaltype_t *t)
{
    if (!t) return;
    wasm_valtype_delete(t->content);
    free(t);
}

wasm_globaltype_t *wasm_globaltype_copy(const wasm_globaltype_t *t)
{
    return wasm_globaltype_new(wasm_valtype_copy(t->content), t->mutability);
}

const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *t)
{
    return t->content;
}

wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *t)
{
    return t->mutability;
}

wasm_tabletype_t *wasm_tabletype_new(wasm_valtype_t *element, const wasm_limits_t *limits)
{
    wasm_tabletype_t *t = element ? malloc(sizeof *t) : NULL;
    if (!t) {
        wasm_valtype_delete(element);
        return NULL;
    }
    *t = (wasm_tabletype_t){{WASM_EXTERN_TABLE}, element, *limits};
    return t;
}

void wasm_tabletype_delete(wasm_tabletype_t *t)
{
    if (!t) return;
    wasm_valtype_delete(t->element);
    free(t);
}

wasm_tabletype_t *wasm_tabletype_copy(const wasm_tabletype_t *t)
{
    return wasm_tabletype_new(wasm_valtype_copy(t->element), &t->limits);
}

const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *t)
{
    return t->element;
}

const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *t)
{
    return &t->limits;
}

wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *limits)
{
    wasm_memorytype_t *t = malloc(sizeof *t);
    if (t) *t = (wasm_memorytype_t){{WASM_EXTERN_MEMORY}, *limits};
    return t;
}

void wasm_memorytype_delete(wasm_memorytype_t *t)
{
    free(t);
}

wasm_memorytype_t *wasm_memorytype_copy(const wasm_memorytype_t *t)
{
    return wasm_memorytype_new(&t->limits);
}

const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *t)
{
    return &t->limits;
}

wk_limits_t capi_limits_to_wk(const wasm_limits_t *l)
{
    bool has_max = l->max != wasm_limits_max_default;
    return (wk_limits_t){l->min, has_max ? l->max : 0, has_max};
}

wasm_limits_t capi_limits_from_wk(wk_limits_t l)
{
    return (wasm_limits_t){l.min, l.has_max ? l.max : wasm_limits_max_default};
}

/* ---- Extern types ------------------------------------------------------------------------ */

wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *t)
{
    return t->kind;
}

void wasm_externtype_delete(wasm_externtype_t *t)
{
    if (!t) return;
    switch (t->kind) {
    case WASM_EXTERN_FUNC: wasm_functype_delete((wasm_functype_t *)t); break;
    case WASM_EXTERN_GLOBAL: wasm_globaltype_delete((wasm_globaltype_t *)t); break;
    case WASM_EXTERN_TABLE: wasm_tabletype_delete((wasm_tabletype_t *)t); break;
    default: wasm_memorytype_delete((wasm_memorytype_t *)t); break;
    }
}

wasm_externtype_t *wasm_externtype_copy(const wasm_externtype_t *t)
{
    switch (t->kind) {
    case WASM_EXTERN_FUNC: return &wasm_functype_copy((const wasm_functype_t *)t)->ext;
    case WASM_EXTERN_GLOBAL: return &wasm_globaltype_copy((const wasm_globaltype_t *)t)->ext;
    case WASM_EXTERN_TABLE: return &wasm_tabletype_copy((const wasm_tabletype_t *)t)->ext;
    default: return &wasm_memorytype_copy((const wasm_memorytype_t *)t)->ext;
    }
}

/* The as_externtype casts (a NULL input gives NULL) and their checked inverses. */
#define CAPI_EXTERNTYPE_CASTS(name, KIND)                                                      \
    wasm_externtype_t *wasm_##name##_as_externtype(wasm_##name##_t *t)                         \
    {                                                                                          \
        return (wasm_externtype_t *)t;                                                         \
    }                                                                                          \
    const wasm_externtype_t *wasm_##name##_as_externtype_const(const wasm_##name##_t *t)       \
    {                                                                                          \
        return (const wasm_externtype_t *)t;                                                   \
    }                                                                                          \
    wasm_##name##_t *wasm_externtype_as_##name(wasm_externtype_t *t)                           \
    {                                                                                          \
        return t && t->kind == KIND ? (wasm_##name##_t *)t : NULL;                             \
    }                                                                                          \
    const wasm_##name##_t *wasm_externtype_as_##name##_const(const wasm_externtype_t *t)       \
    {                                                                                          \
        return t && t->kind == KIND ? (const wasm_##name##_t *)t : NULL;                       \
    }

CAPI_EXTERNTYPE_CASTS(functype, WASM_EXTERN_FUNC)
CAPI_EXTERNTYPE_CASTS(globaltype, WASM_EXTERN_GLOBAL)
CAPI_EXTERNTYPE_CASTS(tabletype, WASM_EXTERN_TABLE)
CAPI_EXTERNTYPE_CASTS(memorytype, WASM_EXTERN_MEMORY)

static void valtypes_from_wk(wasm_valtype_vec_t *out, size_t n, const wk_valkind_t *kinds)
{
    wasm_valtype_vec_new_uninitialized(out, n);
    for (size_t i = 0; i < out->size; i++)
        out->data[i] = wasm_valtype_new(capi_valkind_from_wk(kinds[i]));
}

wasm_externtype_t *capi_externtype_from_wk(const wk_externtype_t *t)
{
    switch (t->kind) {
    case WK_EXTERN_FUNC: {
        wasm_valtype_vec_t p, r;
        valtypes_from_wk(&p, t->of.func.nparams, t->of.func.params);
        valtypes_from_wk(&r, t->of.func.nresults, t->of.func.results);
        return (wasm_externtype_t *)wasm_functype_new(&p, &r);
    }
    case WK_EXTERN_GLOBAL: {
        wasm_valtype_t *v = wasm_valtype_new(capi_valkind_from_wk(t->of.global.kind));
        return (wasm_externtype_t *)wasm_globaltype_new(v, t->of.global.mutable_ ? WASM_VAR
                                                                                 : WASM_CONST);
    }
    case WK_EXTERN_TABLE: {
        wasm_valtype_t *v = wasm_valtype_new(capi_valkind_from_wk(t->of.table.elem));
        wasm_limits_t l = capi_limits_from_wk(t->of.table.limits);
        return (wasm_externtype_t *)wasm_tabletype_new(v, &l);
    }
    default: {
        wasm_limits_t l = capi_limits_from_wk(t->of.memory);
        return (wasm_externtype_t *)wasm_memorytype_new(&l);
    }
    }
}

/* ---- Import and export types ------------------------------------------------------------- */

/* Takes the names' contents and the type. */
wasm_importtype_t *wasm_importtype_new(wasm_name_t *module, wasm_name_t *name,
                                       wasm_externtype_t *type)
{
    wasm_importtype_t *t = malloc(sizeof *t);
    if (!t) {
        wasm_name_delete(module);
        wasm_name_delete(name);
        wasm_externtype_delete(type);
        return NULL;
    }
    *t = (wasm_importtype_t){*module, *name, type};
    wasm_name_new_empty(module);
    wasm_name_new_empty(name);
    return t;
}

void wasm_importtype_delete(wasm_importtype_t *t)
{
    if (!t) return;
    wasm_name_delete(&t->module);
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

wasm_importtype_t *wasm_importtype_copy(const wasm_importtype_t *t)
{
    wasm_name_t module, name;
    wasm_name_copy(&module, &t->module);
    wasm_name_copy(&name, &t->name);
    return wasm_importtype_new(&module, &name, wasm_externtype_copy(t->type));
}

const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *t)
{
    return &t->module;
}

const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *t)
{
    return &t->name;
}

const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *t)
{
    return t->type;
}

wasm_exporttype_t *wasm_exporttype_new(wasm_name_t *name, wasm_externtype_t *type)
{
    wasm_exporttype_t *t = malloc(sizeof *t);
    if (!t) {
        wasm_name_delete(name);
        wasm_externtype_delete(type);
        return NULL;
    }
    *t = (wasm_exporttype_t){*name, type};
    wasm_name_new_empty(name);
    return t;
}

void wasm_exporttype_delete(wasm_exporttype_t *t)
{
    if (!t) return;
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

wasm_exporttype_t *wasm_exporttype_copy(const wasm_exporttype_t *t)
{
    wasm_name_t name;
    wasm_name_copy(&name, &t->name);
    return wasm_exporttype_new(&name, wasm_externtype_copy(t->type));
}

const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *t)
{
    return &t->name;
}

const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *t)
{
    return t->type;
}
