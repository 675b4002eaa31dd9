/* Instances: linking imports, building the VMContext, constant expressions, element and data
 * segments, exports and the start function (spec 4.5.4). */
#ifndef WK_INSTANCE_H
#define WK_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "hostinfo.h"
#include "store.h"
#include "vmctx.h"

typedef struct Instance {
    VMContext vm;          /* first; vm.instance points back here */
    wk_store_t *store;
    wk_module_t *module;   /* a reference held for the instance's life */
    wk_func_t **funcs;     /* index spaces, imports first */
    wk_table_t **tables;
    wk_memory_t **memories;
    wk_global_t **globals;
    uint32_t *data_sizes;  /* current size of each data segment (0 once dropped) */
    uint32_t *elem_sizes;  /* current length of each element segment (0 once dropped) */
    void ***elem_items;    /* the evaluated references of each element segment */
    uint32_t nexports;
    wk_extern_t *exports;
    HostInfo host;
} Instance;

/* What a host function sees of its caller. */
struct wk_caller {
    Instance *inst;
};

/* Instantiates module in store with imports (one per module import). Returns a link error, or
 * NULL with either *out set or *trap set (segment initialisation or the start function
 * trapped). The instance is store-owned even when it trapped: its functions may already sit
 * in imported tables. */
wk_error_t *instance_new(wk_store_t *store, wk_module_t *module, const wk_extern_t *imports,
                         size_t nimports, Instance **out, wk_trap_t **trap);

/* The link error for an import nothing provides: "unknown import "env"."f": nothing defines
 * this func (i32) -> (i32)". */
wk_error_t *instance_unknown_import(const wk_module_t *mod, const Import *im);

/* Looks an export up by its (length-prefixed) name. */
bool instance_export_get(const Instance *inst, const char *name, size_t len, wk_extern_t *out);

#endif
