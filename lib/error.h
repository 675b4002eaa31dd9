/* Building errors (decode, validate, link, compile): wk_error_t construction and access.
 *
 * The library's error policy (every file follows it):
 * - Building (decode, validate, link, compile, creating objects): the function returns an owned
 *   wk_error_t * (NULL = success) and leaves its out-parameter untouched on failure. Errors are
 *   passed up, never dropped; the message uses the spec's wording plus the byte offset.
 * - Running: a call returns an owned wk_trap_t * (NULL = returned normally) with its kind
 *   (trap.h). Nothing unwinds across a host callback.
 * - Misuse of the public API (NULL where an object is required, an index out of range, a value
 *   of the wrong type for a typed slot): an assert() in api.c, before delegating. Conditions a
 *   caller cannot check beforehand (objects of different engines or stores) are errors or
 *   traps of the kind above, with a message naming the rule.
 * - Allocation failure: a building path returns error_new(WK_ERROR_RESOURCE, ..., "out of
 *   memory"); a running path returns a trap. error_new itself never fails (a static error).
 *   Exceptions still to be converted: the compiler's bookkeeping (jit.c, compile.c, thunk.c,
 *   lower*.c) abort()s on allocation failure, and raising a trap with no memory left does. */
#ifndef WK_ERROR_H
#define WK_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "wasmkiln.h"

#define WK_NO_OFFSET SIZE_MAX

/* A new error of `kind` at byte `offset` (WK_NO_OFFSET for none), message from printf-style
 * `fmt`. Returns NULL only when out of memory... never: falls back to a static error. */
wk_error_t *error_new(wk_error_kind_t kind, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Frees err (accepts NULL and the static out-of-memory error). */
void error_delete(wk_error_t *err);
/* The parts of an error; error_describe is "<message> (at byte 0x1a)" or the message. */
wk_error_kind_t error_kind(const wk_error_t *err);
const char *error_message(const wk_error_t *err);
size_t error_offset(const wk_error_t *err);
const char *error_describe(const wk_error_t *err);
/* A WK_ERROR_MALFORMED error (decoding) at `offset` with message `msg`. */
wk_error_t *error_malformed(size_t offset, const char *msg);

/* Returns the error `x` evaluates to, if any, from the calling function. */
#define TRY(x)                  \
    do {                        \
        wk_error_t *err_ = (x); \
        if (err_) return err_;  \
    } while (0)

#endif
