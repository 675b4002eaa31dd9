/* The .wast script layer: reads a spec-test script with the library's text-format lexer and
 * module encoder (lib/wat.h) and builds the command list in wast2json's JSON shape, with the
 * modules held in memory ("wasm_hex": a binary; "wat_hex": quoted text, converted when the
 * command runs so that assert_malformed sees the parser's own error). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "wat.h"

typedef struct Conv {
    Tokens t;
    size_t pos;
    char err[512];
} Conv;

static bool conv_fail(Conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool conv_fail(Conv *c, const char *fmt, ...)
{
    if (c->err[0]) return false;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned line, col;
    size_t off = c->pos < c->t.count ? c->t.toks[c->pos].off : c->t.src_len;
    wat_line_col(&c->t, off, &line, &col);
    snprintf(c->err, sizeof c->err, "%u:%u: %s", line, col, msg);
    return false;
}

static TokKind peek(const Conv *c)
{
    return c->pos < c->t.count ? (TokKind)c->t.toks[c->pos].kind : TOK_EOF;
}

static bool expect(Conv *c, TokKind k)
{
    if (peek(c) != k) return conv_fail(c, "unexpected token");
    c->pos++;
    return true;
}

static int line_of(const Conv *c, size_t tok)
{
    unsigned line, col;
    wat_line_col(&c->t, c->t.toks[tok].off, &line, &col);
    return (int)line;
}

static char *hex_of(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s) abort();
    for (size_t i = 0; i < n; i++) snprintf(s + 2 * i, 3, "%02x", p[i]);
    s[2 * n] = '\0';
    return s;
}

static void add_hex(cJSON *obj, const char *key, const uint8_t *p, size_t n)
{
    char *h = hex_of(p, n);
    cJSON_AddStringToObject(obj, key, h);
    free(h);
}

/* A string token as a C string for the JSON: NUL bytes become 0xFF (see name_bytes). */
static char *string_at(Conv *c, size_t tok)
{
    uint8_t *s;
    size_t n;
    if (!wat_string(&c->t, tok, &s, &n)) abort();
    for (size_t i = 0; i < n; i++)
        if (!s[i]) s[i] = 0xFF;
    return (char *)s;
}

static char *id_at(const Conv *c, size_t tok)
{
    return strndup(c->t.src + c->t.toks[tok].off, c->t.toks[tok].len);
}

/* Concatenated string tokens up to `)`. */
static void strings(Conv *c, WatBuf *b)
{
    while (peek(c) == TOK_STRING) {
        uint8_t *s;
        size_t n;
        if (!wat_string(&c->t, c->pos++, &s, &n)) abort();
        buf_bytes(b, s, n);
        free(s);
    }
}

/* (module $id? ...), (module $id? binary ...), (module $id? quote ...) and the 3.0
 * (module definition $id? ...). Fills cmd's "name" and "wasm_hex" or "wat_hex". */
static bool module(Conv *c, cJSON *cmd)
{
    size_t start = c->pos;
    c->pos += 2;
    if (wat_is_keyword(&c->t, c->pos, "definition")) {
        cJSON_AddBoolToObject(cmd, "definition", true);
        c->pos++;
    }
    size_t id = peek(c) == TOK_ID ? c->pos++ : 0;
    if (id) {
        char *name = id_at(c, id);
        cJSON_AddStringToObject(cmd, "name", name);
        free(name);
    }
    bool binary = wat_is_keyword(&c->t, c->pos, "binary");
    if (binary || wat_is_keyword(&c->t, c->pos, "quote")) {
        c->pos++;
        WatBuf b = {0};
        strings(c, &b);
        add_hex(cmd, binary ? "wasm_hex" : "wat_hex", b.data, b.len);
        cJSON_AddStringToObject(cmd, "module_type", binary ? "binary" : "text");
        buf_free(&b);
        return expect(c, TOK_RPAR);
    }
    WatBuf b = {0};
    size_t pos = start, ignore;
    if (cJSON_GetObjectItemCaseSensitive(cmd, "definition")) { /* re-parse without the word */
        pos = c->pos;
        wk_error_t *err = wat_module(&c->t, &pos, true, &b, &ignore);
        pos = c->pos = wat_skip(&c->t, start);
        if (err) {
            conv_fail(c, "%s", wk_error_message(err));
            wk_error_delete(err);
            buf_free(&b);
            return false;
        }
    } else {
        wk_error_t *err = wat_module(&c->t, &pos, false, &b, &ignore);
        if (err) {
            c->pos = start;
            conv_fail(c, "%s", wk_error_message(err));
            wk_error_delete(err);
            buf_free(&b);
            return false;
        }
        c->pos = pos;
    }
    add_hex(cmd, "wasm_hex", b.data, b.len);
    cJSON_AddStringToObject(cmd, "module_type", "binary");
    cJSON_AddBoolToObject(cmd, "from_text", true); /* for the encoding check (compare.c) */
    buf_free(&b);
    return true;
}

/* ---- Values -------------------------------------------------------------------------------- */

static void add_bits(cJSON *v, uint64_t bits)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRIu64, bits);
    cJSON_AddStringToObject(v, "value", s);
}

static bool nan_pattern(Conv *c, cJSON *v)
{
    if (wat_is_keyword(&c->t, c->pos, "nan:canonical") ||
        wat_is_keyword(&c->t, c->pos, "nan:arithmetic")) {
        char *s = id_at(c, c->pos++);
        cJSON_AddStringToObject(v, "value", s);
        free(s);
        return true;
    }
    return false;
}

static bool float_lane(Conv *c, unsigned bits, char *out, size_t n, bool pattern)
{
    if (pattern && (wat_is_keyword(&c->t, c->pos, "nan:canonical") ||
                    wat_is_keyword(&c->t, c->pos, "nan:arithmetic"))) {
        snprintf(out, n, "%.*s", (int)c->t.toks[c->pos].len, c->t.src + c->t.toks[c->pos].off);
        c->pos++;
        return true;
    }
    uint64_t v;
    uint32_t f;
    NumResult r = bits == 32 ? wat_f32(&c->t, c->pos, &f) : wat_f64(&c->t, c->pos, &v);
    if (bits == 32) v = f;
    if (r != NUM_OK) return conv_fail(c, "bad float");
    c->pos++;
    snprintf(out, n, "%" PRIu64, v);
    return true;
}

static bool v128_value(Conv *c, cJSON *v, bool pattern)
{
    static const struct {
        const char *shape, *lane;
        unsigned count, bits;
        bool is_float;
    } shapes[] = {{"i8x16", "i8", 16, 8, false},  {"i16x8", "i16", 8, 16, false},
                  {"i32x4", "i32", 4, 32, false}, {"i64x2", "i64", 2, 64, false},
                  {"f32x4", "f32", 4, 32, true},  {"f64x2", "f64", 2, 64, true}};
    size_t k = 0;
    while (k < 6 && !wat_is_keyword(&c->t, c->pos, shapes[k].shape)) k++;
    if (k == 6) return conv_fail(c, "unknown v128 shape");
    c->pos++;
    cJSON_AddStringToObject(v, "lane_type", shapes[k].lane);
    cJSON *arr = cJSON_AddArrayToObject(v, "value");
    for (unsigned i = 0; i < shapes[k].count; i++) {
        char s[64];
        if (shapes[k].is_float) {
            if (!float_lane(c, shapes[k].bits, s, sizeof s, pattern)) return false;
        } else {
            uint64_t x;
            if (wat_int(&c->t, c->pos, shapes[k].bits, &x) != NUM_OK)
                return conv_fail(c, "bad lane");
            c->pos++;
            snprintf(s, sizeof s, "%" PRIu64, x);
        }
        cJSON_AddItemToArray(arr, cJSON_CreateString(s));
    }
    return true;
}

/* (ref.null t), (ref.extern n), (ref.func), (ref.host n) ... */
static bool ref_value(Conv *c, const char *op, size_t len, cJSON *v)
{
    if (len == 8 && memcmp(op, "ref.null", 8) == 0) {
        bool ext = wat_is_keyword(&c->t, c->pos, "extern") ||
                   wat_is_keyword(&c->t, c->pos, "noextern");
        if (peek(c) != TOK_RPAR) c->pos++;
        cJSON_AddStringToObject(v, "type", ext ? "externref" : "funcref");
        cJSON_AddStringToObject(v, "value", "null");
        return true;
    }
    bool ext = len == 10 && memcmp(op, "ref.extern", 10) == 0;
    cJSON_AddStringToObject(v, "type", ext ? "externref" : "funcref");
    if (peek(c) == TOK_NUM) {
        uint64_t n;
        if (wat_uint(&c->t, c->pos++, 64, &n) != NUM_OK) return conv_fail(c, "bad reference");
        add_bits(v, n);
    }
    return true;
}

/* One (t.const ...) argument or expected result; patterns allowed when `pattern`. */
static cJSON *value(Conv *c, bool pattern)
{
    if (!expect(c, TOK_LPAR)) return NULL;
    cJSON *v = cJSON_CreateObject();
    size_t len = c->t.toks[c->pos].len;
    const char *op = c->t.src + c->t.toks[c->pos].off;
    c->pos++;
    bool ok = true;
    uint64_t x;
    uint32_t f;
    if (len == 9 && memcmp(op + 3, ".const", 6) == 0) {
        char type[4] = {op[0], op[1], op[2], 0};
        cJSON_AddStringToObject(v, "type", type);
        unsigned bits = op[1] == '3' ? 32 : 64;
        if (op[0] == 'i') {
            ok = wat_int(&c->t, c->pos, bits, &x) == NUM_OK || conv_fail(c, "bad integer");
            c->pos++;
            if (ok) add_bits(v, x);
        } else if (!(pattern && nan_pattern(c, v))) {
            NumResult r = bits == 32 ? wat_f32(&c->t, c->pos, &f) : wat_f64(&c->t, c->pos, &x);
            if (bits == 32) x = f;
            ok = r == NUM_OK || conv_fail(c, "bad float");
            c->pos++;
            if (ok) add_bits(v, x);
        }
    } else if (len == 10 && memcmp(op, "v128.const", 10) == 0) {
        cJSON_AddStringToObject(v, "type", "v128");
        ok = v128_value(c, v, pattern);
    } else if (len > 4 && memcmp(op, "ref.", 4) == 0) {
        ok = ref_value(c, op, len, v);
    } else {
        ok = conv_fail(c, "unknown value %.*s", (int)len, op);
    }
    if (ok) ok = expect(c, TOK_RPAR);
    if (!ok) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* ---- Commands ------------------------------------------------------------------------------ */

/* (invoke $id? "name" arg*) or (get $id? "name"): the "action" object. */
static cJSON *action(Conv *c)
{
    if (!expect(c, TOK_LPAR)) return NULL;
    bool invoke = wat_is_keyword(&c->t, c->pos, "invoke");
    if (!invoke && !wat_is_keyword(&c->t, c->pos, "get")) {
        conv_fail(c, "expected invoke or get");
        return NULL;
    }
    c->pos++;
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", invoke ? "invoke" : "get");
    if (peek(c) == TOK_ID) {
        char *id = id_at(c, c->pos++);
        cJSON_AddStringToObject(a, "module", id);
        free(id);
    }
    if (peek(c) != TOK_STRING) {
        conv_fail(c, "expected a name");
        cJSON_Delete(a);
        return NULL;
    }
    char *field = string_at(c, c->pos++);
    cJSON_AddStringToObject(a, "field", field);
    free(field);
    cJSON *args = cJSON_AddArrayToObject(a, "args");
    while (peek(c) == TOK_LPAR) {
        cJSON *v = value(c, false);
        if (!v) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(args, v);
    }
    if (!expect(c, TOK_RPAR)) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static bool message(Conv *c, cJSON *cmd)
{
    if (peek(c) != TOK_STRING) return conv_fail(c, "expected a message");
    char *s = string_at(c, c->pos++);
    cJSON_AddStringToObject(cmd, "text", s);
    free(s);
    return true;
}

static bool assert_module(Conv *c, cJSON *cmd)
{
    if (!wat_is_open(&c->t, c->pos, "module")) return conv_fail(c, "expected a module");
    return module(c, cmd) && message(c, cmd);
}

static bool assert_return(Conv *c, cJSON *cmd)
{
    cJSON *a = action(c);
    if (!a) return false;
    cJSON_AddItemToObject(cmd, "action", a);
    cJSON *exp = cJSON_AddArrayToObject(cmd, "expected");
    while (peek(c) == TOK_LPAR) {
        if (wat_is_open(&c->t, c->pos, "either")) { /* 3.0: one of several results */
            c->pos += 2;
            cJSON *v = value(c, true);
            if (!v) return false;
            cJSON_AddItemToArray(exp, v);
            while (peek(c) == TOK_LPAR) c->pos = wat_skip(&c->t, c->pos);
            if (!expect(c, TOK_RPAR)) return false;
            continue;
        }
        cJSON *v = value(c, true);
        if (!v) return false;
        cJSON_AddItemToArray(exp, v);
    }
    return true;
}

/* assert_trap of an action, or of a module (assert_uninstantiable). */
static bool assert_trap(Conv *c, cJSON *cmd, const char **type)
{
    if (wat_is_open(&c->t, c->pos, "module")) {
        *type = "assert_uninstantiable";
        return assert_module(c, cmd);
    }
    cJSON *a = action(c);
    if (!a) return false;
    cJSON_AddItemToObject(cmd, "action", a);
    return message(c, cmd);
}

static bool command(Conv *c, cJSON *cmds)
{
    size_t start = c->pos;
    if (!expect(c, TOK_LPAR) || peek(c) != TOK_KEYWORD) return conv_fail(c, "expected a command");
    size_t len = c->t.toks[c->pos].len;
    char kw[32];
    snprintf(kw, sizeof kw, "%.*s", (int)(len < 31 ? len : 31), c->t.src + c->t.toks[c->pos].off);
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddNumberToObject(cmd, "line", line_of(c, start));
    const char *type = kw;
    bool ok;
    if (strcmp(kw, "module") == 0) {
        c->pos = start;
        if (wat_is_keyword(&c->t, start + 2, "instance")) { /* 3.0 (module instance $i $d) */
            type = "module_instance";
            c->pos = start + 3;
            for (int i = 0; i < 2 && peek(c) == TOK_ID; i++) {
                char *id = id_at(c, c->pos++);
                cJSON_AddStringToObject(cmd, i == 0 ? "name" : "module", id);
                free(id);
            }
            ok = expect(c, TOK_RPAR);
        } else {
            ok = module(c, cmd);
        }
    } else {
        c->pos++;
        if (strcmp(kw, "register") == 0) {
            ok = message(c, cmd);
            cJSON *as = cJSON_DetachItemFromObject(cmd, "text");
            cJSON_AddItemToObject(cmd, "as", as);
            if (ok && peek(c) == TOK_ID) {
                char *id = id_at(c, c->pos++);
                cJSON_AddStringToObject(cmd, "name", id);
                free(id);
            }
        } else if (strcmp(kw, "invoke") == 0 || strcmp(kw, "get") == 0) {
            type = "action";
            c->pos = start;
            cJSON *a = action(c);
            ok = a != NULL;
            if (a) cJSON_AddItemToObject(cmd, "action", a);
            c->pos--; /* the command's `)` was the action's */
        } else if (strcmp(kw, "assert_return") == 0) {
            ok = assert_return(c, cmd);
        } else if (strcmp(kw, "assert_trap") == 0) {
            ok = assert_trap(c, cmd, &type);
        } else if (strcmp(kw, "assert_exhaustion") == 0 || strcmp(kw, "assert_exception") == 0) {
            cJSON *a = action(c);
            ok = a != NULL;
            if (a) cJSON_AddItemToObject(cmd, "action", a);
            if (ok && peek(c) == TOK_STRING) ok = message(c, cmd);
        } else if (strcmp(kw, "assert_malformed") == 0 || strcmp(kw, "assert_invalid") == 0 ||
                   strcmp(kw, "assert_unlinkable") == 0) {
            ok = assert_module(c, cmd);
        } else {
            ok = conv_fail(c, "unknown command %s", kw);
        }
        ok = ok && expect(c, TOK_RPAR);
    }
    cJSON_AddStringToObject(cmd, "type", type);
    cJSON_AddItemToArray(cmds, cmd);
    return ok;
}

static bool is_command(const Conv *c, size_t tok)
{
    static const char *const names[] = {
        "module", "register", "invoke", "get", "assert_return", "assert_trap",
        "assert_exhaustion", "assert_exception", "assert_malformed", "assert_invalid",
        "assert_unlinkable"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (wat_is_keyword(&c->t, tok, names[i])) return true;
    return false;
}

/* A script that is one module's fields, unwrapped (spec: a module alone is a script). */
static bool bare_module(Conv *c, cJSON *cmds)
{
    WatBuf b = {0};
    size_t pos = 0, id;
    wk_error_t *err = wat_module(&c->t, &pos, true, &b, &id);
    if (err) {
        conv_fail(c, "%s", wk_error_message(err));
        wk_error_delete(err);
        buf_free(&b);
        return false;
    }
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddNumberToObject(cmd, "line", 1);
    add_hex(cmd, "wasm_hex", b.data, b.len);
    cJSON_AddStringToObject(cmd, "module_type", "binary");
    cJSON_AddStringToObject(cmd, "type", "module");
    cJSON_AddItemToArray(cmds, cmd);
    buf_free(&b);
    c->pos = pos;
    return true;
}

cJSON *wast_to_json(const char *text, size_t len, const char *source, char *err, size_t errlen)
{
    Conv c = {0};
    wk_error_t *e = wat_lex(text, len, &c.t);
    if (e) {
        snprintf(err, errlen, "%s", wk_error_message(e));
        wk_error_delete(e);
        return NULL;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "source_filename", source);
    cJSON *cmds = cJSON_AddArrayToObject(root, "commands");
    bool ok = true;
    if (peek(&c) == TOK_LPAR && !is_command(&c, 1)) {
        ok = bare_module(&c, cmds);
    }
    while (ok && peek(&c) != TOK_EOF) ok = command(&c, cmds);
    wat_tokens_free(&c.t);
    if (!ok) {
        snprintf(err, errlen, "%s", c.err);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
