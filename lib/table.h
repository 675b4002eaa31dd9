/* Tables: growable arrays of references (VMFuncRef * for funcref, host pointers for
 * externref), spec 4.2.7. */
#ifndef WK_TABLE_H
#define WK_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "hostinfo.h"
#include "module.h"
#include "vmctx.h"

/* Tables never grow past this many elements (table.grow fails instead, as the spec allows). */
#define WK_TABLE_LIMIT (1u << 24)

struct wk_table {
    VMTable vm; /* first: VMContext points here */
    TableType type;
    struct wk_store *store; /* the owner, set by who hands it to a store (API checks) */
    HostInfo host;
};

/* A new table of `type` with min elements set to init. Errors: WK_ERROR_RESOURCE. */
wk_error_t *table_new(TableType type, void *init, wk_table_t **out);
/* The same, never growing past cap elements (a store's limit): fails when the minimum exceeds
 * it. */
wk_error_t *table_new_capped(TableType type, void *init, uint32_t cap, wk_table_t **out);
void table_delete(wk_table_t *table);
/* Grows by delta elements set to init; false (no change) over the maximum or out of memory. */
bool table_grow(wk_table_t *table, uint32_t delta, void *init, uint32_t *prev);

#endif
