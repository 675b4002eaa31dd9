/* Binary format decoder (spec chapter 5): bytes -> Module. Checks structure only (and walks
 * every expression with instr_read); everything else is validate.c's job. Messages follow the
 * reference interpreter, whose wording the spec suite expects. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "error.h"
#include "instr.h"

/* Implementation limits (as in V8): more than this is rejected, so that no instruction costs
 * the validator more than a bounded amount of work per byte. */
#define MAX_LOCALS 50000
#define MAX_NESTING 100000 /* blocks, loops and ifs open at once (V8 and wabt take 20,000) */
#define MAX_FUNC_ARITY 1000 /* parameters, and results, of a function type */

typedef struct Decoder {
    Reader r;
    Module *m;
    uint8_t *nest; /* block kinds of the expression being walked */
    size_t nest_cap;
    bool has_func_section;
    bool has_data_section;
    uint32_t ncodes;
    bool uses_data_index; /* some body uses memory.init or data.drop */
} Decoder;

/* Reads a vector count and allocates zeroed room for it. Each element takes at least one
 * byte, so a count above the bytes left is "unexpected end", never a huge allocation. */
static wk_error_t *read_vec(Decoder *d, uint32_t *count, size_t elem_size, void **out)
{
    uint32_t n;
    TRY(reader_u32(&d->r, &n));
    if (n > d->r.end - d->r.pos) return reader_unexpected_end(&d->r);
    *out = calloc(n ? n : 1, elem_size);
    if (!*out) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    *count = n; /* only now: module_free frees `count` entries */
    return NULL;
}

/* valtype (spec 5.3.1), read like the reference's vs7: a continuation bit means a longer
 * LEB128 than the type allows. */
static wk_error_t *read_valtype(Decoder *d, ValType *out)
{
    uint8_t b;
    TRY(reader_u8(&d->r, &b));
    if (b & 0x80) return error_malformed(d->r.pos - 1, "integer representation too long");
    if (!reader_is_valtype(b)) return error_malformed(d->r.pos - 1, "malformed value type");
    *out = b;
    return NULL;
}

static wk_error_t *read_limits(Decoder *d, Limits *out)
{
    uint8_t flags;
    TRY(reader_u8(&d->r, &flags));
    if (flags & 0x80) return error_malformed(d->r.pos - 1, "integer representation too long");
    if (flags > 1) return error_malformed(d->r.pos - 1, "integer too large");
    TRY(reader_u32(&d->r, &out->min));
    out->has_max = flags == 1;
    out->max = UINT32_MAX;
    if (out->has_max) TRY(reader_u32(&d->r, &out->max));
    return NULL;
}

static wk_error_t *read_tabletype(Decoder *d, TableType *out)
{
    TRY(reader_reftype(&d->r, &out->elem));
    return read_limits(d, &out->limits);
}

static wk_error_t *read_globaltype(Decoder *d, GlobalType *out)
{
    TRY(read_valtype(d, &out->type));
    uint8_t mut;
    TRY(reader_u8(&d->r, &mut));
    if (mut > 1) return error_malformed(d->r.pos - 1, "malformed mutability");
    out->mut = mut == 1;
    return NULL;
}

/* ---- Expressions --------------------------------------------------------------------- */

enum { NEST_BLOCK, NEST_IF, NEST_ELSE };

static wk_error_t *nest_push(Decoder *d, size_t depth, uint8_t kind, size_t offset)
{
    if (depth >= MAX_NESTING)
        return error_new(WK_ERROR_INVALID, offset, "nesting too deep (implementation limit %d)",
                         MAX_NESTING);
    if (depth >= d->nest_cap) {
        size_t cap = d->nest_cap ? d->nest_cap * 2 : 64;
        uint8_t *p = realloc(d->nest, cap);
        if (!p) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
        d->nest = p;
        d->nest_cap = cap;
    }
    d->nest[depth] = kind;
    return NULL;
}

/* Walks instructions from r's position up to and including the `end` that closes the
 * expression, checking their encoding and block structure (spec 5.4). */
static wk_error_t *walk_expr(Decoder *d)
{
    size_t depth = 0;
    Instr in;
    for (;;) {
        TRY(instr_read(&d->r, &in));
        const OpInfo *info = &op_info[in.op];
        if (info->flags & OPF_BLOCK) {
            TRY(nest_push(d, depth, in.op == OP_If ? NEST_IF : NEST_BLOCK, in.offset));
            depth++;
        } else if (in.op == OP_Else) {
            if (depth == 0 || d->nest[depth - 1] != NEST_IF)
                return error_malformed(in.offset, "END opcode expected");
            d->nest[depth - 1] = NEST_ELSE;
        } else if (in.op == OP_End) {
            if (depth == 0) return NULL;
            depth--;
        } else if (info->imm == IMM_DATA || info->imm == IMM_DATA_MEM) {
            d->uses_data_index = true;
        }
    }
}

static wk_error_t *read_const_expr(Decoder *d, ConstExpr *out)
{
    size_t start = d->r.pos;
    TRY(walk_expr(d));
    out->offset = (uint32_t)start;
    out->size = (uint32_t)(d->r.pos - start);
    return NULL;
}

/* ---- Sections ------------------------------------------------------------------------ */

/* Reads `count` value types into (*types)[at...], growing the array to at + count. */
static wk_error_t *read_valtypes(Decoder *d, ValType **types, uint32_t at, uint32_t *count,
                                 const char *what)
{
    size_t start = d->r.pos;
    TRY(reader_u32(&d->r, count));
    if (*count > d->r.end - d->r.pos) return reader_unexpected_end(&d->r);
    if (*count > MAX_FUNC_ARITY)
        return error_new(WK_ERROR_RESOURCE, start, "too many %s (limit %d)", what,
                         MAX_FUNC_ARITY);
    ValType *p = realloc(*types, (size_t)at + *count + 1);
    if (!p) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    *types = p;
    for (uint32_t i = 0; i < *count; i++) TRY(read_valtype(d, &p[at + i]));
    return NULL;
}

static wk_error_t *read_functype(Decoder *d, FuncType *ft)
{
    uint8_t form;
    TRY(reader_u8(&d->r, &form));
    if (form & 0x80) return error_malformed(d->r.pos - 1, "integer representation too long");
    if (form != 0x60) return error_malformed(d->r.pos - 1, "malformed functype");
    TRY(read_valtypes(d, &ft->types, 0, &ft->nparams, "parameters"));
    return read_valtypes(d, &ft->types, ft->nparams, &ft->nresults, "results");
}

static wk_error_t *sec_type(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->ntypes, sizeof *m->types, (void **)&m->types));
    for (uint32_t i = 0; i < m->ntypes; i++) TRY(read_functype(d, &m->types[i]));
    return NULL;
}

static wk_error_t *read_import_desc(Decoder *d, Import *im)
{
    uint8_t kind;
    TRY(reader_u8(&d->r, &kind));
    im->kind = kind;
    switch (kind) {
    case WK_EXTERN_FUNC: return reader_u32(&d->r, &im->of.func_type);
    case WK_EXTERN_TABLE: return read_tabletype(d, &im->of.table);
    case WK_EXTERN_MEMORY: return read_limits(d, &im->of.memory);
    case WK_EXTERN_GLOBAL: return read_globaltype(d, &im->of.global);
    default: return error_malformed(d->r.pos - 1, "malformed import kind");
    }
}

/* Fills the per-kind import arrays (module.h) once the imports are read. */
static wk_error_t *index_imports(Module *m)
{
    uint32_t n = m->nimports ? m->nimports : 1;
    m->import_funcs = calloc(n, sizeof *m->import_funcs);
    m->import_tables = calloc(n, sizeof *m->import_tables);
    m->import_memories = calloc(n, sizeof *m->import_memories);
    m->import_globals = calloc(n, sizeof *m->import_globals);
    if (!m->import_funcs || !m->import_tables || !m->import_memories || !m->import_globals)
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    for (uint32_t i = 0; i < m->nimports; i++) {
        const Import *im = &m->imports[i];
        switch (im->kind) {
        case WK_EXTERN_FUNC: m->import_funcs[m->nimported_funcs++] = im->of.func_type; break;
        case WK_EXTERN_TABLE: m->import_tables[m->nimported_tables++] = im->of.table; break;
        case WK_EXTERN_MEMORY:
            m->import_memories[m->nimported_memories++] = im->of.memory;
            break;
        default: m->import_globals[m->nimported_globals++] = im->of.global; break;
        }
    }
    return NULL;
}

static wk_error_t *sec_import(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->nimports, sizeof *m->imports, (void **)&m->imports));
    for (uint32_t i = 0; i < m->nimports; i++) {
        Import *im = &m->imports[i];
        im->offset = (uint32_t)d->r.pos;
        TRY(reader_name(&d->r, &im->module));
        TRY(reader_name(&d->r, &im->name));
        TRY(read_import_desc(d, im));
    }
    return index_imports(m);
}

static wk_error_t *sec_function(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->nfuncs, sizeof *m->funcs, (void **)&m->funcs));
    d->has_func_section = true;
    for (uint32_t i = 0; i < m->nfuncs; i++) TRY(reader_u32(&d->r, &m->funcs[i].type));
    return NULL;
}

static wk_error_t *sec_table(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->ntables, sizeof *m->tables, (void **)&m->tables));
    for (uint32_t i = 0; i < m->ntables; i++) TRY(read_tabletype(d, &m->tables[i]));
    return NULL;
}

static wk_error_t *sec_memory(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->nmemories, sizeof *m->memories, (void **)&m->memories));
    for (uint32_t i = 0; i < m->nmemories; i++) TRY(read_limits(d, &m->memories[i]));
    return NULL;
}

static wk_error_t *sec_global(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->nglobals, sizeof *m->globals, (void **)&m->globals));
    for (uint32_t i = 0; i < m->nglobals; i++) {
        TRY(read_globaltype(d, &m->globals[i].type));
        TRY(read_const_expr(d, &m->globals[i].init));
    }
    return NULL;
}

static wk_error_t *sec_export(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->nexports, sizeof *m->exports, (void **)&m->exports));
    for (uint32_t i = 0; i < m->nexports; i++) {
        Export *ex = &m->exports[i];
        ex->offset = (uint32_t)d->r.pos;
        TRY(reader_name(&d->r, &ex->name));
        TRY(reader_u8(&d->r, &ex->kind));
        if (ex->kind > WK_EXTERN_GLOBAL)
            return error_malformed(d->r.pos - 1, "malformed export kind");
        TRY(reader_u32(&d->r, &ex->index));
    }
    return NULL;
}

static wk_error_t *sec_start(Decoder *d)
{
    d->m->has_start = true;
    return reader_u32(&d->r, &d->m->start);
}

static wk_error_t *read_elem_funcs(Decoder *d, Elem *el)
{
    TRY(read_vec(d, &el->count, sizeof *el->funcs, (void **)&el->funcs));
    for (uint32_t i = 0; i < el->count; i++) TRY(reader_u32(&d->r, &el->funcs[i]));
    return NULL;
}

static wk_error_t *read_elem_exprs(Decoder *d, Elem *el)
{
    TRY(read_vec(d, &el->count, sizeof *el->exprs, (void **)&el->exprs));
    for (uint32_t i = 0; i < el->count; i++) TRY(read_const_expr(d, &el->exprs[i]));
    return NULL;
}

static wk_error_t *read_elemkind(Decoder *d, Elem *el)
{
    uint8_t b;
    TRY(reader_u8(&d->r, &b));
    if (b != 0) return error_malformed(d->r.pos - 1, "malformed element kind");
    el->type = WK_FUNCREF;
    return NULL;
}

/* One element segment (spec 5.5.12): flags bit 0 = passive/declarative, bit 1 = explicit
 * table index (active) or declarative, bit 2 = element expressions instead of indices. */
static wk_error_t *read_elem(Decoder *d, Elem *el)
{
    uint32_t flags;
    size_t at = d->r.pos;
    TRY(reader_u32(&d->r, &flags));
    if (flags > 7) return error_malformed(at, "malformed elements segment kind");
    bool passive_or_decl = flags & 1, explicit_ = flags & 2, exprs = flags & 4;
    el->type = WK_FUNCREF;
    el->table = 0;
    if (!passive_or_decl) {
        el->mode = SEG_ACTIVE;
        if (explicit_) TRY(reader_u32(&d->r, &el->table));
        TRY(read_const_expr(d, &el->offset));
    } else {
        el->mode = explicit_ ? SEG_DECLARATIVE : SEG_PASSIVE;
    }
    if (passive_or_decl || explicit_) {
        if (exprs) TRY(reader_reftype(&d->r, &el->type));
        else TRY(read_elemkind(d, el));
    }
    return exprs ? read_elem_exprs(d, el) : read_elem_funcs(d, el);
}

static wk_error_t *sec_element(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->nelems, sizeof *m->elems, (void **)&m->elems));
    for (uint32_t i = 0; i < m->nelems; i++) TRY(read_elem(d, &m->elems[i]));
    return NULL;
}

static wk_error_t *sec_datacount(Decoder *d)
{
    d->m->has_datacount = true;
    return reader_u32(&d->r, &d->m->datacount);
}

/* The locals declarations of one code entry (spec 5.5.13), expanded into f->locals. */
static wk_error_t *read_locals(Decoder *d, Func *f)
{
    uint32_t ngroups;
    TRY(reader_u32(&d->r, &ngroups));
    if (ngroups > d->r.end - d->r.pos) return reader_unexpected_end(&d->r);
    size_t groups_at = d->r.pos;
    uint64_t total = 0;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n;
        ValType t;
        TRY(reader_u32(&d->r, &n));
        TRY(read_valtype(d, &t));
        total += n;
    }
    if (total > MAX_LOCALS) return error_malformed(groups_at, "too many locals");
    f->locals = malloc(total ? total : 1);
    if (!f->locals) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    d->r.pos = groups_at;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n;
        ValType t;
        TRY(reader_u32(&d->r, &n));
        TRY(read_valtype(d, &t));
        memset(f->locals + f->nlocals, t, n);
        f->nlocals += n;
    }
    return NULL;
}

static wk_error_t *read_code(Decoder *d, Func *f)
{
    f->code_offset = (uint32_t)d->r.pos;
    uint32_t size;
    TRY(reader_len(&d->r, &size));
    size_t start = d->r.pos;
    TRY(read_locals(d, f));
    f->body_offset = (uint32_t)d->r.pos;
    TRY(walk_expr(d));
    if (d->r.pos != start + size) return error_malformed(f->code_offset, "section size mismatch");
    f->body_size = (uint32_t)(d->r.pos - f->body_offset);
    return NULL;
}

static wk_error_t *sec_code(Decoder *d)
{
    Module *m = d->m;
    size_t at = d->r.pos;
    TRY(reader_u32(&d->r, &d->ncodes));
    if (d->ncodes > d->r.end - d->r.pos) return reader_unexpected_end(&d->r);
    if (d->ncodes != m->nfuncs)
        return error_malformed(at, "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < d->ncodes; i++) TRY(read_code(d, &m->funcs[i]));
    return NULL;
}

static wk_error_t *read_data(Decoder *d, Data *seg)
{
    uint32_t flags;
    size_t at = d->r.pos;
    TRY(reader_u32(&d->r, &flags));
    if (flags > 2) return error_malformed(at, "malformed data segment kind");
    seg->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
    seg->memory = 0;
    if (flags == 2) TRY(reader_u32(&d->r, &seg->memory));
    if (flags != 1) TRY(read_const_expr(d, &seg->offset));
    TRY(reader_len(&d->r, &seg->size));
    const uint8_t *p;
    TRY(reader_bytes(&d->r, seg->size, &p));
    seg->bytes_offset = (uint32_t)(p - d->r.base);
    return NULL;
}

static wk_error_t *sec_data(Decoder *d)
{
    Module *m = d->m;
    TRY(read_vec(d, &m->ndatas, sizeof *m->datas, (void **)&m->datas));
    d->has_data_section = true;
    for (uint32_t i = 0; i < m->ndatas; i++) TRY(read_data(d, &m->datas[i]));
    return NULL;
}

/* ---- Custom sections: `name` (spec 7.4) ---------------------------------------------- */

/* The name section's readers report failure as false: a malformed name section is dropped
 * whole (custom sections never make a module malformed). */
static bool name_ok(wk_error_t *err)
{
    wk_error_delete(err);
    return err == NULL;
}

/* A count of entries of at least min_size bytes each that fit in r. */
static bool name_count(Reader *r, uint32_t min_size, uint32_t *n)
{
    return name_ok(reader_u32(r, n)) && (uint64_t)*n * min_size <= r->end - r->pos;
}

/* Function names subsection (id 1): vec(funcidx name). */
static bool read_func_names(Reader *r, NameMap *nm)
{
    uint32_t n;
    if (!name_count(r, 2, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx;
        Name name;
        if (!name_ok(reader_u32(r, &idx)) || !name_ok(reader_name(r, &name))) return false;
        if (idx < nm->nfuncs) nm->func_names[idx] = name;
    }
    return reader_eof(r);
}

/* The local names of one function: vec(localidx name), into a new array. */
static bool read_local_map(Reader *r, LocalName **out, uint32_t *count)
{
    uint32_t n;
    if (!name_count(r, 2, &n)) return false;
    LocalName *map = calloc(n ? n : 1, sizeof *map);
    if (!map) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!name_ok(reader_u32(r, &map[i].index)) || !name_ok(reader_name(r, &map[i].name))) {
            free(map);
            return false;
        }
    }
    *out = map;
    *count = n;
    return true;
}

/* Local names subsection (id 2): vec(funcidx vec(localidx name)). */
static bool read_local_names(Reader *r, NameMap *nm)
{
    uint32_t n;
    if (nm->local_names || !name_count(r, 2, &n)) return false;
    nm->local_names = calloc(nm->nfuncs ? nm->nfuncs : 1, sizeof *nm->local_names);
    nm->nlocal_names = calloc(nm->nfuncs ? nm->nfuncs : 1, sizeof *nm->nlocal_names);
    if (!nm->local_names || !nm->nlocal_names) return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx, count;
        LocalName *map;
        if (!name_ok(reader_u32(r, &idx)) || !read_local_map(r, &map, &count)) return false;
        if (idx >= nm->nfuncs || nm->local_names[idx]) {
            free(map);
            continue;
        }
        nm->local_names[idx] = map;
        nm->nlocal_names[idx] = count;
    }
    return reader_eof(r);
}

static bool read_name_subsections(Reader *r, NameMap *nm)
{
    while (!reader_eof(r)) {
        uint8_t id;
        uint32_t size;
        if (!name_ok(reader_u8(r, &id)) || !name_ok(reader_len(r, &size))) return false;
        if (size > r->end - r->pos) return false;
        Reader sub = {r->base, r->pos, r->pos + size};
        r->pos += size;
        if (id == 0 && !name_ok(reader_name(&sub, &nm->module))) return false;
        if (id == 1 && !read_func_names(&sub, nm)) return false;
        if (id == 2 && !read_local_names(&sub, nm)) return false;
    }
    return true;
}

/* Parses the name section in r into d->m->names (the first name section wins). */
static void read_name_section(Decoder *d, Reader *r)
{
    if (d->m->names.func_names) return;
    NameMap nm = {{0, NULL}, module_func_count(d->m), NULL, NULL, NULL};
    nm.func_names = calloc(nm.nfuncs ? nm.nfuncs : 1, sizeof *nm.func_names);
    if (nm.func_names && read_name_subsections(r, &nm)) d->m->names = nm;
    else name_map_free(&nm);
}

static wk_error_t *sec_custom(Decoder *d, size_t end)
{
    /* A size field may claim a few bytes past the input (see reader_len). */
    Reader r = {d->r.base, d->r.pos, end < d->r.end ? end : d->r.end};
    Name name;
    TRY(reader_name(&r, &name));
    if (end > d->r.end)
        return error_malformed(d->r.end, "unexpected end of section or function");
    if (name.size == 4 && memcmp(name.data, "name", 4) == 0) read_name_section(d, &r);
    d->r.pos = end;
    return NULL;
}

/* ---- Module -------------------------------------------------------------------------- */

/* Position of each non-custom section id in the required order (spec 5.5.2); data count
 * (12) sits between element and code. */
static int section_rank(uint8_t id)
{
    return id == SEC_DATACOUNT ? SEC_ELEMENT + 1 : id > SEC_ELEMENT ? id + 1 : id;
}

static wk_error_t *read_section_body(Decoder *d, uint8_t id, size_t end)
{
    switch (id) {
    case SEC_CUSTOM: return sec_custom(d, end);
    case SEC_TYPE: return sec_type(d);
    case SEC_IMPORT: return sec_import(d);
    case SEC_FUNCTION: return sec_function(d);
    case SEC_TABLE: return sec_table(d);
    case SEC_MEMORY: return sec_memory(d);
    case SEC_GLOBAL: return sec_global(d);
    case SEC_EXPORT: return sec_export(d);
    case SEC_START: return sec_start(d);
    case SEC_ELEMENT: return sec_element(d);
    case SEC_CODE: return sec_code(d);
    case SEC_DATA: return sec_data(d);
    default: return sec_datacount(d);
    }
}

static wk_error_t *read_sections(Decoder *d)
{
    int last = 0;
    while (!reader_eof(&d->r)) {
        size_t at = d->r.pos;
        uint8_t id = d->r.base[d->r.pos++];
        if (id > SEC_DATACOUNT) return error_malformed(at, "malformed section id");
        uint32_t size;
        TRY(reader_len(&d->r, &size));
        size_t end = d->r.pos + size;
        if (id != SEC_CUSTOM) {
            if (section_rank(id) <= last)
                return error_malformed(at, "unexpected content after last section");
            last = section_rank(id);
            d->m->section_offsets[id] = (uint32_t)at;
        }
        TRY(read_section_body(d, id, end));
        if (d->r.pos != end) return error_malformed(at, "section size mismatch");
    }
    return d->m->import_funcs ? NULL : index_imports(d->m);
}

static wk_error_t *read_header(Decoder *d)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D}, version[4] = {1, 0, 0, 0};
    const uint8_t *p;
    if (d->r.end < 4) return error_malformed(d->r.end, "unexpected end");
    reader_bytes(&d->r, 4, &p);
    if (memcmp(p, magic, 4) != 0) return error_malformed(0, "magic header not detected");
    if (d->r.end < 8) return error_malformed(d->r.end, "unexpected end");
    reader_bytes(&d->r, 4, &p);
    if (memcmp(p, version, 4) != 0) return error_malformed(4, "unknown binary version");
    return NULL;
}

static wk_error_t *decode(Decoder *d)
{
    TRY(read_header(d));
    TRY(read_sections(d));
    size_t end = d->r.end;
    if (d->has_func_section && d->m->nfuncs != d->ncodes)
        return error_malformed(end, "function and code section have inconsistent lengths");
    if (d->m->has_datacount && d->m->datacount != d->m->ndatas)
        return error_malformed(end, "data count and data section have inconsistent lengths");
    /* Without a data section, memory.init and data.drop are left to the validator ("unknown
     * data segment"): text-format converters omit the data count section then. */
    if (!d->m->has_datacount && d->uses_data_index && d->has_data_section)
        return error_malformed(end, "data count section required");
    return NULL;
}

wk_error_t *decode_module(const uint8_t *bytes, size_t size, Module **out)
{
    /* Module offsets are 32-bit. */
    if (size > UINT32_MAX)
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "module too large (limit 4 GiB)");
    Module *m = calloc(1, sizeof *m);
    if (m) m->bytes = malloc(size ? size : 1);
    if (!m || !m->bytes) {
        free(m);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    if (size) memcpy(m->bytes, bytes, size);
    m->size = size;
    Decoder d = {.r = {m->bytes, 0, size}, .m = m};
    wk_error_t *err = decode(&d);
    free(d.nest);
    if (err) {
        module_free(m);
        return err;
    }
    *out = m;
    return NULL;
}
