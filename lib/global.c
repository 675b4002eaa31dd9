/* Globals: allocation. Reading and writing is a plain access to vm.value. */
#include <stdlib.h>

#include "global.h"

wk_error_t *global_new(GlobalType type, WasmVal value, wk_global_t **out)
{
    wk_global_t *g = calloc(1, sizeof *g);
    if (!g) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    g->type = type;
    g->vm.value = value;
    *out = g;
    return NULL;
}

void global_delete(wk_global_t *global)
{
    if (!global) return;
    hostinfo_release(&global->host);
    free(global);
}
