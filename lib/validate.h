/* Validation (spec chapter 3 and its appendix algorithm): the only place that rejects a
 * well-formed module. */
#ifndef WK_VALIDATE_H
#define WK_VALIDATE_H

#include "error.h"
#include "module.h"

/* Returns NULL when m is valid, else an owned WK_ERROR_INVALID error ("type mismatch",
 * "unknown function 3", ...) with the byte offset of the offending instruction or entry. */
wk_error_t *validate_module(Module *m);

#endif
