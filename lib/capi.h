/* The standard C API (include/wasm.h) as a thin layer over wasmkiln.h: the handle and record
 * types shared by lib/capi_*.c. Those files define the public wasm_* symbols of wasm.h, the one
 * exception to "public symbols only in api.c", and reach the runtime through wasmkiln.h only.
 * Internal names are capi_<verb>. */
#ifndef WK_CAPI_H
#define WK_CAPI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WASM_API_EXTERN __attribute__((visibility("default")))
#include "wasm.h"
#include "hostinfo.h"
#include "wasmkiln.h"

/* What a reference handle refers to; the first four are the wasm_externkind_t values. */
enum {
    CAPI_FUNC = WASM_EXTERN_FUNC,
    CAPI_GLOBAL = WASM_EXTERN_GLOBAL,
    CAPI_TABLE = WASM_EXTERN_TABLE,
    CAPI_MEMORY = WASM_EXTERN_MEMORY,
    CAPI_INSTANCE,
    CAPI_MODULE,
    CAPI_TRAP,
    CAPI_FOREIGN,
};

/* The kind wasm_valtype_kind reports for v128, which wasm.h cannot name (wasmtime's number). */
#define CAPI_V128 ((wasm_valkind_t)4)

/* A compiled module shared by its handles and wasm_shared_module_t (any thread). */
typedef struct CapiModule {
    atomic_uint refs;
    wk_module_t *wk;     /* one reference */
    wasm_byte_vec_t binary; /* the bytes it was compiled from (wasm_module_serialize) */
    HostInfo host;
} CapiModule;

/* A trap's message (NUL-terminated, the NUL counted in size) and frames, shared by copies. */
typedef struct CapiTrap {
    atomic_uint refs;
    wasm_message_t message;
    wasm_frame_vec_t trace; /* innermost first; trace.data[0] is the origin */
    HostInfo host;
} CapiTrap;

/* A store-owned box: a foreign object (kind CAPI_FOREIGN, with its host info), or what an
 * externref holds for any other reference (`ref`, an owned handle). Externref values of a
 * wasm.h store are always CapiBox pointers. */
typedef struct CapiBox {
    uint8_t kind;
    wasm_ref_t *ref;
    HostInfo host;
} CapiBox;

/* Every reference handle: wasm_func_t, wasm_extern_t, wasm_instance_t, wasm_module_t, ... are
 * all this struct (their own struct types are never defined: a wasm_func_t * is a wasm_ref_t *,
 * which makes the as_ref/as_extern casts free). Handles are individually owned; copies refer to
 * the same object. Runtime objects live as long as their store. */
struct wasm_ref_t {
    uint8_t kind;
    wasm_store_t *store; /* NULL for modules and traps */
    union {
        void *any;
        wk_func_t *func;
        wk_global_t *global;
        wk_table_t *table;
        wk_memory_t *memory;
        wk_instance_t *instance;
        CapiModule *module;
        CapiTrap *trap;
        CapiBox *foreign;
    } of;
};

struct wasm_config_t {
    wk_engine_options_t opts;
};

struct wasm_engine_t {
    wk_engine_t *wk;
};

/* A wasmkiln store plus the boxes it owns. */
struct wasm_store_t {
    wk_store_t *wk;
    wk_engine_t *engine; /* borrowed: the wk store keeps it alive */
    CapiBox **boxes;
    size_t nboxes, cap;
};

struct wasm_shared_module_t {
    CapiModule *module; /* one reference */
};

struct wasm_frame_t {
    wasm_instance_t *instance; /* owned handle, or NULL */
    uint32_t func_index;
    size_t func_offset, module_offset;
};

/* Types: every extern type starts with its kind, so the as_externtype casts are free. */
struct wasm_valtype_t {
    wasm_valkind_t kind;
};
struct wasm_externtype_t {
    wasm_externkind_t kind;
};
struct wasm_functype_t {
    wasm_externtype_t ext;
    wasm_valtype_vec_t params, results;
};
struct wasm_globaltype_t {
    wasm_externtype_t ext;
    wasm_valtype_t *content;
    wasm_mutability_t mutability;
};
struct wasm_tabletype_t {
    wasm_externtype_t ext;
    wasm_valtype_t *element;
    wasm_limits_t limits;
};
struct wasm_memorytype_t {
    wasm_externtype_t ext;
    wasm_limits_t limits;
};
struct wasm_importtype_t {
    wasm_name_t module, name;
    wasm_externtype_t *type;
};
struct wasm_exporttype_t {
    wasm_name_t name;
    wasm_externtype_t *type;
};

/* ---- capi_types.c ------------------------------------------------------------------------ */

/* Value kinds between the two APIs (wasmkiln numbers them as the binary format does). */
wasm_valkind_t capi_valkind_from_wk(wk_valkind_t k);
wk_valkind_t capi_valkind_to_wk(wasm_valkind_t k);
/* A new extern type describing t (owned; NULL when out of memory). */
wasm_externtype_t *capi_externtype_from_wk(const wk_externtype_t *t);
/* Limits between the two APIs (wasm.h's max 0xffffffff means none). */
wk_limits_t capi_limits_to_wk(const wasm_limits_t *l);
wasm_limits_t capi_limits_from_wk(wk_limits_t l);

/* ---- capi_ref.c -------------------------------------------------------------------------- */

/* A new handle of `kind` for obj in store (NULL when out of memory). Takes no reference:
 * modules and traps take theirs with capi_ref_copy semantics in the caller. */
wasm_ref_t *capi_ref_new(uint8_t kind, wasm_store_t *store, void *obj);
wasm_ref_t *capi_ref_copy(const wasm_ref_t *ref);
void capi_ref_delete(wasm_ref_t *ref);
/* The runtime object of a func/global/table/memory handle. */
wk_extern_t capi_ref_extern(const wasm_ref_t *ref);
/* A new extern handle for a runtime object of store (NULL when out of memory). */
wasm_extern_t *capi_extern_from_wk(wasm_store_t *store, wk_extern_t ext);
/* A new box owned by store, holding ref (owned) unless kind is CAPI_FOREIGN. */
CapiBox *capi_store_box(wasm_store_t *store, uint8_t kind, wasm_ref_t *ref);

/* ---- capi_func.c ------------------------------------------------------------------------- */

/* Converts v for a slot of wasmkiln kind `want` in store: numbers must have that kind; any
 * reference (or NULL) fits a reference slot (a funcref slot takes only functions). False when
 * it does not fit or out of memory. */
bool capi_val_to_wk(wasm_store_t *store, const wasm_val_t *v, wk_valkind_t want, wk_val_t *out);
/* Converts a runtime value of store; references become new owned handles. */
void capi_val_from_wk(wasm_store_t *store, const wk_val_t *v, wasm_val_t *out);
/* The wasm.h trap for a runtime trap (consumed): the host's own trap when a callback raised
 * it, else a new one with the runtime's message. */
wasm_trap_t *capi_trap_from_wk(wasm_store_t *store, wk_trap_t *trap);
/* A new trap with a NUL-terminated message. */
wasm_trap_t *capi_trap_new_message(wasm_store_t *store, const char *message);

/* ---- capi_module.c ----------------------------------------------------------------------- */

void capi_module_unref(CapiModule *m);
void capi_trap_unref(CapiTrap *t);

#endif
