/* wasm.h (see lib/capi.h): modules (validation, reflection, serialization, sharing across
 * threads), instances, globals, tables and memories. Public wasm_* symbols are defined here. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "capi.h"

/* ---- Modules ----------------------------------------------------------------------------- */

void capi_module_unref(CapiModule *m)
{
    if (atomic_fetch_sub(&m->refs, 1) != 1) return;
    hostinfo_release(&m->host);
    wk_module_delete(m->wk);
    wasm_byte_vec_delete(&m->binary);
    free(m);
}

static wasm_module_t *module_handle(wasm_store_t *store, CapiModule *m)
{
    atomic_fetch_add(&m->refs, 1);
    wasm_ref_t *r = capi_ref_new(CAPI_MODULE, store, m);
    if (!r) capi_module_unref(m);
    return (wasm_module_t *)r;
}

/* NULL when the bytes do not decode, validate or compile (wasm.h has no error channel: the
 * reason is what wk_module_new of wasmkiln.h reports). */
wasm_module_t *wasm_module_new(wasm_store_t *store, const wasm_byte_vec_t *binary)
{
    CapiModule *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    wk_error_t *err = wk_module_new(store->engine, (const uint8_t *)binary->data, binary->size,
                                    &m->wk);
    if (err) {
        wk_error_delete(err);
        free(m);
        return NULL;
    }
    wasm_byte_vec_copy(&m->binary, binary);
    atomic_init(&m->refs, 0);
    return module_handle(store, m);
}

bool wasm_module_validate(wasm_store_t *store, const wasm_byte_vec_t *binary)
{
    (void)store;
    wk_error_t *err = wk_module_validate((const uint8_t *)binary->data, binary->size);
    wk_error_delete(err);
    return err == NULL;
}

static CapiModule *module_of(const wasm_module_t *module)
{
    return ((const wasm_ref_t *)module)->of.module;
}

static void name_from_wk(wasm_name_t *out, wk_name_t n)
{
    wasm_name_new(out, n.size, n.data);
}

void wasm_module_imports(const wasm_module_t *module, wasm_importtype_vec_t *out)
{
    wk_module_t *wk = module_of(module)->wk;
    wasm_importtype_vec_new_uninitialized(out, wk_module_import_count(wk));
    for (size_t i = 0; i < out->size; i++) {
        wk_name_t mod_name, name;
        wk_externtype_t t;
        wk_module_import(wk, i, &mod_name, &name, &t);
        wasm_name_t m, n;
        name_from_wk(&m, mod_name);
        name_from_wk(&n, name);
        out->data[i] = wasm_importtype_new(&m, &n, capi_externtype_from_wk(&t));
    }
}

void wasm_module_exports(const wasm_module_t *module, wasm_exporttype_vec_t *out)
{
    wk_module_t *wk = module_of(module)->wk;
    wasm_exporttype_vec_new_uninitialized(out, wk_module_export_count(wk));
    for (size_t i = 0; i < out->size; i++) {
        wk_name_t name;
        wk_externtype_t t;
        wk_module_export(wk, i, &name, &t);
        wasm_name_t n;
        name_from_wk(&n, name);
        out->data[i] = wasm_exporttype_new(&n, capi_externtype_from_wk(&t));
    }
}

/* The serialized form: this magic, then the module's bytes. Deserializing compiles them again
 * (a hit in the engine's code cache when it has one, WK_CACHE_DIR). */
static const char SERIAL_MAGIC[8] = "wkmod\0\0\1";

void wasm_module_serialize(const wasm_module_t *module, wasm_byte_vec_t *out)
{
    const wasm_byte_vec_t *bin = &module_of(module)->binary;
    wasm_byte_vec_new_uninitialized(out, sizeof SERIAL_MAGIC + bin->size);
    if (!out->size) return;
    memcpy(out->data, SERIAL_MAGIC, sizeof SERIAL_MAGIC);
    if (bin->size) memcpy(out->data + sizeof SERIAL_MAGIC, bin->data, bin->size);
}

/* NULL for bytes that wasm_module_serialize did not make, or that no longer compile. */
wasm_module_t *wasm_module_deserialize(wasm_store_t *store, const wasm_byte_vec_t *bytes)
{
    if (bytes->size < sizeof SERIAL_MAGIC || memcmp(bytes->data, SERIAL_MAGIC, sizeof SERIAL_MAGIC))
        return NULL;
    wasm_byte_vec_t binary = {bytes->size - sizeof SERIAL_MAGIC,
                              bytes->data + sizeof SERIAL_MAGIC};
    return wasm_module_new(store, &binary);
}

/* A module is usable from any thread: sharing takes a reference. */
wasm_shared_module_t *wasm_module_share(const wasm_module_t *module)
{
    wasm_shared_module_t *s = malloc(sizeof *s);
    if (!s) return NULL;
    s->module = module_of(module);
    atomic_fetch_add(&s->module->refs, 1);
    return s;
}

void wasm_shared_module_delete(wasm_shared_module_t *shared)
{
    if (!shared) return;
    capi_module_unref(shared->module);
    free(shared);
}

/* NULL when store belongs to another engine than the module. */
wasm_module_t *wasm_module_obtain(wasm_store_t *store, const wasm_shared_module_t *shared)
{
    if (wk_module_engine(shared->module->wk) != store->engine) return NULL;
    return module_handle(store, shared->module);
}

/* ---- Instances --------------------------------------------------------------------------- */

static wasm_instance_t *instance_fail(wasm_trap_t **trap, wasm_trap_t *t)
{
    if (trap) {
        *trap = t;
    } else {
        wasm_trap_delete(t);
    }
    return NULL;
}

/* A link error (wasm.h has no other channel for it) becomes a trap with wasmkiln's message,
 * as does a trap of the start function; both when `trap` is not NULL. */
wasm_instance_t *wasm_instance_new(wasm_store_t *store, const wasm_module_t *module,
                                   const wasm_extern_vec_t *imports, wasm_trap_t **trap)
{
    if (trap) *trap = NULL;
    size_t n = imports ? imports->size : 0;
    wk_extern_t *ext = malloc((n ? n : 1) * sizeof *ext);
    if (!ext) return instance_fail(trap, capi_trap_new_message(store, "out of memory"));
    for (size_t i = 0; i < n; i++) {
        if (!imports->data[i]) {
            free(ext);
            return instance_fail(trap, capi_trap_new_message(store, "unknown import"));
        }
        ext[i] = capi_ref_extern((const wasm_ref_t *)imports->data[i]);
    }
    wk_instance_t *inst = NULL;
    wk_trap_t *wt = NULL;
    wk_error_t *err = wk_instance_new(store->wk, module_of(module)->wk, ext, n, &inst, &wt);
    free(ext);
    if (err) {
        wasm_trap_t *t = capi_trap_new_message(store, wk_error_describe(err));
        wk_error_delete(err);
        return instance_fail(trap, t);
    }
    if (wt) return instance_fail(trap, capi_trap_from_wk(store, wt));
    return (wasm_instance_t *)capi_ref_new(CAPI_INSTANCE, store, inst);
}

void wasm_instance_exports(const wasm_instance_t *instance, wasm_extern_vec_t *out)
{
    const wasm_ref_t *r = (const wasm_ref_t *)instance;
    wasm_extern_vec_new_uninitialized(out, wk_instance_export_count(r->of.instance));
    for (size_t i = 0; i < out->size; i++)
        out->data[i] = capi_extern_from_wk(r->store, wk_instance_export(r->of.instance, i));
}

/* ---- Globals ----------------------------------------------------------------------------- */

static const wasm_ref_t *ref_of(const void *handle)
{
    return handle;
}

/* A new handle of a runtime object that `err` tells was made or not. */
static void *made(wasm_store_t *store, uint8_t kind, wk_error_t *err, void *obj)
{
    if (err) {
        wk_error_delete(err);
        return NULL;
    }
    return capi_ref_new(kind, store, obj);
}

wasm_global_t *wasm_global_new(wasm_store_t *store, const wasm_globaltype_t *type,
                               const wasm_val_t *val)
{
    wk_globaltype_t gt = {capi_valkind_to_wk(type->content->kind), type->mutability == WASM_VAR};
    wk_val_t v;
    wk_global_t *g;
    if (!capi_val_to_wk(store, val, gt.kind, &v)) return NULL;
    wk_error_t *err = wk_global_new(store->wk, &gt, v, &g);
    return made(store, CAPI_GLOBAL, err, err ? NULL : g);
}

wasm_globaltype_t *wasm_global_type(const wasm_global_t *global)
{
    wk_externtype_t t = {.kind = WK_EXTERN_GLOBAL,
                         .of.global = wk_global_type(ref_of(global)->of.global)};
    return (wasm_globaltype_t *)capi_externtype_from_wk(&t);
}

void wasm_global_get(const wasm_global_t *global, wasm_val_t *out)
{
    const wasm_ref_t *r = ref_of(global);
    wk_val_t v = wk_global_get(r->of.global);
    capi_val_from_wk(r->store, &v, out);
}

/* Setting an immutable global, or to a value of another type, changes nothing. */
void wasm_global_set(wasm_global_t *global, const wasm_val_t *val)
{
    const wasm_ref_t *r = ref_of(global);
    wk_val_t v;
    if (!capi_val_to_wk(r->store, val, wk_global_type(r->of.global).kind, &v)) return;
    wk_error_delete(wk_global_set(r->of.global, v));
}

/* ---- Tables ------------------------------------------------------------------------------ */

/* The runtime value of element ref (a handle or NULL) for a table of t. */
static bool elem_of(const wasm_ref_t *t, const wasm_ref_t *ref, wk_val_t *out)
{
    wasm_val_t v = {.kind = WASM_EXTERNREF, .of.ref = (wasm_ref_t *)ref};
    return capi_val_to_wk(t->store, &v, wk_table_type(t->of.table).elem, out);
}

wasm_table_t *wasm_table_new(wasm_store_t *store, const wasm_tabletype_t *type, wasm_ref_t *init)
{
    wk_tabletype_t tt = {capi_valkind_to_wk(type->element->kind), capi_limits_to_wk(&type->limits)};
    wasm_val_t iv = {.kind = WASM_EXTERNREF, .of.ref = init};
    wk_val_t v;
    wk_table_t *t;
    if (!capi_val_to_wk(store, &iv, tt.elem, &v)) return NULL;
    wk_error_t *err = wk_table_new(store->wk, &tt, v, &t);
    return made(store, CAPI_TABLE, err, err ? NULL : t);
}

wasm_tabletype_t *wasm_table_type(const wasm_table_t *table)
{
    wk_externtype_t t = {.kind = WK_EXTERN_TABLE,
                         .of.table = wk_table_type(ref_of(table)->of.table)};
    return (wasm_tabletype_t *)capi_externtype_from_wk(&t);
}

/* NULL for a null element or an index out of bounds. */
wasm_ref_t *wasm_table_get(const wasm_table_t *table, wasm_table_size_t index)
{
    const wasm_ref_t *r = ref_of(table);
    wk_val_t v;
    if (!wk_table_get(r->of.table, index, &v)) return NULL;
    wasm_val_t out;
    capi_val_from_wk(r->store, &v, &out);
    return out.of.ref;
}

bool wasm_table_set(wasm_table_t *table, wasm_table_size_t index, wasm_ref_t *ref)
{
    const wasm_ref_t *r = ref_of(table);
    wk_val_t v;
    if (index >= wk_table_size(r->of.table) || !elem_of(r, ref, &v)) return false;
    return wk_table_set(r->of.table, index, v);
}

wasm_table_size_t wasm_table_size(const wasm_table_t *table)
{
    return wk_table_size(ref_of(table)->of.table);
}

bool wasm_table_grow(wasm_table_t *table, wasm_table_size_t delta, wasm_ref_t *init)
{
    const wasm_ref_t *r = ref_of(table);
    wk_val_t v;
    if (!elem_of(r, init, &v)) return false;
    return wk_table_grow(r->of.table, delta, v, NULL);
}

/* ---- Memories ---------------------------------------------------------------------------- */

wasm_memory_t *wasm_memory_new(wasm_store_t *store, const wasm_memorytype_t *type)
{
    wk_limits_t l = capi_limits_to_wk(&type->limits);
    wk_memory_t *m;
    wk_error_t *err = wk_memory_new(store->wk, &l, &m);
    return made(store, CAPI_MEMORY, err, err ? NULL : m);
}

wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *memory)
{
    wk_externtype_t t = {.kind = WK_EXTERN_MEMORY,
                         .of.memory = wk_memory_type(ref_of(memory)->of.memory)};
    return (wasm_memorytype_t *)capi_externtype_from_wk(&t);
}

byte_t *wasm_memory_data(wasm_memory_t *memory)
{
    return (byte_t *)wk_memory_data(ref_of(memory)->of.memory);
}

size_t wasm_memory_data_size(const wasm_memory_t *memory)
{
    return wk_memory_data_size(ref_of(memory)->of.memory);
}

wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *memory)
{
    return wk_memory_size(ref_of(memory)->of.memory);
}

bool wasm_memory_grow(wasm_memory_t *memory, wasm_memory_pages_t delta)
{
    return wk_memory_grow(ref_of(memory)->of.memory, delta, NULL);
}
