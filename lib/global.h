/* Globals: one value slot of a global type (spec 4.2.9). */
#ifndef WK_GLOBAL_H
#define WK_GLOBAL_H

#include "error.h"
#include "hostinfo.h"
#include "module.h"
#include "vmctx.h"

struct wk_global {
    VMGlobal vm; /* first: VMContext points here */
    GlobalType type;
    struct wk_store *store; /* the owner, set by who hands it to a store (API checks) */
    HostInfo host;
};

/* A new global holding value. Errors: WK_ERROR_RESOURCE. */
wk_error_t *global_new(GlobalType type, WasmVal value, wk_global_t **out);
void global_delete(wk_global_t *global);

#endif
