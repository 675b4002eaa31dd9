/* Tables: allocation and growth of the element array. */
#include <stdlib.h>

#include "table.h"

wk_error_t *table_new(TableType type, void *init, wk_table_t **out)
{
    wk_table_t *t = calloc(1, sizeof *t);
    if (!t) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    t->type = type;
    t->vm.elem_type = type.elem;
    t->vm.max = type.limits.has_max ? type.limits.max : UINT32_MAX;
    uint32_t prev;
    if (type.limits.min > WK_TABLE_LIMIT || !table_grow(t, type.limits.min, init, &prev)) {
        free(t);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory for table");
    }
    *out = t;
    return NULL;
}

wk_error_t *table_new_capped(TableType type, void *init, uint32_t cap, wk_table_t **out)
{
    if (type.limits.min > cap)
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET,
                         "table minimum of %u elements exceeds the store's limit of %u elements",
                         type.limits.min, cap);
    wk_table_t *t = NULL;
    wk_error_t *err = table_new(type, init, &t);
    if (err) return err;
    if (t->vm.max > cap) t->vm.max = cap;
    *out = t;
    return NULL;
}

void table_delete(wk_table_t *table)
{
    if (!table) return;
    hostinfo_release(&table->host);
    free(table->vm.elems);
    free(table);
}

bool table_grow(wk_table_t *table, uint32_t delta, void *init, uint32_t *prev)
{
    VMTable *vm = &table->vm;
    *prev = vm->size;
    uint64_t size = (uint64_t)vm->size + delta;
    if (size > vm->max || size > WK_TABLE_LIMIT) return false;
    if (delta == 0) return true;
    void **elems = realloc(vm->elems, (size_t)size * sizeof *elems);
    if (!elems) return false;
    for (uint64_t i = vm->size; i < size; i++) elems[i] = init;
    vm->elems = elems;
    vm->size = (uint32_t)size;
    return true;
}
