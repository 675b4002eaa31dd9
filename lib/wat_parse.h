/* Private to the text-format encoder (wat_module.c, wat_types.c, wat_instr.c): the parser state,
 * index spaces with their identifiers, and the helpers the three files share. */
#ifndef WK_WAT_PARSE_H
#define WK_WAT_PARSE_H

#include "module.h"
#include "wat.h"

enum { SEC_TAG = 13, SEC_MAX_ID = 13 };

/* An encoded value type: one byte for numeric/abstract reference types, more for typed
 * references (3.0: 0x63/0x64 then an s33 heap type). */
typedef struct ValEnc {
    uint8_t n;
    uint8_t b[7];
} ValEnc;

typedef struct Ident {
    const char *s;
    uint32_t len;
    uint32_t index;
} Ident;

/* One index space: how many entries it holds and the identifiers bound to them. */
typedef struct Space {
    const char *what; /* "function", "table", ... for "unknown <what>" */
    uint32_t count;
    Ident *ids;
    uint32_t nids, cap;
} Space;

/* A function type (the only composite type in 2.0; 3.0 struct/array/rec slot in as kinds). */
typedef struct TypeDef {
    uint32_t nparams, nresults;
    ValEnc *params, *results; /* malloc'ed */
    bool implicit;            /* appended for an inline type use */
} TypeDef;

enum { SPACE_TYPE, SPACE_FUNC, SPACE_TABLE, SPACE_MEM, SPACE_GLOBAL, SPACE_ELEM, SPACE_DATA,
       SPACE_TAG, SPACE_COUNT };

/* A section body being built: its entry count and bytes. */
typedef struct Section {
    uint32_t count;
    WatBuf body;
} Section;

typedef struct Label {
    const char *s; /* identifier, NULL when unnamed */
    uint32_t len;
} Label;

typedef struct Wat {
    const Tokens *t;
    size_t pos;
    wk_error_t *err; /* the first error; once set every step returns false */

    Space spaces[SPACE_COUNT];
    TypeDef *types;
    uint32_t ntypes, cap_types;

    Section secs[SEC_MAX_ID + 1];
    bool has_start;
    bool anonymous_params; /* block types and call_indirect: (param $x t) is not allowed */
    bool uses_data_count;

    /* The function being parsed. */
    Space locals;
    Label *labels;
    uint32_t nlabels, cap_labels;
} Wat;

/* ---- Tokens (wat_module.c) -------------------------------------------------------------- */

/* Records an error at the current token (first error wins); returns false. */
bool wat_fail(Wat *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records "unexpected token" at the current token; returns false. */
bool wat_unexpected(Wat *w);
TokKind wat_peek(const Wat *w);
/* Consumes `(` / `)` or fails with "unexpected token". */
bool wat_lpar(Wat *w);
bool wat_rpar(Wat *w);
/* True (and consumed) when the next tokens are `(` kw. */
bool wat_open(Wat *w, const char *kw);
/* True when the next tokens are `(` kw (not consumed). */
bool wat_at_open(const Wat *w, const char *kw);
/* True (and consumed) when the next token is the keyword kw. */
bool wat_keyword(Wat *w, const char *kw);
/* The current token's text. */
const char *wat_text(const Wat *w, size_t *len);

/* An index: a number or an identifier of space `sp` (or of the current function's locals /
 * labels). Fails with "unknown <what> $x" for an unbound identifier. */
bool wat_index(Wat *w, Space *sp, uint32_t *out);
/* True when the current token can start an index (a number or an identifier). */
bool wat_at_index(const Wat *w);
/* Binds identifier token tok (if it is one) to index in sp; "duplicate <what>" on rebinding. */
bool wat_bind(Wat *w, Space *sp, size_t tok, uint32_t index);
/* Parses a name string into a malloc'ed buffer, checking UTF-8. */
bool wat_name(Wat *w, uint8_t **out, size_t *len);

/* ---- Types (wat_types.c) ---------------------------------------------------------------- */

/* valtype: i32 i64 f32 f64 v128 funcref externref (ref null? heaptype). */
bool wat_valtype(Wat *w, ValEnc *out);
/* True when the current token starts a value type. */
bool wat_at_valtype(const Wat *w);
/* reftype only (tables, elem segments, ref.null's heap type when `heap` is true). */
bool wat_reftype(Wat *w, ValEnc *out);
bool wat_heaptype(Wat *w, ValEnc *out);
void wat_put_valtype(WatBuf *b, const ValEnc *v);
/* `(type $t (func ...))`: the definition of type index `index` (pass 2). */
bool wat_typedef(Wat *w, uint32_t index);
/* A type use `(type x)? (param ...)* (result ...)*` (spec 6.6.3). Binds parameter names in
 * w->locals when `bind_params`. Writes the type index. */
bool wat_typeuse(Wat *w, uint32_t *type, bool bind_params);
/* Block type (spec 6.5.2): writes 0x40, a value type or an s33 type index into b. */
bool wat_blocktype(Wat *w, WatBuf *b);
/* limits: min max? (u32; u64 when `wide`). */
bool wat_limits(Wat *w, WatBuf *b, bool wide, uint64_t *min_out);
/* Frees a TypeDef's arrays. */
void wat_typedef_free(TypeDef *d);
/* The number of parameters of type index i (0 when out of range). */
uint32_t wat_type_params(const Wat *w, uint32_t i);

/* ---- Instructions (wat_instr.c) --------------------------------------------------------- */

/* Instructions up to `)` (or `end`/`else`, left for the caller) into b. */
bool wat_instrs(Wat *w, WatBuf *b);
/* Exactly one folded instruction `( ... )` into b. */
bool wat_folded_instr(Wat *w, WatBuf *b);
/* A constant expression: instructions up to `)`, then the `end` byte. */
bool wat_expr(Wat *w, WatBuf *b);

#endif
