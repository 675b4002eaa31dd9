/* Text-format instructions (spec 6.5): plain and folded forms, structured control with labels,
 * and every immediate kind of the operator table (lib/opcodes*.def via op_info). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "instr.h"
#include "wat_parse.h"

/* ---- Operator names ----------------------------------------------------------------------- */

static uint16_t by_name[OP_COUNT]; /* opcodes sorted by text */
static pthread_once_t by_name_once = PTHREAD_ONCE_INIT;

static int cmp_op(const void *a, const void *b)
{
    const uint16_t *x = a, *y = b;
    int c = strcmp(op_info[*x].text, op_info[*y].text);
    return c ? c : (int)*x - (int)*y;
}

static void sort_names(void)
{
    for (uint16_t i = 0; i < OP_COUNT; i++) by_name[i] = i;
    qsort(by_name, OP_COUNT, sizeof by_name[0], cmp_op);
}

/* The first opcode (in table order) named s[0..len), or -1. */
static int lookup(const char *s, size_t len)
{
    pthread_once(&by_name_once, sort_names);
    size_t lo = 0, hi = OP_COUNT;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *t = op_info[by_name[mid]].text;
        int c = strncmp(t, s, len);
        if (c == 0 && t[len]) c = 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < OP_COUNT) {
        const char *t = op_info[by_name[lo]].text;
        if (strncmp(t, s, len) == 0 && !t[len]) return by_name[lo];
    }
    return -1;
}

static void put_opcode(WatBuf *b, int op)
{
    if (op_info[op].prefix) {
        buf_byte(b, (uint8_t)op_info[op].prefix);
        buf_u32(b, op_info[op].code);
    } else {
        buf_byte(b, (uint8_t)op_info[op].code);
    }
}

/* ---- Labels ------------------------------------------------------------------------------- */

static void push_label(Wat *w, size_t tok)
{
    if (w->nlabels == w->cap_labels) {
        w->cap_labels = w->cap_labels ? 2 * w->cap_labels : 16;
        w->labels = realloc(w->labels, w->cap_labels * sizeof *w->labels);
        if (!w->labels) abort();
    }
    Label *l = &w->labels[w->nlabels++];
    l->s = tok ? w->t->src + w->t->toks[tok].off : NULL;
    l->len = tok ? w->t->toks[tok].len : 0;
}

/* An optional `$label` after block/loop/if: its token, or 0. */
static size_t label_decl(Wat *w)
{
    return wat_peek(w) == TOK_ID ? w->pos++ : 0;
}

/* An optional `$label` after end/else: it must repeat the block's label. */
static bool label_end(Wat *w)
{
    if (wat_peek(w) != TOK_ID) return true;
    size_t len;
    const char *s = wat_text(w, &len);
    const Label *l = &w->labels[w->nlabels - 1];
    if (!l->s || l->len != len || memcmp(l->s, s, len) != 0)
        return wat_fail(w, "mismatching label");
    w->pos++;
    return true;
}

static bool label_index(Wat *w, uint32_t *out)
{
    if (wat_peek(w) == TOK_NUM) {
        Space none = {.what = "label"};
        return wat_index(w, &none, out);
    }
    if (wat_peek(w) != TOK_ID) return wat_unexpected(w);
    size_t len;
    const char *s = wat_text(w, &len);
    for (uint32_t i = w->nlabels; i-- > 0;) {
        const Label *l = &w->labels[i];
        if (l->s && l->len == len && memcmp(l->s, s, len) == 0) {
            *out = w->nlabels - 1 - i;
            w->pos++;
            return true;
        }
    }
    return wat_fail(w, "unknown label %.*s", (int)len, s);
}

/* ---- Immediates --------------------------------------------------------------------------- */

/* A numeric immediate's token: missing -> "unexpected token", malformed -> "unknown operator"
 * (the reference interpreter's wording), too large -> "constant out of range". */
static bool num_result(Wat *w, NumResult r)
{
    if (r == NUM_OK) {
        w->pos++;
        return true;
    }
    TokKind k = wat_peek(w);
    if (k == TOK_LPAR || k == TOK_RPAR || k == TOK_EOF ||
        wat_is_keyword(w->t, w->pos, "nan:canonical") ||
        wat_is_keyword(w->t, w->pos, "nan:arithmetic"))
        return wat_unexpected(w);
    if (r == NUM_RANGE) return wat_fail(w, "constant out of range");
    size_t len;
    const char *s = wat_text(w, &len);
    return wat_fail(w, "unknown operator %.*s", (int)len, s);
}

static bool imm_int(Wat *w, WatBuf *b, unsigned bits)
{
    uint64_t v;
    if (!num_result(w, wat_int(w->t, w->pos, bits, &v))) return false;
    if (bits == 32) buf_s32(b, (int32_t)(uint32_t)v);
    else buf_s64(b, (int64_t)v);
    return true;
}

static bool imm_f32(Wat *w, WatBuf *b)
{
    uint32_t bits;
    if (!num_result(w, wat_f32(w->t, w->pos, &bits))) return false;
    buf_bytes(b, &bits, 4); /* little-endian hosts */
    return true;
}

static bool imm_f64(Wat *w, WatBuf *b)
{
    uint64_t bits;
    if (!num_result(w, wat_f64(w->t, w->pos, &bits))) return false;
    buf_bytes(b, &bits, 8);
    return true;
}

/* A lane index: a natural number below 256 ("malformed lane index" when larger; other tokens
 * are unexpected). A shuffle's lanes accept any number token (then "malformed lane index"). */
static bool imm_lane(Wat *w, WatBuf *b, bool shuffle)
{
    uint64_t v;
    NumResult r = wat_uint(w->t, w->pos, 8, &v);
    if (r != NUM_OK) {
        bool nat = wat_uint(w->t, w->pos, 64, &v) != NUM_SYNTAX;
        TokKind k = wat_peek(w);
        if (shuffle ? k == TOK_LPAR || k == TOK_RPAR : k != TOK_NUM || !nat)
            return wat_unexpected(w);
        return wat_fail(w, "malformed lane index");
    }
    w->pos++;
    buf_byte(b, (uint8_t)v);
    return true;
}

/* v128.const shape lanes (spec 6.5.8). */
static bool imm_v128(Wat *w, WatBuf *b)
{
    static const struct {
        const char *shape;
        unsigned lanes, bits;
        bool is_float;
    } shapes[] = {{"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
                  {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true},  {"f64x2", 2, 64, true}};
    size_t k = 0;
    while (k < 6 && !wat_is_keyword(w->t, w->pos, shapes[k].shape)) k++;
    if (k == 6) return wat_unexpected(w);
    w->pos++;
    for (unsigned i = 0; i < shapes[k].lanes; i++) {
        TokKind tk = (TokKind)w->t->toks[w->pos + i].kind;
        if (w->pos + i >= w->t->count || tk == TOK_LPAR || tk == TOK_RPAR)
            return wat_fail(w, "wrong number of lane literals");
    }
    for (unsigned i = 0; i < shapes[k].lanes; i++) {
        unsigned bits = shapes[k].bits;
        uint64_t v = 0;
        NumResult r;
        if (!shapes[k].is_float) r = wat_int(w->t, w->pos, bits, &v);
        else if (bits == 32) {
            uint32_t f;
            r = wat_f32(w->t, w->pos, &f);
            v = f;
        } else {
            r = wat_f64(w->t, w->pos, &v);
        }
        if (!num_result(w, r)) return false;
        buf_bytes(b, &v, bits / 8);
    }
    TokKind next = wat_peek(w);
    if (next != TOK_LPAR && next != TOK_RPAR && next != TOK_EOF)
        return wat_fail(w, "wrong number of lane literals");
    return true;
}

/* A keyword `key=N` (offset= / align=): *has and *v. */
static bool memarg_field(Wat *w, const char *key, bool *has, uint64_t *v, const char *range)
{
    size_t len, klen = strlen(key);
    const char *s = wat_text(w, &len);
    *has = false;
    if (wat_peek(w) != TOK_KEYWORD || len <= klen || memcmp(s, key, klen) != 0) return true;
    NumResult r = wat_num_uint(s + klen, len - klen, 32, v);
    if (r == NUM_RANGE) return wat_fail(w, "%s", range);
    if (r != NUM_OK) return wat_fail(w, "unknown operator %.*s", (int)len, s);
    w->pos++;
    *has = true;
    return true;
}

/* memidx? offset=? align=? (binary: align flags [memidx] offset). */
static bool imm_memarg(Wat *w, WatBuf *b, int op, bool lane)
{
    uint32_t mem = 0;
    bool mem_first = wat_at_index(w);
    if (lane && wat_peek(w) == TOK_NUM) { /* memidx only when a lane index follows */
        size_t n = w->pos + 1;
        mem_first = w->t->toks[n].kind == TOK_NUM ||
                    (w->t->toks[n].kind == TOK_KEYWORD && n < w->t->count);
    }
    if (mem_first && !wat_index(w, &w->spaces[SPACE_MEM], &mem)) return false;
    uint64_t offset = 0, align = op_info[op].width; /* the natural alignment */
    bool has;
    if (!memarg_field(w, "offset=", &has, &offset, "i32 constant out of range")) return false;
    if (!memarg_field(w, "align=", &has, &align, "alignment must be a power of two"))
        return false;
    if (has && (align == 0 || (align & (align - 1)))) {
        w->pos--;
        return wat_fail(w, "alignment must be a power of two");
    }
    uint32_t log = 0;
    while ((1ull << log) < align) log++;
    buf_u32(b, mem ? log | 0x40 : log);
    if (mem) buf_u32(b, mem);
    buf_u64(b, offset);
    return true;
}

static bool optional_index(Wat *w, Space *sp, WatBuf *b)
{
    uint32_t x = 0;
    if (wat_at_index(w) && !wat_index(w, sp, &x)) return false;
    buf_u32(b, x);
    return true;
}

/* Two indices where only the last is required (memory.init mem? data; table.init table? elem),
 * written last-first. */
static bool index_pair(Wat *w, Space *first, Space *second, WatBuf *b)
{
    uint32_t a = 0, x;
    size_t next = w->pos + 1;
    bool two = next < w->t->count && wat_at_index(w) &&
               (w->t->toks[next].kind == TOK_NUM || w->t->toks[next].kind == TOK_ID);
    if (two && !wat_index(w, first, &a)) return false;
    if (!wat_index(w, second, &x)) return false;
    buf_u32(b, x);
    buf_u32(b, a);
    return true;
}

static bool imm_br_table(Wat *w, WatBuf *b)
{
    uint32_t labels[64], *l = labels, n = 0, cap = 64;
    while (wat_at_index(w)) {
        if (n == cap) {
            uint32_t *bigger = malloc(2 * cap * sizeof *bigger);
            if (!bigger) abort();
            memcpy(bigger, l, n * sizeof *l);
            if (l != labels) free(l);
            l = bigger;
            cap *= 2;
        }
        if (!label_index(w, &l[n])) break;
        n++;
    }
    bool ok = !w->err && (n > 0 || wat_unexpected(w));
    if (ok) {
        buf_u32(b, n - 1);
        for (uint32_t i = 0; i < n; i++) buf_u32(b, l[i]);
    }
    if (l != labels) free(l);
    return ok;
}

static bool imm_call_indirect(Wat *w, WatBuf *b)
{
    uint32_t table = 0, type;
    if (wat_at_index(w) && !wat_index(w, &w->spaces[SPACE_TABLE], &table)) return false;
    w->anonymous_params = true;
    bool ok = wat_typeuse(w, &type, false);
    w->anonymous_params = false;
    if (!ok) return false;
    buf_u32(b, type);
    buf_u32(b, table);
    return true;
}

/* select (result t*)*: a typed select when any (result) is present. */
static int select_op(Wat *w, WatBuf *b)
{
    if (!wat_at_open(w, "result")) {
        put_opcode(b, OP_Select);
        return OP_Select;
    }
    ValEnc types[16];
    uint32_t n = 0;
    while (wat_open(w, "result")) {
        while (wat_peek(w) != TOK_RPAR) {
            if (n == 16) return wat_unexpected(w) ? -1 : -1;
            if (!wat_valtype(w, &types[n++])) return -1;
        }
        w->pos++;
    }
    put_opcode(b, OP_SelectT);
    buf_u32(b, n);
    for (uint32_t i = 0; i < n; i++) wat_put_valtype(b, &types[i]);
    return OP_SelectT;
}

/* The immediates of op (already looked up; opcode not yet written) into b. */
static bool immediates(Wat *w, int op, WatBuf *b)
{
    Space *sp = w->spaces;
    if (op == OP_Select || op == OP_SelectT) return select_op(w, b) >= 0;
    put_opcode(b, op);
    switch (op_info[op].imm) {
    case IMM_NONE: return true;
    case IMM_LABEL: {
        uint32_t x;
        if (!label_index(w, &x)) return false;
        buf_u32(b, x);
        return true;
    }
    case IMM_BR_TABLE: return imm_br_table(w, b);
    case IMM_FUNC: {
        uint32_t x;
        if (!wat_index(w, &sp[SPACE_FUNC], &x)) return false;
        buf_u32(b, x);
        return true;
    }
    case IMM_CALL_INDIRECT: return imm_call_indirect(w, b);
    case IMM_LOCAL: {
        uint32_t x;
        if (!wat_index(w, &w->locals, &x)) return false;
        buf_u32(b, x);
        return true;
    }
    case IMM_GLOBAL: {
        uint32_t x;
        if (!wat_index(w, &sp[SPACE_GLOBAL], &x)) return false;
        buf_u32(b, x);
        return true;
    }
    case IMM_TABLE: return optional_index(w, &sp[SPACE_TABLE], b);
    case IMM_MEMARG: return imm_memarg(w, b, op, false);
    case IMM_MEMARG_LANE: return imm_memarg(w, b, op, true) && imm_lane(w, b, false);
    case IMM_MEMIDX: return optional_index(w, &sp[SPACE_MEM], b);
    case IMM_I32: return imm_int(w, b, 32);
    case IMM_I64: return imm_int(w, b, 64);
    case IMM_F32: return imm_f32(w, b);
    case IMM_F64: return imm_f64(w, b);
    case IMM_V128: return imm_v128(w, b);
    case IMM_LANE: return imm_lane(w, b, false);
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++) {
            TokKind k = wat_peek(w);
            if (k == TOK_LPAR || k == TOK_RPAR) return wat_fail(w, "invalid lane length");
            if (!imm_lane(w, b, true)) return false;
        }
        if (wat_peek(w) == TOK_NUM) return wat_fail(w, "invalid lane length");
        return true;
    case IMM_REFTYPE: {
        ValEnc h = {0};
        if (!wat_heaptype(w, &h)) return false;
        buf_bytes(b, h.b, h.n);
        return true;
    }
    case IMM_DATA_MEM:
        w->uses_data_count = true;
        return index_pair(w, &sp[SPACE_MEM], &sp[SPACE_DATA], b);
    case IMM_DATA:
        w->uses_data_count = true;
        return optional_index(w, &sp[SPACE_DATA], b);
    case IMM_MEM_MEM:
        return optional_index(w, &sp[SPACE_MEM], b) && optional_index(w, &sp[SPACE_MEM], b);
    case IMM_ELEM_TABLE: return index_pair(w, &sp[SPACE_TABLE], &sp[SPACE_ELEM], b);
    case IMM_ELEM: return optional_index(w, &sp[SPACE_ELEM], b);
    case IMM_TABLE_TABLE:
        return optional_index(w, &sp[SPACE_TABLE], b) && optional_index(w, &sp[SPACE_TABLE], b);
    default: break;
    }
    return wat_fail(w, "unsupported immediate of %s", op_info[op].text);
}

/* ---- Instructions ------------------------------------------------------------------------- */

static bool instr(Wat *w, WatBuf *b);

/* The operator at the current keyword; "unknown operator" when there is none. */
static int operator(Wat *w)
{
    size_t len;
    const char *s = wat_text(w, &len);
    if (wat_peek(w) != TOK_KEYWORD) return wat_unexpected(w) ? -1 : -1;
    int op = lookup(s, len);
    static const char *const fields[] = {"type", "param", "result", "local", "then", "else",
                                         "export", "import", "item", "offset"};
    for (size_t i = 0; op < 0 && i < sizeof fields / sizeof fields[0]; i++)
        if (wat_is_keyword(w->t, w->pos, fields[i])) return wat_unexpected(w) ? -1 : -1;
    if (op < 0) return wat_fail(w, "unknown operator %.*s", (int)len, s) ? -1 : -1;
    w->pos++;
    return op;
}

/* Plain block/loop/if (after the keyword): label, block type, body, else, end. */
static bool plain_block(Wat *w, WatBuf *b, int op)
{
    size_t label = label_decl(w);
    put_opcode(b, op);
    if (!wat_blocktype(w, b)) return false;
    push_label(w, label);
    bool ok = wat_instrs(w, b);
    if (ok && op == OP_If && wat_keyword(w, "else")) {
        size_t at = b->len;
        buf_byte(b, 0x05);
        ok = label_end(w) && wat_instrs(w, b);
        if (b->len == at + 1) b->len = at; /* an empty else is left out, as wabt does */
    }
    ok = ok && (wat_keyword(w, "end") || wat_unexpected(w)) && label_end(w);
    buf_byte(b, 0x0B);
    w->nlabels--;
    return ok;
}

/* Folded (if label bt cond* (then ...) (else ...)?) after the keyword. */
static bool folded_if(Wat *w, WatBuf *b)
{
    size_t label = label_decl(w);
    WatBuf bt = {0};
    bool ok = wat_blocktype(w, &bt);
    while (ok && wat_peek(w) == TOK_LPAR && !wat_at_open(w, "then")) ok = instr(w, b);
    if (ok) {
        put_opcode(b, OP_If);
        buf_bytes(b, bt.data, bt.len);
    }
    buf_free(&bt);
    if (!ok) return false;
    push_label(w, label);
    ok = (wat_open(w, "then") || wat_unexpected(w)) && wat_instrs(w, b) && wat_rpar(w);
    if (ok && wat_open(w, "else")) {
        size_t at = b->len;
        buf_byte(b, 0x05);
        ok = wat_instrs(w, b) && wat_rpar(w);
        if (b->len == at + 1) b->len = at;
    }
    buf_byte(b, 0x0B);
    w->nlabels--;
    return ok && wat_rpar(w);
}

static bool folded(Wat *w, WatBuf *b)
{
    w->pos++; /* ( */
    int op = operator(w);
    if (op < 0) return false;
    if (op == OP_If) return folded_if(w, b);
    if (op_info[op].imm == IMM_BLOCK) {
        size_t label = label_decl(w);
        put_opcode(b, op);
        if (!wat_blocktype(w, b)) return false;
        push_label(w, label);
        bool ok = wat_instrs(w, b) && wat_rpar(w);
        buf_byte(b, 0x0B);
        w->nlabels--;
        return ok;
    }
    WatBuf head = {0};
    bool ok = immediates(w, op, &head);
    while (ok && wat_peek(w) == TOK_LPAR) ok = instr(w, b);
    ok = ok && wat_rpar(w);
    buf_bytes(b, head.data, head.len);
    buf_free(&head);
    return ok;
}

static bool instr(Wat *w, WatBuf *b)
{
    if (wat_peek(w) == TOK_LPAR) return folded(w, b);
    int op = operator(w);
    if (op < 0) return false;
    if (op_info[op].imm == IMM_BLOCK) return plain_block(w, b, op);
    return immediates(w, op, b);
}

bool wat_instrs(Wat *w, WatBuf *b)
{
    for (;;) {
        TokKind k = wat_peek(w);
        if (k == TOK_RPAR || k == TOK_EOF) return true;
        if (wat_is_keyword(w->t, w->pos, "end") || wat_is_keyword(w->t, w->pos, "else"))
            return true;
        if (!instr(w, b)) return false;
    }
}

bool wat_folded_instr(Wat *w, WatBuf *b)
{
    if (wat_peek(w) != TOK_LPAR) return wat_unexpected(w);
    return folded(w, b);
}

bool wat_expr(Wat *w, WatBuf *b)
{
    bool ok = wat_instrs(w, b);
    if (ok && wat_peek(w) != TOK_RPAR) ok = wat_unexpected(w);
    buf_byte(b, 0x0B);
    return ok;
}
