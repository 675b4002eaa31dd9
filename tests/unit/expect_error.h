/* Shared by the unit tests: asserting a building error's kind, message and offset. */
#ifndef WK_TEST_EXPECT_ERROR_H
#define WK_TEST_EXPECT_ERROR_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wasmkiln.h"

/* Asserts err is a malformed error with message msg at offset off, and frees it. */
static inline void expect_malformed(wk_error_t *err, const char *msg, size_t off)
{
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_MALFORMED);
    assert_string_equal(wk_error_message(err), msg);
    assert_int_equal(wk_error_offset(err), off);
    wk_error_delete(err);
}

#endif
