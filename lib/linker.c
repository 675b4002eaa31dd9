/* Linkers: externs defined by (module, name), and instantiation resolving a module's imports
 * from them, with errors naming the import and its type. */
#include <stdlib.h>
#include <string.h>

#include "compiled.h"
#include "error.h"
#include "instance.h"
#include "linker.h"

typedef struct Def {
    char *module, *name; /* owned copies, length-prefixed */
    size_t module_len, name_len;
    wk_extern_t ext;
} Def;

struct wk_linker {
    Def *defs;
    size_t ndefs, cap;
};

wk_linker_t *linker_new(void)
{
    return calloc(1, sizeof(wk_linker_t));
}

void linker_delete(wk_linker_t *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->ndefs; i++) {
        free(l->defs[i].module);
        free(l->defs[i].name);
    }
    free(l->defs);
    free(l);
}

static Def *find(const wk_linker_t *l, const char *module, size_t mlen, const char *name,
                 size_t nlen)
{
    for (size_t i = 0; i < l->ndefs; i++) {
        Def *d = &l->defs[i];
        if (d->module_len == mlen && d->name_len == nlen && memcmp(d->module, module, mlen) == 0 &&
            memcmp(d->name, name, nlen) == 0)
            return d;
    }
    return NULL;
}

static char *copy(const char *s, size_t n)
{
    char *c = malloc(n ? n : 1);
    if (c && n) memcpy(c, s, n);
    return c;
}

wk_error_t *linker_define(wk_linker_t *l, const char *module, size_t mlen, const char *name,
                          size_t nlen, wk_extern_t ext)
{
    Def *d = find(l, module, mlen, name, nlen);
    if (d) {
        d->ext = ext; /* a later definition replaces an earlier one */
        return NULL;
    }
    if (l->ndefs == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        Def *p = realloc(l->defs, cap * sizeof *p);
        if (!p) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
        l->defs = p;
        l->cap = cap;
    }
    Def nd = {copy(module, mlen), copy(name, nlen), mlen, nlen, ext};
    if (!nd.module || !nd.name) {
        free(nd.module);
        free(nd.name);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    l->defs[l->ndefs++] = nd;
    return NULL;
}

wk_error_t *linker_resolve(const wk_linker_t *l, const wk_module_t *mod, wk_extern_t *imports)
{
    const Module *m = mod->m;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const Import *im = &m->imports[i];
        const Def *d = find(l, im->module.data, im->module.size, im->name.data, im->name.size);
        if (!d) return instance_unknown_import(mod, im);
        imports[i] = d->ext;
    }
    return NULL;
}
