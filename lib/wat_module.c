/* Text-format modules (spec 6.6) to binary: identifier binding over all fields (pass 1), type
 * definitions (pass 2), then every other field in order into its section (pass 3), with the
 * inline import/export/elem/data abbreviations. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "wat_parse.h"

/* ---- Token helpers ------------------------------------------------------------------------ */

bool wat_fail(Wat *w, const char *fmt, ...)
{
    if (w->err) return false;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->err = wat_error(w->t, w->pos, "%s", msg);
    return false;
}

bool wat_unexpected(Wat *w)
{
    size_t len;
    const char *s = wat_text(w, &len);
    if (wat_peek(w) == TOK_EOF) return wat_fail(w, "unexpected end of input");
    /* the reference interpreter's lexer reports any reserved token (e.g. "a""b", 0$x) so */
    if (wat_peek(w) == TOK_RESERVED)
        return wat_fail(w, "unknown operator %.*s", (int)(len > 40 ? 40 : len), s);
    return wat_fail(w, "unexpected token \"%.*s\"", (int)(len > 40 ? 40 : len), s);
}

TokKind wat_peek(const Wat *w)
{
    return w->pos < w->t->count ? (TokKind)w->t->toks[w->pos].kind : TOK_EOF;
}

const char *wat_text(const Wat *w, size_t *len)
{
    const Token *k = &w->t->toks[w->pos < w->t->count ? w->pos : w->t->count];
    *len = k->len;
    return w->t->src + k->off;
}

bool wat_lpar(Wat *w)
{
    if (wat_peek(w) != TOK_LPAR) return wat_unexpected(w);
    w->pos++;
    return true;
}

bool wat_rpar(Wat *w)
{
    if (wat_peek(w) != TOK_RPAR) return wat_unexpected(w);
    w->pos++;
    return true;
}

bool wat_at_open(const Wat *w, const char *kw)
{
    return wat_is_open(w->t, w->pos, kw);
}

bool wat_open(Wat *w, const char *kw)
{
    if (!wat_at_open(w, kw)) return false;
    w->pos += 2;
    return true;
}

bool wat_keyword(Wat *w, const char *kw)
{
    if (!wat_is_keyword(w->t, w->pos, kw)) return false;
    w->pos++;
    return true;
}

bool wat_at_index(const Wat *w)
{
    TokKind k = wat_peek(w);
    return k == TOK_NUM || k == TOK_ID;
}

static bool same_id(const Ident *id, const char *s, size_t len)
{
    return id->len == len && memcmp(id->s, s, len) == 0;
}

bool wat_index(Wat *w, Space *sp, uint32_t *out)
{
    size_t len;
    const char *s = wat_text(w, &len);
    if (wat_peek(w) == TOK_NUM) {
        uint64_t v;
        NumResult r = wat_uint(w->t, w->pos, 32, &v);
        if (r == NUM_RANGE) return wat_fail(w, "constant out of range");
        if (r != NUM_OK) return wat_fail(w, "unknown operator %.*s", (int)len, s);
        *out = (uint32_t)v;
        w->pos++;
        return true;
    }
    if (wat_peek(w) != TOK_ID) return wat_unexpected(w);
    for (uint32_t i = sp->nids; i-- > 0;) {
        if (same_id(&sp->ids[i], s, len)) {
            *out = sp->ids[i].index;
            w->pos++;
            return true;
        }
    }
    return wat_fail(w, "unknown %s %.*s", sp->what, (int)len, s);
}

bool wat_bind(Wat *w, Space *sp, size_t tok, uint32_t index)
{
    if (!tok || w->t->toks[tok].kind != TOK_ID) return true;
    const char *s = w->t->src + w->t->toks[tok].off;
    uint32_t len = w->t->toks[tok].len;
    for (uint32_t i = 0; i < sp->nids; i++) {
        if (same_id(&sp->ids[i], s, len)) {
            size_t save = w->pos;
            w->pos = tok;
            wat_fail(w, "duplicate %s %.*s", sp->what, (int)len, s);
            w->pos = save;
            return false;
        }
    }
    if (sp->nids == sp->cap) {
        sp->cap = sp->cap ? 2 * sp->cap : 16;
        sp->ids = realloc(sp->ids, sp->cap * sizeof *sp->ids);
        if (!sp->ids) abort();
    }
    sp->ids[sp->nids++] = (Ident){s, len, index};
    return true;
}

bool wat_name(Wat *w, uint8_t **out, size_t *len)
{
    if (wat_peek(w) != TOK_STRING) return wat_unexpected(w);
    if (!wat_string(w->t, w->pos, out, len)) return wat_fail(w, "out of memory");
    if (!wat_utf8_valid(*out, *len)) {
        free(*out);
        return wat_fail(w, "malformed UTF-8 encoding");
    }
    w->pos++;
    return true;
}

/* Writes a name string (vec(byte)) into b. */
static bool put_name(Wat *w, WatBuf *b)
{
    uint8_t *s;
    size_t len;
    if (!wat_name(w, &s, &len)) return false;
    buf_name(b, s, len);
    free(s);
    return true;
}

/* ---- Pass 1: identifiers and index spaces ------------------------------------------------- */

static const struct {
    const char *kw;
    int space;
    uint8_t kind; /* import/export kind byte */
} fields[] = {
    {"func", SPACE_FUNC, 0},     {"table", SPACE_TABLE, 1}, {"memory", SPACE_MEM, 2},
    {"global", SPACE_GLOBAL, 3}, {"tag", SPACE_TAG, 4},
};

static int field_kind(const Wat *w, size_t tok)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (wat_is_keyword(w->t, tok, fields[i].kw)) return (int)i;
    return -1;
}

typedef struct Scan {
    const char *first_def; /* the first defined func/table/memory/global, for the import rule */
    uint32_t imports[SPACE_COUNT];
} Scan;

/* After `(kw $id?`: skips inline exports; true when an inline import follows. */
static size_t after_exports(const Wat *w, size_t i)
{
    while (wat_is_open(w->t, i, "export")) i = wat_skip(w->t, i);
    return i;
}

static bool scan_import(Wat *w, Scan *sc, const char *kind_name, int space, size_t id_tok)
{
    if (sc->first_def) return wat_fail(w, "import after %s", sc->first_def);
    sc->imports[space]++;
    return wat_bind(w, &w->spaces[space], id_tok, w->spaces[space].count++);
    (void)kind_name;
}

static const char *def_name(int k)
{
    static const char *const names[] = {"function", "table", "memory", "global", "tag"};
    return names[k];
}

/* A func/table/memory/global/tag field starting at w->pos (the `(`). */
static bool scan_entity(Wat *w, Scan *sc, int k)
{
    int space = fields[k].space;
    size_t i = w->pos + 2, id_tok = 0;
    if (w->t->toks[i].kind == TOK_ID) id_tok = i++;
    i = after_exports(w, i);
    if (wat_is_open(w->t, i, "import")) {
        size_t save = w->pos;
        bool ok = scan_import(w, sc, def_name(k), space, id_tok);
        w->pos = save;
        return ok;
    }
    if (!sc->first_def) sc->first_def = def_name(k);
    if (!wat_bind(w, &w->spaces[space], id_tok, w->spaces[space].count++)) return false;
    /* inline (elem ...) and (data ...) make a segment */
    for (size_t j = i; j < wat_skip(w->t, w->pos) - 1; j = wat_skip(w->t, j)) {
        if (space == SPACE_TABLE && wat_is_open(w->t, j, "elem")) w->spaces[SPACE_ELEM].count++;
        if (space == SPACE_MEM && wat_is_open(w->t, j, "data")) w->spaces[SPACE_DATA].count++;
    }
    return true;
}

static bool scan_field(Wat *w, Scan *sc)
{
    size_t kw = w->pos + 1, id = w->t->toks[w->pos + 2].kind == TOK_ID ? w->pos + 2 : 0;
    int k = field_kind(w, kw);
    if (k >= 0) return scan_entity(w, sc, k);
    if (wat_is_keyword(w->t, kw, "type"))
        return wat_bind(w, &w->spaces[SPACE_TYPE], id, w->spaces[SPACE_TYPE].count++);
    if (wat_is_keyword(w->t, kw, "elem"))
        return wat_bind(w, &w->spaces[SPACE_ELEM], id, w->spaces[SPACE_ELEM].count++);
    if (wat_is_keyword(w->t, kw, "data"))
        return wat_bind(w, &w->spaces[SPACE_DATA], id, w->spaces[SPACE_DATA].count++);
    if (wat_is_keyword(w->t, kw, "import")) {
        size_t d = w->pos + 2;
        while (w->t->toks[d].kind == TOK_STRING) d++;
        int dk = w->t->toks[d].kind == TOK_LPAR ? field_kind(w, d + 1) : -1;
        if (dk < 0) return true; /* reported by pass 3 */
        size_t did = w->t->toks[d + 2].kind == TOK_ID ? d + 2 : 0;
        return scan_import(w, sc, def_name(dk), fields[dk].space, did);
    }
    if (wat_is_keyword(w->t, kw, "export") || wat_is_keyword(w->t, kw, "start")) return true;
    w->pos++;
    return wat_unexpected(w);
}

/* ---- Pass 3: fields ----------------------------------------------------------------------- */

typedef struct Fields {
    uint32_t next[SPACE_COUNT]; /* next defined index per space (after the imports) */
    uint32_t next_import[SPACE_COUNT];
} Fields;

/* `(export "name")*` for entity kind/index: export entries. */
static bool inline_exports(Wat *w, uint8_t kind, uint32_t index)
{
    Section *s = &w->secs[SEC_EXPORT];
    while (wat_open(w, "export")) {
        if (!put_name(w, &s->body)) return false;
        buf_byte(&s->body, kind);
        buf_u32(&s->body, index);
        s->count++;
        if (!wat_rpar(w)) return false;
    }
    return true;
}

/* globaltype: valtype | (mut valtype). */
static bool global_type(Wat *w, WatBuf *b)
{
    ValEnc v;
    bool mut = wat_open(w, "mut");
    if (!wat_valtype(w, &v)) return false;
    if (mut && !wat_rpar(w)) return false;
    wat_put_valtype(b, &v);
    buf_byte(b, mut ? 1 : 0);
    return true;
}

/* An optional address type (memory64 / table64, 3.0): true for i64. */
static bool addr_type(Wat *w)
{
    if (wat_keyword(w, "i64")) return true;
    wat_keyword(w, "i32");
    return false;
}

static bool table_type(Wat *w, WatBuf *b)
{
    bool wide = addr_type(w);
    WatBuf lim = {0};
    ValEnc v;
    bool ok = wat_limits(w, &lim, wide, NULL) && wat_reftype(w, &v);
    if (ok) {
        wat_put_valtype(b, &v);
        buf_bytes(b, lim.data, lim.len);
    }
    buf_free(&lim);
    return ok;
}

static bool memory_type(Wat *w, WatBuf *b)
{
    bool wide = addr_type(w);
    return wat_limits(w, b, wide, NULL);
}

/* The description of an import of kind k into b (after `(kw $id?`), up to its `)`. */
static bool import_desc(Wat *w, int k, WatBuf *b)
{
    uint32_t type;
    buf_byte(b, fields[k].kind);
    switch (fields[k].space) {
    case SPACE_FUNC:
        if (!wat_typeuse(w, &type, false)) return false;
        buf_u32(b, type);
        break;
    case SPACE_TAG:
        if (!wat_typeuse(w, &type, false)) return false;
        buf_byte(b, 0);
        buf_u32(b, type);
        break;
    case SPACE_TABLE: if (!table_type(w, b)) return false; break;
    case SPACE_MEM: if (!memory_type(w, b)) return false; break;
    default: if (!global_type(w, b)) return false; break;
    }
    return wat_rpar(w);
}

/* `(import "m" "n")` of an inline import: writes the two names to the import section. */
static bool inline_import(Wat *w, int k)
{
    Section *s = &w->secs[SEC_IMPORT];
    if (!put_name(w, &s->body) || !put_name(w, &s->body) || !wat_rpar(w)) return false;
    s->count++;
    return import_desc(w, k, &s->body);
}

static bool field_import(Wat *w, Fields *f)
{
    Section *s = &w->secs[SEC_IMPORT];
    if (!put_name(w, &s->body) || !put_name(w, &s->body)) return false;
    if (!wat_lpar(w)) return false;
    int k = field_kind(w, w->pos);
    if (k < 0) return wat_unexpected(w);
    w->pos++;
    if (wat_peek(w) == TOK_ID) w->pos++;
    f->next_import[fields[k].space]++;
    s->count++;
    return import_desc(w, k, &s->body) && wat_rpar(w);
}

/* Local declarations `(local $x t)` / `(local t*)` into groups of (count, type). */
static bool locals(Wat *w, WatBuf *out)
{
    ValEnc *types = NULL;
    uint32_t n = 0;
    bool ok = true;
    while (ok && wat_open(w, "local")) {
        size_t id = wat_peek(w) == TOK_ID ? w->pos++ : 0;
        while (ok && wat_peek(w) != TOK_RPAR) {
            types = realloc(types, (n + 1) * sizeof *types);
            if (!types) abort();
            ok = wat_valtype(w, &types[n]) && wat_bind(w, &w->locals, id, w->locals.count);
            n++;
            w->locals.count++;
            if (id) break;
        }
        ok = ok && wat_rpar(w);
    }
    uint32_t groups = 0;
    for (uint32_t i = 0; i < n; i++)
        groups += i == 0 || types[i].n != types[i - 1].n ||
                  memcmp(types[i].b, types[i - 1].b, types[i].n) != 0;
    buf_u32(out, groups);
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i + 1;
        while (j < n && types[j].n == types[i].n && memcmp(types[j].b, types[i].b, types[i].n) == 0)
            j++;
        buf_u32(out, j - i);
        wat_put_valtype(out, &types[i]);
        i = j;
    }
    free(types);
    return ok;
}

static void reset_function(Wat *w)
{
    w->locals.count = 0;
    w->locals.nids = 0;
    w->nlabels = 0;
}

static bool field_func(Wat *w, Fields *f)
{
    uint32_t index = f->next[SPACE_FUNC];
    if (wat_peek(w) == TOK_ID) w->pos++;
    size_t exports = w->pos;
    w->pos = after_exports(w, w->pos);
    bool imported = wat_open(w, "import");
    size_t body = w->pos;
    if (imported) index = f->next_import[SPACE_FUNC]++;
    else f->next[SPACE_FUNC]++;
    w->pos = exports;
    if (!inline_exports(w, 0, index)) return false;
    w->pos = body;
    if (imported) return inline_import(w, 0);
    reset_function(w);
    uint32_t type;
    if (!wat_typeuse(w, &type, true)) return false;
    buf_u32(&w->secs[SEC_FUNCTION].body, type);
    w->secs[SEC_FUNCTION].count++;
    WatBuf code = {0};
    bool ok = locals(w, &code) && wat_instrs(w, &code) && wat_rpar(w);
    buf_byte(&code, 0x0B);
    Section *s = &w->secs[SEC_CODE];
    buf_u32(&s->body, (uint32_t)code.len);
    buf_bytes(&s->body, code.data, code.len);
    s->count++;
    buf_free(&code);
    return ok;
}

/* The offset of an active segment: `(offset instr*)` or one folded instruction. */
static bool segment_offset(Wat *w, WatBuf *b)
{
    if (wat_open(w, "offset")) return wat_expr(w, b) && wat_rpar(w);
    bool ok = wat_folded_instr(w, b);
    buf_byte(b, 0x0B);
    return ok;
}

/* One element expression: `(item instr*)` or one folded instruction. */
static bool elem_item(Wat *w, WatBuf *b)
{
    if (wat_open(w, "item")) return wat_expr(w, b) && wat_rpar(w);
    return segment_offset(w, b);
}

/* Element list (spec 6.6.9): `func x*`, `reftype item*`, or (legacy) `x*`. Writes the items
 * (indices or expressions) into items and sets *exprs, *count, *type. */
static bool elem_list(Wat *w, WatBuf *items, bool *exprs, uint32_t *count, ValEnc *type)
{
    *count = 0;
    type->n = 1;
    type->b[0] = 0x70;
    *exprs = false;
    if (!wat_keyword(w, "func") && wat_at_valtype(w)) {
        if (!wat_reftype(w, type)) return false;
        *exprs = true;
    } else if (wat_peek(w) == TOK_LPAR) {
        *exprs = true; /* expressions without a type: inline (elem ...) of a table */
    }
    while (wat_peek(w) != TOK_RPAR) {
        if (*exprs) {
            if (!elem_item(w, items)) return false;
        } else {
            uint32_t x;
            if (!wat_index(w, &w->spaces[SPACE_FUNC], &x)) return false;
            buf_u32(items, x);
        }
        (*count)++;
    }
    return true;
}

/* True when every expression of items is `ref.func x end`: their indices then go to funcs
 * (the index encoding, as wabt writes such a segment). */
static bool only_ref_funcs(const WatBuf *items, uint32_t count, WatBuf *funcs)
{
    size_t i = 0;
    for (uint32_t k = 0; k < count; k++) {
        if (i >= items->len || items->data[i++] != 0xD2) return false;
        size_t start = i;
        while (i < items->len && items->data[i] & 0x80) i++;
        if (++i >= items->len || items->data[i] != 0x0B) return false;
        buf_bytes(funcs, items->data + start, i - start);
        i++;
    }
    return i == items->len;
}

static void put_elem(Wat *w, uint8_t mode, uint32_t table, const WatBuf *offset, bool exprs,
                     const ValEnc *type, uint32_t count, const WatBuf *items)
{
    Section *s = &w->secs[SEC_ELEMENT];
    bool funcref = type->n == 1 && type->b[0] == 0x70;
    WatBuf funcs = {0};
    if (exprs && funcref && only_ref_funcs(items, count, &funcs)) {
        put_elem(w, mode, table, offset, false, type, count, &funcs);
        buf_free(&funcs);
        return;
    }
    buf_free(&funcs);
    uint8_t flags = (uint8_t)(exprs ? 4 : 0);
    if (mode == SEG_PASSIVE) flags |= 1;
    else if (mode == SEG_DECLARATIVE) flags |= 3;
    else if (table != 0 || !funcref) flags |= 2;
    buf_byte(&s->body, flags);
    if (flags & 2 && mode == SEG_ACTIVE) buf_u32(&s->body, table);
    if (mode == SEG_ACTIVE) buf_bytes(&s->body, offset->data, offset->len);
    if (flags & 3) {
        if (exprs) wat_put_valtype(&s->body, type);
        else buf_byte(&s->body, 0x00);
    }
    buf_u32(&s->body, count);
    buf_bytes(&s->body, items->data, items->len);
    s->count++;
}

static bool field_elem(Wat *w)
{
    if (wat_peek(w) == TOK_ID) w->pos++;
    uint8_t mode = SEG_PASSIVE;
    uint32_t table = 0;
    WatBuf offset = {0}, items = {0};
    bool ok = true;
    if (wat_keyword(w, "declare")) {
        mode = SEG_DECLARATIVE;
    } else {
        if (wat_open(w, "table")) {
            ok = wat_index(w, &w->spaces[SPACE_TABLE], &table) && wat_rpar(w);
            mode = SEG_ACTIVE;
        } else if (wat_peek(w) == TOK_NUM) {
            ok = wat_index(w, &w->spaces[SPACE_TABLE], &table);
            mode = SEG_ACTIVE;
        }
        if (ok && wat_peek(w) == TOK_LPAR && !wat_at_valtype(w)) {
            ok = segment_offset(w, &offset);
            mode = SEG_ACTIVE;
        }
    }
    bool exprs;
    uint32_t count;
    ValEnc type;
    ok = ok && elem_list(w, &items, &exprs, &count, &type) && wat_rpar(w);
    if (ok) put_elem(w, mode, table, &offset, exprs, &type, count, &items);
    buf_free(&offset);
    buf_free(&items);
    return ok;
}

/* Data strings up to `)`, concatenated into b (vec(byte)); *len gets the byte count. */
static bool data_strings(Wat *w, WatBuf *b, size_t *len)
{
    WatBuf all = {0};
    while (wat_peek(w) == TOK_STRING) {
        uint8_t *s;
        size_t n;
        if (!wat_string(w->t, w->pos++, &s, &n)) abort();
        buf_bytes(&all, s, n);
        free(s);
    }
    buf_name(b, all.data, all.len);
    *len = all.len;
    buf_free(&all);
    return wat_rpar(w);
}

static bool field_data(Wat *w)
{
    if (wat_peek(w) == TOK_ID) w->pos++;
    Section *s = &w->secs[SEC_DATA];
    WatBuf head = {0};
    uint32_t mem = 0;
    bool ok = true, active = false;
    if (wat_open(w, "memory")) {
        ok = wat_index(w, &w->spaces[SPACE_MEM], &mem) && wat_rpar(w);
        active = true;
    } else if (wat_at_index(w)) {
        ok = wat_index(w, &w->spaces[SPACE_MEM], &mem);
        active = true;
    }
    WatBuf offset = {0};
    if (ok && (active || wat_peek(w) == TOK_LPAR)) {
        ok = segment_offset(w, &offset);
        active = true;
    }
    if (!active) buf_byte(&head, 1);
    else if (mem == 0) buf_byte(&head, 0);
    else {
        buf_byte(&head, 2);
        buf_u32(&head, mem);
    }
    buf_bytes(&head, offset.data, offset.len);
    size_t len;
    ok = ok && data_strings(w, &head, &len);
    if (ok) {
        buf_bytes(&s->body, head.data, head.len);
        s->count++;
    }
    buf_free(&head);
    buf_free(&offset);
    return ok;
}

/* Table field after `(table $id?`. */
static bool field_table(Wat *w, Fields *f)
{
    if (wat_peek(w) == TOK_ID) w->pos++;
    size_t exports = w->pos;
    w->pos = after_exports(w, w->pos);
    bool imported = wat_open(w, "import");
    size_t body = w->pos;
    uint32_t index = imported ? f->next_import[SPACE_TABLE]++ : f->next[SPACE_TABLE]++;
    w->pos = exports;
    if (!inline_exports(w, 1, index)) return false;
    w->pos = body;
    if (imported) return inline_import(w, 0 + 1);
    Section *s = &w->secs[SEC_TABLE];
    s->count++;
    if (wat_at_valtype(w)) { /* reftype (elem ...) */
        ValEnc type, etype;
        WatBuf items = {0}, offset = {0};
        bool exprs;
        uint32_t count;
        bool ok = wat_reftype(w, &type) && (wat_open(w, "elem") || wat_unexpected(w)) &&
                  elem_list(w, &items, &exprs, &count, &etype) && wat_rpar(w) && wat_rpar(w);
        if (ok) {
            wat_put_valtype(&s->body, &type);
            buf_byte(&s->body, 1);
            buf_u32(&s->body, count);
            buf_u32(&s->body, count);
            buf_bytes(&offset, "\x41\x00\x0B", 3);
            put_elem(w, SEG_ACTIVE, index, &offset, exprs, exprs ? &etype : &type, count, &items);
        }
        buf_free(&items);
        buf_free(&offset);
        return ok;
    }
    WatBuf tt = {0};
    bool ok = table_type(w, &tt);
    if (ok && wat_peek(w) != TOK_RPAR) { /* 3.0: an initialiser expression */
        buf_bytes(&s->body, "\x40\x00", 2);
        buf_bytes(&s->body, tt.data, tt.len);
        ok = wat_expr(w, &s->body);
    } else {
        buf_bytes(&s->body, tt.data, tt.len);
    }
    buf_free(&tt);
    return ok && wat_rpar(w);
}

static bool field_memory(Wat *w, Fields *f)
{
    if (wat_peek(w) == TOK_ID) w->pos++;
    size_t exports = w->pos;
    w->pos = after_exports(w, w->pos);
    bool imported = wat_open(w, "import");
    size_t body = w->pos;
    uint32_t index = imported ? f->next_import[SPACE_MEM]++ : f->next[SPACE_MEM]++;
    w->pos = exports;
    if (!inline_exports(w, 2, index)) return false;
    w->pos = body;
    if (imported) return inline_import(w, 2);
    Section *s = &w->secs[SEC_MEMORY];
    s->count++;
    bool wide = addr_type(w);
    if (!wat_open(w, "data")) return wat_limits(w, &s->body, wide, NULL) && wat_rpar(w);
    Section *d = &w->secs[SEC_DATA];
    WatBuf head = {0};
    if (index == 0) buf_byte(&head, 0);
    else {
        buf_byte(&head, 2);
        buf_u32(&head, index);
    }
    buf_bytes(&head, wide ? "\x42\x00\x0B" : "\x41\x00\x0B", 3);
    size_t len;
    bool ok = data_strings(w, &head, &len) && wat_rpar(w);
    if (ok) {
        uint64_t pages = (len + 65535) / 65536;
        buf_byte(&s->body, wide ? 5 : 1);
        buf_u64(&s->body, pages);
        buf_u64(&s->body, pages);
        buf_bytes(&d->body, head.data, head.len);
        d->count++;
    }
    buf_free(&head);
    return ok;
}

static bool field_global(Wat *w, Fields *f)
{
    if (wat_peek(w) == TOK_ID) w->pos++;
    size_t exports = w->pos;
    w->pos = after_exports(w, w->pos);
    bool imported = wat_open(w, "import");
    size_t body = w->pos;
    uint32_t index = imported ? f->next_import[SPACE_GLOBAL]++ : f->next[SPACE_GLOBAL]++;
    w->pos = exports;
    if (!inline_exports(w, 3, index)) return false;
    w->pos = body;
    if (imported) return inline_import(w, 3);
    Section *s = &w->secs[SEC_GLOBAL];
    s->count++;
    return global_type(w, &s->body) && wat_expr(w, &s->body) && wat_rpar(w);
}

static bool field_tag(Wat *w, Fields *f)
{
    if (wat_peek(w) == TOK_ID) w->pos++;
    size_t exports = w->pos;
    w->pos = after_exports(w, w->pos);
    bool imported = wat_open(w, "import");
    size_t body = w->pos;
    uint32_t index = imported ? f->next_import[SPACE_TAG]++ : f->next[SPACE_TAG]++;
    w->pos = exports;
    if (!inline_exports(w, 4, index)) return false;
    w->pos = body;
    if (imported) return inline_import(w, 4);
    Section *s = &w->secs[SEC_TAG];
    uint32_t type;
    s->count++;
    buf_byte(&s->body, 0);
    if (!wat_typeuse(w, &type, false)) return false;
    buf_u32(&s->body, type);
    return wat_rpar(w);
}

static bool field_export(Wat *w)
{
    Section *s = &w->secs[SEC_EXPORT];
    if (!put_name(w, &s->body) || !wat_lpar(w)) return false;
    int k = field_kind(w, w->pos);
    if (k < 0) return wat_unexpected(w);
    w->pos++;
    uint32_t index;
    if (!wat_index(w, &w->spaces[fields[k].space], &index)) return false;
    buf_byte(&s->body, fields[k].kind);
    buf_u32(&s->body, index);
    s->count++;
    return wat_rpar(w) && wat_rpar(w);
}

static bool field_start(Wat *w)
{
    uint32_t index;
    if (w->has_start) return wat_fail(w, "multiple start sections");
    if (!wat_index(w, &w->spaces[SPACE_FUNC], &index)) return false;
    w->has_start = true;
    buf_u32(&w->secs[SEC_START].body, index);
    return wat_rpar(w);
}

static bool field(Wat *w, Fields *f)
{
    size_t start = w->pos;
    if (!wat_lpar(w)) return false;
    const char *kw[] = {"type", "import", "func", "table", "memory", "global",
                        "export", "start", "elem", "data", "tag"};
    size_t k = 0;
    while (k < sizeof kw / sizeof kw[0] && !wat_is_keyword(w->t, w->pos, kw[k])) k++;
    if (k == sizeof kw / sizeof kw[0]) return wat_unexpected(w);
    w->pos++;
    switch (k) {
    case 0: w->pos = wat_skip(w->t, start); return true;
    case 1: return field_import(w, f);
    case 2: return field_func(w, f);
    case 3: return field_table(w, f);
    case 4: return field_memory(w, f);
    case 5: return field_global(w, f);
    case 6: return field_export(w);
    case 7: return field_start(w);
    case 8: return field_elem(w);
    case 9: return field_data(w);
    default: return field_tag(w, f);
    }
}

/* ---- Assembly ----------------------------------------------------------------------------- */

static void put_types(Wat *w, WatBuf *b)
{
    for (uint32_t i = 0; i < w->ntypes; i++) {
        const TypeDef *d = &w->types[i];
        buf_byte(b, 0x60);
        buf_u32(b, d->nparams);
        for (uint32_t j = 0; j < d->nparams; j++) wat_put_valtype(b, &d->params[j]);
        buf_u32(b, d->nresults);
        for (uint32_t j = 0; j < d->nresults; j++) wat_put_valtype(b, &d->results[j]);
    }
    w->secs[SEC_TYPE].count = w->ntypes;
}

static void put_section(WatBuf *out, uint8_t id, const Section *s, bool counted)
{
    WatBuf body = {0};
    if (counted) buf_u32(&body, s->count);
    buf_bytes(&body, s->body.data, s->body.len);
    buf_byte(out, id);
    buf_u32(out, (uint32_t)body.len);
    buf_bytes(out, body.data, body.len);
    buf_free(&body);
}

static void assemble(Wat *w, WatBuf *out)
{
    static const uint8_t order[] = {SEC_TYPE,   SEC_IMPORT, SEC_FUNCTION, SEC_TABLE,
                                    SEC_MEMORY, SEC_TAG,    SEC_GLOBAL,   SEC_EXPORT,
                                    SEC_START,  SEC_ELEMENT, SEC_DATACOUNT, SEC_CODE,
                                    SEC_DATA};
    put_types(w, &w->secs[SEC_TYPE].body);
    w->secs[SEC_DATACOUNT].count = w->secs[SEC_DATA].count;
    buf_bytes(out, "\0asm\1\0\0\0", 8);
    for (size_t i = 0; i < sizeof order; i++) {
        uint8_t id = order[i];
        const Section *s = &w->secs[id];
        if (id == SEC_START) {
            if (w->has_start) put_section(out, id, s, false);
        } else if (id == SEC_DATACOUNT) {
            if (w->uses_data_count && s->count) put_section(out, id, s, true);
        } else if (s->count || (id == SEC_CODE && w->secs[SEC_FUNCTION].count)) {
            put_section(out, id, s, true);
        }
    }
}

static void wat_free(Wat *w)
{
    for (int i = 0; i < SPACE_COUNT; i++) free(w->spaces[i].ids);
    free(w->locals.ids);
    for (uint32_t i = 0; i < w->ntypes; i++) wat_typedef_free(&w->types[i]);
    free(w->types);
    for (int i = 0; i <= SEC_MAX_ID; i++) buf_free(&w->secs[i].body);
    free(w->labels);
}

static void wat_init(Wat *w, const Tokens *t, size_t pos)
{
    static const char *const what[SPACE_COUNT] = {"type", "func", "table", "memory",
                                                  "global", "elem", "data", "tag"};
    memset(w, 0, sizeof *w);
    w->t = t;
    w->pos = pos;
    for (int i = 0; i < SPACE_COUNT; i++) w->spaces[i].what = what[i];
    w->locals.what = "local";
}

static bool fields_in(Wat *w, size_t first, size_t end);

/* Passes 1 and 2 over the fields in [first, *end). A stray token ends the fields early
 * (*end moves to it), so that errors inside earlier fields are reported first, as a
 * left-to-right parser would. */
static bool bind_all(Wat *w, size_t first, size_t *end_io)
{
    Scan sc = {0};
    size_t end = *end_io;
    for (w->pos = first; w->pos < end; w->pos = wat_skip(w->t, w->pos)) {
        if (wat_peek(w) != TOK_LPAR) {
            end = *end_io = w->pos;
            break;
        }
        if (w->t->toks[w->pos + 1].kind != TOK_KEYWORD) {
            w->pos++;
            return wat_unexpected(w);
        }
        if (!scan_field(w, &sc)) return false;
    }
    w->ntypes = w->cap_types = w->spaces[SPACE_TYPE].count;
    w->types = calloc(w->ntypes ? w->ntypes : 1, sizeof *w->types);
    if (!w->types) abort();
    uint32_t ti = 0;
    for (w->pos = first; w->pos < end;) {
        size_t next = wat_skip(w->t, w->pos);
        if (wat_is_keyword(w->t, w->pos + 1, "type") && !wat_typedef(w, ti++)) return false;
        w->pos = next;
    }
    w->spaces[SPACE_TYPE].count = w->ntypes;
    return true;
}

static bool module_fields(Wat *w, size_t first, size_t end)
{
    size_t stop = end;
    if (!bind_all(w, first, &stop)) return false;
    if (!fields_in(w, first, stop)) return false;
    if (stop == end) return true;
    w->pos = stop;
    return wat_unexpected(w);
}

static bool fields_in(Wat *w, size_t first, size_t end)
{
    Fields f = {0};
    for (int i = 0; i < SPACE_COUNT; i++) f.next[i] = 0;
    /* defined indices start after the imports of their kind */
    uint32_t imports[SPACE_COUNT] = {0};
    for (size_t p = first; p < end; p = wat_skip(w->t, p)) {
        size_t i = p + 2;
        if (wat_is_keyword(w->t, p + 1, "import")) {
            while (w->t->toks[i].kind == TOK_STRING) i++;
            int k = field_kind(w, i + 1);
            if (k >= 0) imports[fields[k].space]++;
            continue;
        }
        int k = field_kind(w, p + 1);
        if (k < 0) continue;
        if (w->t->toks[i].kind == TOK_ID) i++;
        if (wat_is_open(w->t, after_exports(w, i), "import")) imports[fields[k].space]++;
    }
    for (int i = 0; i < SPACE_COUNT; i++) f.next[i] = imports[i];
    for (w->pos = first; w->pos < end;)
        if (!field(w, &f)) return false;
    return true;
}

wk_error_t *wat_module(const Tokens *t, size_t *pos, bool bare, WatBuf *out, size_t *id)
{
    Wat w;
    wat_init(&w, t, *pos);
    size_t first = *pos, end = t->count;
    *id = 0;
    if (!bare) {
        if (!wat_lpar(&w) || !wat_keyword(&w, "module")) {
            if (!w.err) wat_unexpected(&w);
            goto done;
        }
        if (wat_peek(&w) == TOK_ID) *id = w.pos++;
        first = w.pos;
        end = wat_skip(t, *pos) - 1;
        if (end >= t->count || t->toks[end].kind != TOK_RPAR) {
            w.pos = t->count;
            wat_unexpected(&w);
            goto done;
        }
    }
    if (module_fields(&w, first, end)) {
        assemble(&w, out);
        *pos = bare ? end : end + 1;
    }
done:;
    wk_error_t *err = w.err;
    wat_free(&w);
    return err;
}

wk_error_t *wat_to_binary(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
    Tokens t;
    wk_error_t *err = wat_lex(text, len, &t);
    if (err) return err;
    size_t pos = 0, id;
    bool bare = !wat_is_open(&t, 0, "module");
    WatBuf b = {0};
    err = wat_module(&t, &pos, bare, &b, &id);
    if (!err && pos != t.count) err = wat_error(&t, pos, "unexpected token");
    wat_tokens_free(&t);
    if (err) {
        buf_free(&b);
        return err;
    }
    *out = b.data ? b.data : malloc(1);
    *out_len = b.len;
    return NULL;
}
