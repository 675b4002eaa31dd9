/* wk_error_t: an owned error with a kind, a spec-worded message and a byte offset. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct wk_error {
    wk_error_kind_t kind;
    size_t offset;
    char *message;
    char *described;
};

/* Returned when allocating an error fails; never freed. */
static struct wk_error oom_error = {WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory",
                                    "out of memory"};

wk_error_t *error_new(wk_error_kind_t kind, size_t offset, const char *fmt, ...)
{
    wk_error_t *e = calloc(1, sizeof *e);
    if (!e) return &oom_error;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    e->message = malloc((size_t)n + 1);
    if (!e->message) {
        free(e);
        return &oom_error;
    }
    va_start(ap, fmt);
    vsnprintf(e->message, (size_t)n + 1, fmt, ap);
    va_end(ap);
    e->kind = kind;
    e->offset = offset;
    return e;
}

wk_error_t *error_malformed(size_t offset, const char *msg)
{
    return error_new(WK_ERROR_MALFORMED, offset, "%s", msg);
}

void wk_error_delete(wk_error_t *err)
{
    if (!err || err == &oom_error) return;
    free(err->message);
    free(err->described);
    free(err);
}

wk_error_kind_t wk_error_kind(const wk_error_t *err)
{
    return err->kind;
}

const char *wk_error_message(const wk_error_t *err)
{
    return err->message;
}

size_t wk_error_offset(const wk_error_t *err)
{
    return err->offset;
}

const char *wk_error_describe(const wk_error_t *err)
{
    wk_error_t *e = (wk_error_t *)err;
    if (e->described) return e->described;
    if (e->offset == WK_NO_OFFSET) return e->message;
    size_t n = strlen(e->message) + 40;
    e->described = malloc(n);
    if (!e->described) return e->message;
    snprintf(e->described, n, "%s (at byte 0x%zx)", e->message, e->offset);
    return e->described;
}
