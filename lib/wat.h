/* The WebAssembly text format (spec chapter 6): tokens (wat_lex.c), numeric literals
 * (wat_num.c), a growable byte buffer with LEB128 writers (wat_buf.c), and the text-to-binary
 * encoder of modules (wat_module.c, wat_instr.c). Also used by the .wast script layer. */
#ifndef WK_WAT_H
#define WK_WAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmkiln.h"

/* ---- Tokens (spec 6.2) --------------------------------------------------------------------- */

typedef enum TokKind {
    TOK_EOF,
    TOK_LPAR,
    TOK_RPAR,
    TOK_KEYWORD,  /* starts with a-z: keywords, operators, offset=, nan, inf */
    TOK_ID,       /* $name */
    TOK_STRING,   /* "..." (the token includes the quotes) */
    TOK_NUM,      /* starts with a digit or a sign: an integer or float literal, unchecked */
    TOK_RESERVED, /* anything else made of idchars, strings and reserved characters */
} TokKind;

typedef struct Token {
    uint8_t kind;
    uint32_t off, len; /* into the source text */
} Token;

typedef struct Tokens {
    const char *src;
    size_t src_len;
    Token *toks; /* ends with one TOK_EOF */
    size_t count;
} Tokens;

/* Splits src into tokens (comments and white space dropped). src is borrowed and must outlive
 * *out. Returns NULL or an owned WK_ERROR_MALFORMED error with line:column. */
wk_error_t *wat_lex(const char *src, size_t len, Tokens *out);
void wat_tokens_free(Tokens *t);

/* An owned WK_ERROR_MALFORMED error at token `tok` (its line:column appended to the message). */
wk_error_t *wat_error(const Tokens *t, size_t tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Line and column (1-based) of a source offset. */
void wat_line_col(const Tokens *t, size_t off, unsigned *line, unsigned *col);

/* True when token i is `kw` exactly (a keyword). */
bool wat_is_keyword(const Tokens *t, size_t i, const char *kw);
/* True when tokens i, i+1 are `(` and the keyword kw. */
bool wat_is_open(const Tokens *t, size_t i, const char *kw);
/* Index just past the s-expression starting at i (a `(` token; else i + 1). */
size_t wat_skip(const Tokens *t, size_t i);

/* Decodes string token i into a malloc'ed buffer (*out, *len; NUL-terminated for convenience).
 * Returns false on an invalid escape (the lexer has already rejected those). */
bool wat_string(const Tokens *t, size_t i, uint8_t **out, size_t *len);
/* True when the bytes are valid UTF-8. */
bool wat_utf8_valid(const uint8_t *s, size_t len);

/* ---- Numeric literals (spec 6.3.1) ---------------------------------------------------------- */

typedef enum NumResult { NUM_OK, NUM_SYNTAX, NUM_RANGE } NumResult;

/* Parse the text of token i. Integers: `bits` is the width; signed literals may be negative
 * (two's complement result), unsigned ones (no sign) may use the full unsigned range. */
NumResult wat_int(const Tokens *t, size_t i, unsigned bits, uint64_t *out);
/* Unsigned only (no sign allowed), at most `bits` wide. */
NumResult wat_uint(const Tokens *t, size_t i, unsigned bits, uint64_t *out);
/* Floats: decimal or hex, inf, nan, nan:0x..; the IEEE bits of the nearest value. */
NumResult wat_f32(const Tokens *t, size_t i, uint32_t *bits);
NumResult wat_f64(const Tokens *t, size_t i, uint64_t *bits);
/* The same on a plain string (used for keyword-attached numbers like offset=N). */
NumResult wat_num_uint(const char *s, size_t len, unsigned bits, uint64_t *out);

/* ---- Byte buffers --------------------------------------------------------------------------- */

typedef struct WatBuf {
    uint8_t *data;
    size_t len, cap;
} WatBuf;

void buf_byte(WatBuf *b, uint8_t v);
void buf_bytes(WatBuf *b, const void *p, size_t n);
void buf_u32(WatBuf *b, uint32_t v);  /* unsigned LEB128 */
void buf_u64(WatBuf *b, uint64_t v);
void buf_s32(WatBuf *b, int32_t v);   /* signed LEB128 */
void buf_s64(WatBuf *b, int64_t v);
void buf_name(WatBuf *b, const void *p, size_t n); /* vec(byte) */
void buf_free(WatBuf *b);

/* ---- Modules -------------------------------------------------------------------------------- */

/* Encodes the module starting at token *pos (`(module ...)`, or a sequence of module fields
 * running to the end when `bare` is true) into a binary module in out. On success *pos is
 * just past the module and *id the token of its $name (0 when none). Forms `(module binary
 * ...)` and `(module quote ...)` are handled by the caller (the script layer). Returns NULL or
 * an owned WK_ERROR_MALFORMED error worded as the spec suite expects, with line:column. */
wk_error_t *wat_module(const Tokens *t, size_t *pos, bool bare, WatBuf *out, size_t *id);

/* Text (a module, or bare module fields) to an owned binary. */
wk_error_t *wat_to_binary(const char *text, size_t len, uint8_t **out, size_t *out_len);

#endif
