/* Placeholder until the validator lands. */
#include "validate.h"

wk_error_t *validate_module(const Module *m)
{
    (void)m;
    return error_new(WK_ERROR_UNSUPPORTED, WK_NO_OFFSET, "validator not implemented");
}
