/* Building errors (decode, validate, link, compile): wk_error_t construction. */
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
/* A WK_ERROR_MALFORMED error (decoding) at `offset` with message `msg`. */
wk_error_t *error_malformed(size_t offset, const char *msg);

/* Returns the error `x` evaluates to, if any, from the calling function. */
#define TRY(x)                  \
    do {                        \
        wk_error_t *err_ = (x); \
        if (err_) return err_;  \
    } while (0)

#endif
