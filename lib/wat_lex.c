/* Text-format lexing (spec 6.2, 6.3.3): tokens, comments, string escapes, UTF-8 checks and
 * errors carrying line:column. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "wat.h"

/* idchar (spec 6.3.5). */
static bool is_idchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void wat_line_col(const Tokens *t, size_t off, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < t->src_len; i++) {
        if (t->src[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static wk_error_t *error_at(const Tokens *t, size_t off, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    unsigned line, col;
    wat_line_col(t, off, &line, &col);
    /* no byte offset: the position is the line:column in the message */
    return error_new(WK_ERROR_MALFORMED, WK_NO_OFFSET, "%s (at %u:%u)", msg, line, col);
}

static wk_error_t *lex_error(const Tokens *t, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static wk_error_t *lex_error(const Tokens *t, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wk_error_t *e = error_at(t, off, fmt, ap);
    va_end(ap);
    return e;
}

wk_error_t *wat_error(const Tokens *t, size_t tok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t off = tok < t->count ? t->toks[tok].off : t->src_len;
    wk_error_t *e = error_at(t, off, fmt, ap);
    va_end(ap);
    return e;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint32_t c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n) return 0;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
    return len;
}

bool wat_utf8_valid(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(s + i, len - i);
        if (!n) return false;
        i += n;
    }
    return true;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Scans the string starting at s[i] == '"'. Returns the offset past the closing quote, or 0
 * with *why set. Checks escapes and UTF-8 (spec 6.3.3). */
static size_t scan_string(const char *s, size_t len, size_t i, const char **why)
{
    const uint8_t *u = (const uint8_t *)s;
    for (i++; i < len; i++) {
        uint8_t c = u[i];
        if (c == '"') return i + 1;
        if (c < 0x20 || c == 0x7F) {
            *why = "illegal control character in string";
            return 0;
        }
        if (c >= 0x80) {
            size_t n = utf8_len(u + i, len - i);
            if (!n) {
                *why = "malformed UTF-8 encoding";
                return 0;
            }
            i += n - 1;
            continue;
        }
        if (c != '\\') continue;
        if (++i >= len) break;
        c = u[i];
        if (strchr("tnr\"'\\", c)) continue;
        if (c == 'u') {
            if (i + 1 >= len || u[i + 1] != '{') goto bad;
            size_t j = i + 2;
            uint32_t cp = 0;
            bool any = false;
            for (; j < len && u[j] != '}'; j++) {
                if (u[j] == '_' && any) continue;
                int h = hexval(u[j]);
                if (h < 0 || cp > 0x10FFFF) goto bad;
                cp = cp * 16 + (uint32_t)h;
                any = true;
            }
            if (j >= len || !any || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) goto bad;
            i = j;
            continue;
        }
        if (i + 1 < len && hexval(c) >= 0 && hexval(u[i + 1]) >= 0) {
            i++;
            continue;
        }
    bad:
        *why = "illegal escape";
        return 0;
    }
    *why = "unclosed string";
    return 0;
}

/* Skips a block comment starting at s[i] == '(' ';'. Returns the offset past it, or 0. */
static size_t skip_block_comment(const char *s, size_t len, size_t i)
{
    int depth = 0;
    while (i + 1 < len) {
        if (s[i] == '(' && s[i + 1] == ';') {
            depth++;
            i += 2;
        } else if (s[i] == ';' && s[i + 1] == ')') {
            i += 2;
            if (--depth == 0) return i;
        } else {
            i++;
        }
    }
    return 0;
}

static TokKind classify(const char *s, size_t len, bool has_string, bool all_idchars)
{
    unsigned char c = (unsigned char)s[0];
    if (has_string) {
        if (s[0] == '"' && len >= 2 && s[len - 1] == '"' && !all_idchars) {
            /* one string exactly: no quote inside except escaped ones */
            bool single = true;
            for (size_t i = 1; i + 1 < len; i++) {
                if (s[i] == '\\') i++;
                else if (s[i] == '"') single = false;
            }
            if (single) return TOK_STRING;
        }
        if (s[0] == '$' && len > 3 && s[1] == '"' && s[len - 1] == '"') return TOK_ID;
        return TOK_RESERVED;
    }
    if (!all_idchars) return TOK_RESERVED;
    if (c == '$') return len > 1 ? TOK_ID : TOK_RESERVED;
    if (c >= 'a' && c <= 'z') return TOK_KEYWORD;
    if (c >= '0' && c <= '9') return TOK_NUM;
    if ((c == '+' || c == '-') && len > 1) return TOK_NUM;
    return TOK_RESERVED;
}

static bool push(Tokens *t, size_t *cap, TokKind kind, size_t off, size_t len)
{
    if (t->count == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        Token *n = realloc(t->toks, *cap * sizeof *n);
        if (!n) return false;
        t->toks = n;
    }
    t->toks[t->count++] = (Token){(uint8_t)kind, (uint32_t)off, (uint32_t)len};
    return true;
}

/* Scans one token (not a paren) at s[i]: a maximal run of idchars, strings and reserved
 * characters. Returns its end, or 0 with *why set. */
static size_t scan_token(const char *s, size_t len, size_t i, bool *has_string, bool *all_id,
                         const char **why)
{
    *has_string = false;
    *all_id = true;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (is_space(c) || c == '(' || c == ')') break;
        if (c == ';' && i + 1 < len && s[i + 1] == ';') break;
        if (c == '"') {
            size_t end = scan_string(s, len, i, why);
            if (!end) return 0;
            *has_string = true;
            *all_id = false;
            i = end;
            continue;
        }
        if (!is_idchar(c)) {
            if (!strchr(",;[]{}", c)) {
                *why = c >= 0x80 ? "malformed UTF-8 encoding" : "unexpected character";
                if (c >= 0x80 && utf8_len((const uint8_t *)s + i, len - i))
                    *why = "unexpected character";
                return 0;
            }
            *all_id = false;
        }
        i++;
    }
    return i;
}

wk_error_t *wat_lex(const char *src, size_t len, Tokens *out)
{
    Tokens t = {src, len, NULL, 0};
    size_t cap = 0, i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)src[i];
        if (is_space(c)) {
            i++;
        } else if (c == ';' && i + 1 < len && src[i + 1] == ';') {
            while (i < len && src[i] != '\n') i++;
        } else if (c == '(' && i + 1 < len && src[i + 1] == ';') {
            size_t end = skip_block_comment(src, len, i);
            if (!end) {
                wk_error_t *e = lex_error(&t, i, "unclosed comment");
                wat_tokens_free(&t);
                return e;
            }
            i = end;
        } else if (c == '(' || c == ')') {
            if (!push(&t, &cap, c == '(' ? TOK_LPAR : TOK_RPAR, i, 1)) goto oom;
            i++;
        } else {
            bool has_string, all_id;
            const char *why = NULL;
            size_t end = scan_token(src, len, i, &has_string, &all_id, &why);
            if (!end) {
                wk_error_t *e = lex_error(&t, i, "%s", why);
                wat_tokens_free(&t);
                return e;
            }
            if (!push(&t, &cap, classify(src + i, end - i, has_string, all_id), i, end - i))
                goto oom;
            i = end;
        }
    }
    if (!push(&t, &cap, TOK_EOF, len, 0)) goto oom;
    t.count--; /* the EOF token is not counted but always present */
    *out = t;
    return NULL;
oom:
    wat_tokens_free(&t);
    return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
}

void wat_tokens_free(Tokens *t)
{
    free(t->toks);
    t->toks = NULL;
    t->count = 0;
}

bool wat_is_keyword(const Tokens *t, size_t i, const char *kw)
{
    if (i >= t->count || t->toks[i].kind != TOK_KEYWORD) return false;
    size_t n = strlen(kw);
    return t->toks[i].len == n && memcmp(t->src + t->toks[i].off, kw, n) == 0;
}

bool wat_is_open(const Tokens *t, size_t i, const char *kw)
{
    return i < t->count && t->toks[i].kind == TOK_LPAR && wat_is_keyword(t, i + 1, kw);
}

size_t wat_skip(const Tokens *t, size_t i)
{
    if (i >= t->count) return t->count;
    if (t->toks[i].kind != TOK_LPAR) return i + 1;
    int depth = 0;
    for (; i < t->count; i++) {
        if (t->toks[i].kind == TOK_LPAR) depth++;
        else if (t->toks[i].kind == TOK_RPAR && --depth == 0) return i + 1;
    }
    return t->count;
}

bool wat_string(const Tokens *t, size_t i, uint8_t **out, size_t *len)
{
    const uint8_t *s = (const uint8_t *)t->src + t->toks[i].off;
    size_t n = t->toks[i].len;
    if (t->toks[i].kind == TOK_ID) s++, n--; /* $"..." */
    uint8_t *b = malloc(n + 1);
    if (!b) return false;
    size_t w = 0;
    for (size_t r = 1; r + 1 < n; r++) {
        if (s[r] != '\\') {
            b[w++] = s[r];
            continue;
        }
        uint8_t c = s[++r];
        if (c == 't') b[w++] = '\t';
        else if (c == 'n') b[w++] = '\n';
        else if (c == 'r') b[w++] = '\r';
        else if (c == '"' || c == '\'' || c == '\\') b[w++] = c;
        else if (c == 'u') {
            uint32_t cp = 0;
            for (r += 2; s[r] != '}'; r++)
                if (s[r] != '_') cp = cp * 16 + (uint32_t)hexval(s[r]);
            if (cp < 0x80) b[w++] = (uint8_t)cp;
            else if (cp < 0x800) {
                b[w++] = (uint8_t)(0xC0 | cp >> 6);
                b[w++] = (uint8_t)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                b[w++] = (uint8_t)(0xE0 | cp >> 12);
                b[w++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                b[w++] = (uint8_t)(0x80 | (cp & 0x3F));
            } else {
                b[w++] = (uint8_t)(0xF0 | cp >> 18);
                b[w++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                b[w++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                b[w++] = (uint8_t)(0x80 | (cp & 0x3F));
            }
        } else {
            b[w++] = (uint8_t)(hexval(c) * 16 + hexval(s[r + 1]));
            r++;
        }
    }
    b[w] = 0;
    *out = b;
    *len = w;
    return true;
}
