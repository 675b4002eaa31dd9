/* A bounded byte cursor over the module's bytes and the LEB128 decoders (spec 5.2.2).
 * Positions are absolute offsets into `base`, so errors carry module byte offsets. */
#ifndef WK_READER_H
#define WK_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"

typedef struct Reader {
    const uint8_t *base;
    size_t pos; /* next byte to read */
    size_t end; /* one past the last readable byte */
} Reader;

static inline bool reader_eof(const Reader *r)
{
    return r->pos >= r->end;
}

/* Each returns NULL or an owned WK_ERROR_MALFORMED error at the offending offset, with the
 * spec suite's wording: "unexpected end", "integer representation too long",
 * "integer too large", "malformed UTF-8 encoding". Never reads at or past r->end. */
wk_error_t *reader_u8(Reader *r, uint8_t *out);
wk_error_t *reader_u32(Reader *r, uint32_t *out);
wk_error_t *reader_s32(Reader *r, int32_t *out);
wk_error_t *reader_s33(Reader *r, int64_t *out);
wk_error_t *reader_s64(Reader *r, int64_t *out);
wk_error_t *reader_f32(Reader *r, uint32_t *bits);
wk_error_t *reader_f64(Reader *r, uint64_t *bits);
/* A u32 length or size field; "length out of bounds" when it exceeds the bytes left counted
 * from the field itself (the reference interpreter's rule, which the suite's messages follow). */
wk_error_t *reader_len(Reader *r, uint32_t *out);
wk_error_t *reader_bytes(Reader *r, size_t n, const uint8_t **out);
/* A length-prefixed UTF-8 name (length read as reader_len); out points into the bytes. */
wk_error_t *reader_name(Reader *r, Name *out);
/* "unexpected end of section or function" at r's position (a count larger than what is left). */
wk_error_t *reader_unexpected_end(const Reader *r);
/* A reference type (spec 5.3.3): funcref or externref, else "malformed reference type". */
wk_error_t *reader_reftype(Reader *r, ValType *out);
/* True when b encodes a value type (spec 5.3.1). */
bool reader_is_valtype(uint8_t b);
/* True when the n bytes at s are well-formed UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF). */
bool reader_utf8_valid(const uint8_t *s, size_t n);

#endif
