/* Linkers: a list of externs defined by (module, name) that resolves a module's imports. */
#ifndef WK_LINKER_H
#define WK_LINKER_H

#include <stddef.h>

#include "wasmkiln.h"

/* A new empty linker, or NULL when out of memory. */
wk_linker_t *linker_new(void);
void linker_delete(wk_linker_t *l);
/* Defines (or redefines) module.name as ext (borrowed: it must outlive its uses). */
wk_error_t *linker_define(wk_linker_t *l, const char *module, size_t mlen, const char *name,
                          size_t nlen, wk_extern_t ext);
/* Fills imports (one per import of mod) from the definitions; a link error naming the first
 * import that has none, with its type. */
wk_error_t *linker_resolve(const wk_linker_t *l, const wk_module_t *mod, wk_extern_t *imports);

#endif
