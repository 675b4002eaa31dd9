/* Text-format types (spec 6.4, 6.5.2, 6.6.3): value, reference and heap types, function type
 * definitions, type uses with their inline-type rules, block types and limits. */
#include <stdlib.h>
#include <string.h>

#include "wat_parse.h"

static const struct {
    const char *name;
    uint8_t code;
} num_types[] = {
    {"i32", 0x7F},       {"i64", 0x7E},         {"f32", 0x7D},         {"f64", 0x7C},
    {"v128", 0x7B},      {"funcref", 0x70},     {"externref", 0x6F},   {"anyref", 0x6E},
    {"eqref", 0x6D},     {"i31ref", 0x6C},      {"structref", 0x6B},   {"arrayref", 0x6A},
    {"exnref", 0x69},    {"nullref", 0x71},     {"nullexternref", 0x72},
    {"nullfuncref", 0x73}, {"nullexnref", 0x74},
};

static const struct {
    const char *name;
    uint8_t code;
} heap_types[] = {
    {"func", 0x70}, {"extern", 0x6F}, {"any", 0x6E},      {"eq", 0x6D},
    {"i31", 0x6C},  {"struct", 0x6B}, {"array", 0x6A},    {"exn", 0x69},
    {"none", 0x71}, {"noextern", 0x72}, {"nofunc", 0x73}, {"noexn", 0x74},
};

enum { FIRST_REF_TYPE = 5 }; /* num_types[5...] are reference types */

static int keyword_in(const Wat *w, size_t first, size_t count, bool heap)
{
    for (size_t i = first; i < count; i++)
        if (wat_is_keyword(w->t, w->pos, heap ? heap_types[i].name : num_types[i].name))
            return (int)i;
    return -1;
}

static void put_s33(ValEnc *v, int64_t x)
{
    for (;;) {
        uint8_t byte = (uint8_t)(x & 0x7F);
        x >>= 7;
        bool done = (x == 0 && !(byte & 0x40)) || (x == -1 && (byte & 0x40));
        if (v->n < sizeof v->b) v->b[v->n++] = done ? byte : byte | 0x80;
        if (done) return;
    }
}

bool wat_heaptype(Wat *w, ValEnc *out)
{
    int k = keyword_in(w, 0, sizeof heap_types / sizeof heap_types[0], true);
    if (k >= 0) {
        w->pos++;
        out->b[out->n++] = heap_types[k].code;
        return true;
    }
    uint32_t idx;
    if (!wat_at_index(w)) return wat_unexpected(w);
    if (!wat_index(w, &w->spaces[SPACE_TYPE], &idx)) return false;
    put_s33(out, idx);
    return true;
}

/* `(ref null? heaptype)` after the `(`. */
static bool ref_type(Wat *w, ValEnc *out)
{
    w->pos++; /* ref */
    bool null = wat_keyword(w, "null");
    out->n = 0;
    out->b[out->n++] = null ? 0x63 : 0x64;
    if (!wat_heaptype(w, out)) return false;
    /* (ref null func) is funcref: the short form, as binary writers use */
    if (null && out->n == 2 && out->b[1] >= 0x69 && out->b[1] <= 0x74) {
        out->b[0] = out->b[1];
        out->n = 1;
    }
    return wat_rpar(w);
}

static bool any_type(Wat *w, ValEnc *out, size_t first)
{
    out->n = 0;
    int k = keyword_in(w, first, sizeof num_types / sizeof num_types[0], false);
    if (k >= 0) {
        w->pos++;
        out->b[out->n++] = num_types[k].code;
        return true;
    }
    if (wat_peek(w) == TOK_LPAR && wat_is_keyword(w->t, w->pos + 1, "ref")) {
        w->pos++;
        return ref_type(w, out);
    }
    return wat_unexpected(w);
}

bool wat_valtype(Wat *w, ValEnc *out)
{
    return any_type(w, out, 0);
}

bool wat_reftype(Wat *w, ValEnc *out)
{
    return any_type(w, out, FIRST_REF_TYPE);
}

bool wat_at_valtype(const Wat *w)
{
    if (keyword_in(w, 0, sizeof num_types / sizeof num_types[0], false) >= 0) return true;
    return wat_at_open(w, "ref");
}

void wat_put_valtype(WatBuf *b, const ValEnc *v)
{
    buf_bytes(b, v->b, v->n);
}

static bool push_type(ValEnc **arr, uint32_t *n, const ValEnc *v)
{
    ValEnc *a = realloc(*arr, (*n + 1) * sizeof *a);
    if (!a) abort();
    a[(*n)++] = *v;
    *arr = a;
    return true;
}

/* (param $x t) | (param t*) groups then (result t*) groups. Binds names to w->locals when
 * bind is true (for the function being defined). */
static bool signature(Wat *w, TypeDef *d, bool bind)
{
    while (wat_open(w, "param")) {
        if (wat_peek(w) == TOK_ID) {
            if (w->anonymous_params) return wat_unexpected(w);
            size_t id = w->pos++;
            ValEnc v;
            if (!wat_valtype(w, &v)) return false;
            if (bind && !wat_bind(w, &w->locals, id, w->locals.count)) return false;
            push_type(&d->params, &d->nparams, &v);
            if (bind) w->locals.count++;
        } else {
            while (wat_peek(w) != TOK_RPAR) {
                ValEnc v;
                if (!wat_valtype(w, &v)) return false;
                push_type(&d->params, &d->nparams, &v);
                if (bind) w->locals.count++;
            }
        }
        if (!wat_rpar(w)) return false;
    }
    while (wat_open(w, "result")) {
        while (wat_peek(w) != TOK_RPAR) {
            ValEnc v;
            if (!wat_valtype(w, &v)) return false;
            push_type(&d->results, &d->nresults, &v);
        }
        if (!wat_rpar(w)) return false;
    }
    /* (param) after (result), or (type) after either, is out of order */
    if (wat_at_open(w, "param") || wat_at_open(w, "type")) {
        w->pos++;
        return wat_unexpected(w);
    }
    return true;
}

void wat_typedef_free(TypeDef *d)
{
    free(d->params);
    free(d->results);
    memset(d, 0, sizeof *d);
}

uint32_t wat_type_params(const Wat *w, uint32_t i)
{
    return i < w->ntypes ? w->types[i].nparams : 0;
}

bool wat_typedef(Wat *w, uint32_t index)
{
    if (!wat_lpar(w) || !wat_keyword(w, "type")) return wat_unexpected(w);
    if (wat_peek(w) == TOK_ID) w->pos++;
    if (!wat_open(w, "func")) return wat_unexpected(w);
    TypeDef *d = &w->types[index];
    if (!signature(w, d, false)) return false;
    return wat_rpar(w) && wat_rpar(w);
}

static bool same_types(const ValEnc *a, const ValEnc *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i].n != b[i].n || memcmp(a[i].b, b[i].b, a[i].n) != 0) return false;
    return true;
}

static bool same_sig(const TypeDef *a, const TypeDef *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           same_types(a->params, b->params, a->nparams) &&
           same_types(a->results, b->results, a->nresults);
}

/* The smallest type index with d's signature, appending d (taking its arrays) when none. */
static uint32_t find_or_add(Wat *w, TypeDef *d)
{
    for (uint32_t i = 0; i < w->ntypes; i++) {
        if (same_sig(&w->types[i], d)) {
            wat_typedef_free(d);
            return i;
        }
    }
    if (w->ntypes == w->cap_types) {
        w->cap_types = w->cap_types ? 2 * w->cap_types : 16;
        w->types = realloc(w->types, w->cap_types * sizeof *w->types);
        if (!w->types) abort();
    }
    d->implicit = true;
    w->types[w->ntypes] = *d;
    w->spaces[SPACE_TYPE].count = w->ntypes + 1;
    return w->ntypes++;
}

/* The (type x) of a type use, if present: *has is set and *idx is its index. */
static bool explicit_type(Wat *w, bool *has, uint32_t *idx, size_t *tok)
{
    *has = false;
    *tok = w->pos;
    if (!wat_open(w, "type")) return true;
    *has = true;
    return wat_index(w, &w->spaces[SPACE_TYPE], idx) && wat_rpar(w);
}

bool wat_typeuse(Wat *w, uint32_t *type, bool bind_params)
{
    bool has;
    uint32_t idx = 0;
    size_t tok;
    if (!explicit_type(w, &has, &idx, &tok)) return false;
    TypeDef d = {0};
    if (!signature(w, &d, bind_params)) {
        wat_typedef_free(&d);
        return false;
    }
    if (!has) {
        *type = find_or_add(w, &d);
        return true;
    }
    bool inline_sig = d.nparams || d.nresults;
    if (inline_sig && idx >= w->ntypes) {
        wat_typedef_free(&d);
        w->pos = tok;
        return wat_fail(w, "unknown type");
    }
    bool same = !inline_sig || same_sig(&w->types[idx], &d);
    wat_typedef_free(&d);
    if (!same) {
        w->pos = tok;
        return wat_fail(w, "inline function type");
    }
    if (bind_params && !inline_sig) w->locals.count = wat_type_params(w, idx);
    *type = idx;
    return true;
}

static bool blocktype(Wat *w, WatBuf *b);

bool wat_blocktype(Wat *w, WatBuf *b)
{
    w->anonymous_params = true;
    bool ok = blocktype(w, b);
    w->anonymous_params = false;
    return ok;
}

static bool blocktype(Wat *w, WatBuf *b)
{
    if (!wat_at_open(w, "type") && !wat_at_open(w, "param")) {
        size_t save = w->pos;
        TypeDef d = {0};
        bool ok = signature(w, &d, false);
        if (ok && d.nresults <= 1) {
            if (d.nresults) wat_put_valtype(b, &d.results[0]);
            else buf_byte(b, 0x40);
            wat_typedef_free(&d);
            return true;
        }
        wat_typedef_free(&d);
        if (!ok) return false;
        w->pos = save;
    }
    uint32_t idx;
    if (!wat_typeuse(w, &idx, false)) return false;
    const TypeDef *d = idx < w->ntypes ? &w->types[idx] : NULL;
    if (d && d->nparams == 0 && d->nresults <= 1) { /* the short form, as wabt writes it */
        if (d->nresults) wat_put_valtype(b, &d->results[0]);
        else buf_byte(b, 0x40);
        return true;
    }
    buf_s64(b, idx);
    return true;
}

bool wat_limits(Wat *w, WatBuf *b, bool wide, uint64_t *min_out)
{
    uint64_t min, max = 0;
    unsigned bits = wide ? 64 : 32;
    NumResult r = wat_uint(w->t, w->pos, bits, &min);
    if (r == NUM_RANGE) return wat_fail(w, "i32 constant out of range");
    if (r != NUM_OK) return wat_unexpected(w);
    w->pos++;
    bool has_max = wat_peek(w) == TOK_NUM;
    if (has_max) {
        r = wat_uint(w->t, w->pos, bits, &max);
        if (r == NUM_RANGE) return wat_fail(w, "i32 constant out of range");
        if (r != NUM_OK) return wat_unexpected(w);
        w->pos++;
    }
    buf_byte(b, (uint8_t)((has_max ? 1 : 0) | (wide ? 4 : 0)));
    buf_u64(b, min);
    if (has_max) buf_u64(b, max);
    if (min_out) *min_out = min;
    return true;
}
