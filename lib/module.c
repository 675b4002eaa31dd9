/* The in-memory Module: freeing it and its index spaces (imports come first in each). */
#include <stdlib.h>
#include <string.h>

#include "module.h"

void name_map_free(NameMap *nm)
{
    for (uint32_t i = 0; nm->local_names && i < nm->nfuncs; i++) free(nm->local_names[i]);
    free(nm->local_names);
    free(nm->nlocal_names);
    free(nm->func_names);
}

void module_free(Module *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->ntypes; i++) free(m->types[i].types);
    free(m->types);
    free(m->imports);
    free(m->import_funcs);
    free(m->import_tables);
    free(m->import_memories);
    free(m->import_globals);
    for (uint32_t i = 0; i < m->nfuncs; i++) free(m->funcs[i].locals);
    free(m->funcs);
    free(m->tables);
    free(m->memories);
    free(m->globals);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++) {
        free(m->elems[i].funcs);
        free(m->elems[i].exprs);
    }
    free(m->elems);
    free(m->datas);
    name_map_free(&m->names);
    free(m->bytes);
    free(m);
}

uint32_t module_func_count(const Module *m)
{
    return m->nimported_funcs + m->nfuncs;
}

uint32_t module_table_count(const Module *m)
{
    return m->nimported_tables + m->ntables;
}

uint32_t module_memory_count(const Module *m)
{
    return m->nimported_memories + m->nmemories;
}

uint32_t module_global_count(const Module *m)
{
    return m->nimported_globals + m->nglobals;
}

uint32_t module_func_type_index(const Module *m, uint32_t idx)
{
    if (idx < m->nimported_funcs) return m->import_funcs[idx];
    return m->funcs[idx - m->nimported_funcs].type;
}

const FuncType *module_func_type(const Module *m, uint32_t idx)
{
    return &m->types[module_func_type_index(m, idx)];
}

TableType module_table_type(const Module *m, uint32_t idx)
{
    if (idx < m->nimported_tables) return m->import_tables[idx];
    return m->tables[idx - m->nimported_tables];
}

Limits module_memory_type(const Module *m, uint32_t idx)
{
    if (idx < m->nimported_memories) return m->import_memories[idx];
    return m->memories[idx - m->nimported_memories];
}

GlobalType module_global_type(const Module *m, uint32_t idx)
{
    if (idx < m->nimported_globals) return m->import_globals[idx];
    return m->globals[idx - m->nimported_globals].type;
}

Name module_func_name(const Module *m, uint32_t func)
{
    const NameMap *nm = &m->names;
    if (!nm->func_names || func >= nm->nfuncs) return (Name){0, NULL};
    return nm->func_names[func];
}

/* Reads a LEB128 u32 at *p (< end); false past end or when too long. */
static bool leb_u32(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

size_t module_custom_sections(const Module *m, const char *name, size_t len, size_t which,
                              Name *out)
{
    const uint8_t *p = m->bytes + 8, *end = m->bytes + m->size;
    size_t n = 0;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size, nlen;
        if (!leb_u32(&p, end, &size) || size > (size_t)(end - p)) break;
        const uint8_t *sec = p, *sec_end = p + size;
        p = sec_end;
        if (id != 0 || !leb_u32(&sec, sec_end, &nlen) || nlen > (size_t)(sec_end - sec)) continue;
        if (nlen != len || memcmp(sec, name, len) != 0) continue;
        if (n == which) out[0] = (Name){(uint32_t)(sec_end - sec - nlen), (const char *)sec + nlen};
        n++;
    }
    return n;
}

Name module_func_display_name(const Module *m, uint32_t func)
{
    Name n = module_func_name(m, func);
    for (uint32_t i = 0; !n.size && i < m->nexports; i++)
        if (m->exports[i].kind == WK_EXTERN_FUNC && m->exports[i].index == func)
            n = m->exports[i].name;
    return n;
}

Name module_local_name(const Module *m, uint32_t func, uint32_t local)
{
    const NameMap *nm = &m->names;
    if (!nm->local_names || func >= nm->nfuncs) return (Name){0, NULL};
    for (uint32_t i = 0; i < nm->nlocal_names[func]; i++)
        if (nm->local_names[func][i].index == local) return nm->local_names[func][i].name;
    return (Name){0, NULL};
}
