/* Spec-runner executor: runs the commands of one script (wast.c) or wast2json file against the public API in one
 * store (modules, registration, import resolution, actions and every assertion) and writes one
 * result record per command. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine_env.h"
#include "runner.h"

enum { MSG_LEN = 2048 };

/* What the runner knows about a module command's module: usable, not runnable by this build
 * (commands on it are skipped, for skip_reason), or failed (commands on it fail). */
typedef enum { INST_OK, INST_SKIPPED, INST_FAILED } InstState;

typedef struct Inst {
    const char *name; /* "$M" from the JSON, or NULL */
    int line;
    InstState state;
    const char *skip_reason;
    wk_module_t *module;
    wk_instance_t *instance;
} Inst;

typedef struct Registered {
    char *as;
    size_t as_len;
    Inst *inst;
} Registered;

typedef struct Exec {
    wk_engine_t *engine;
    wk_store_t *store;
    const char *dir;
    const char *source; /* the .wast file (source_filename), or NULL */
    Spectest *spectest;
    Inst **insts;
    size_t ninsts, cap_insts;
    Inst *current;
    Registered *regs;
    size_t nregs, cap_regs;
} Exec;

/* A command's outcome: status is REC_PASS, REC_FAIL or REC_SKIP; msg the reason. */
typedef struct Outcome {
    char status;
    char msg[MSG_LEN];
} Outcome;

static void fail(Outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(Outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->msg, sizeof o->msg, fmt, ap);
    va_end(ap);
    o->status = REC_FAIL;
}

static void skip(Outcome *o, const char *reason)
{
    snprintf(o->msg, sizeof o->msg, "%s", reason);
    o->status = REC_SKIP;
}

/* The spec's rule: the expected text is a prefix of (or equal to) ours. */
static bool text_matches(const char *expected, const char *ours)
{
    return strncmp(ours, expected, strlen(expected)) == 0;
}

static const char *str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* A name from the JSON: the loader turned each \u0000 into the byte 0xFF (never valid UTF-8),
 * which is turned back here. Returns a malloc'ed copy and its length. */
static char *name_bytes(const char *s, size_t *len)
{
    *len = strlen(s);
    char *copy = malloc(*len + 1);
    if (!copy) abort();
    for (size_t i = 0; i <= *len; i++) copy[i] = (char)((unsigned char)s[i] == 0xFF ? 0 : s[i]);
    return copy;
}

/* Writes name to buf with non-printable bytes escaped, for messages. */
static void name_format(const char *name, size_t len, char *buf, size_t buflen)
{
    size_t used = 0;
    for (size_t i = 0; i < len && used + 5 < buflen; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            buf[used++] = (char)c;
        else
            used += (size_t)snprintf(buf + used, buflen - used, "\\%02x", c);
    }
    buf[used] = '\0';
}

/* ---- Modules ------------------------------------------------------------------------- */

static bool read_wasm(const Exec *x, const char *file, uint8_t **bytes, size_t *size, Outcome *o)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", x->dir, file ? file : "");
    FILE *f = file ? fopen(path, "rb") : NULL;
    if (!f) {
        fail(o, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *bytes = malloc(n > 0 ? (size_t)n : 1);
    *size = n > 0 ? (size_t)n : 0;
    bool ok = *bytes && fread(*bytes, 1, *size, f) == *size;
    fclose(f);
    if (!ok) {
        free(*bytes);
        fail(o, "cannot read %s", path);
    }
    return ok;
}

static bool unhex(const char *h, uint8_t **bytes, size_t *size)
{
    size_t n = strlen(h) / 2;
    *bytes = malloc(n ? n : 1);
    if (!*bytes) abort();
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) return false;
        (*bytes)[i] = (uint8_t)v;
    }
    *size = n;
    return true;
}

/* The command's binary module: "wasm_hex" (from a .wast), "wat_hex" (quoted text, converted
 * here; *text_err receives the parser's error, if any, and no bytes), or "filename" (a
 * wast2json file). False with o failed when it cannot be read. */
static bool module_bytes(const Exec *x, const cJSON *cmd, uint8_t **bytes, size_t *size,
                         wk_error_t **text_err, Outcome *o)
{
    const char *hex = str(cmd, "wasm_hex"), *wat = str(cmd, "wat_hex");
    *text_err = NULL;
    if (!hex && !wat) return read_wasm(x, str(cmd, "filename"), bytes, size, o);
    uint8_t *raw;
    size_t n;
    if (!unhex(hex ? hex : wat, &raw, &n)) {
        free(raw);
        fail(o, "bad module hex");
        return false;
    }
    if (hex) {
        *bytes = raw;
        *size = n;
        return true;
    }
    *text_err = wk_wat2wasm((const char *)raw, n, bytes, size);
    free(raw);
    if (*text_err) *bytes = NULL;
    return true;
}

/* Decodes, validates and compiles the command's "filename". NULL on error, with o failed, or
 * skipped when the module is valid but this build cannot compile it (WK_ERROR_UNSUPPORTED). */
static wk_module_t *load_module(const Exec *x, const cJSON *cmd, Outcome *o)
{
    uint8_t *bytes;
    size_t size;
    wk_error_t *text_err;
    if (!module_bytes(x, cmd, &bytes, &size, &text_err, o)) return NULL;
    if (text_err) {
        fail(o, "module text failed to parse: %s", wk_error_message(text_err));
        wk_error_delete(text_err);
        return NULL;
    }
    wk_module_t *m = NULL;
    wk_error_t *err = wk_module_new(x->engine, bytes, size, &m);
    free(bytes);
    if (err && wk_error_kind(err) == WK_ERROR_UNSUPPORTED) {
        skip(o, SKIP_UNSUPPORTED);
        snprintf(o->msg, sizeof o->msg, "%s: %s", SKIP_UNSUPPORTED, wk_error_describe(err));
    } else if (err) {
        fail(o, "module failed to load: %s", wk_error_describe(err));
    }
    wk_error_delete(err);
    return m;
}

/* Finds (module, name) among the registered instances, then spectest. LOOKUP_NO_EXECUTION
 * when the provider cannot run in this build (*reason says why). */
static int resolve(Exec *x, wk_name_t module, wk_name_t name, wk_extern_t *out,
                   const char **reason)
{
    *reason = SKIP_NO_EXECUTION;
    for (size_t i = x->nregs; i-- > 0;) {
        Registered *r = &x->regs[i];
        if (r->as_len != module.size || memcmp(r->as, module.data, module.size) != 0) continue;
        if (r->inst->state == INST_SKIPPED) {
            *reason = r->inst->skip_reason;
            return LOOKUP_NO_EXECUTION;
        }
        bool found = wk_instance_export_get(r->inst->instance, name.data, name.size, out);
        return found ? LOOKUP_FOUND : LOOKUP_MISSING;
    }
    if (module.size == 8 && memcmp(module.data, "spectest", 8) == 0) {
        if (!x->spectest) x->spectest = spectest_new(x->store);
        return spectest_lookup(x->spectest, name, out);
    }
    return LOOKUP_MISSING;
}

typedef enum { LINK_OK, LINK_SKIP, LINK_ERROR, LINK_TRAP } LinkResult;

/* Resolves m's imports by (module, name) into imports. LINK_ERROR with msg "unknown import ..."
 * when one is missing; LINK_SKIP (msg: the reason) when a provider cannot run. */
static LinkResult resolve_imports(Exec *x, const wk_module_t *m, wk_extern_t *imports,
                                  char *msg, size_t len)
{
    size_t n = wk_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        wk_name_t module, name;
        wk_externtype_t type;
        wk_module_import(m, i, &module, &name, &type);
        const char *reason;
        int r = resolve(x, module, name, &imports[i], &reason);
        if (r == LOOKUP_NO_EXECUTION) {
            snprintf(msg, len, "%s", reason);
            return LINK_SKIP;
        }
        if (r == LOOKUP_MISSING) {
            char mod_s[256], name_s[256];
            name_format(module.data, module.size, mod_s, sizeof mod_s);
            name_format(name.data, name.size, name_s, sizeof name_s);
            snprintf(msg, len, "unknown import \"%s\" \"%s\"", mod_s, name_s);
            return LINK_ERROR;
        }
    }
    return LINK_OK;
}

/* Resolves m's imports and instantiates it. On LINK_ERROR and LINK_TRAP msg holds the message
 * to match; on LINK_SKIP the skip reason (instantiation unsupported: "no execution yet"). */
static LinkResult instantiate(Exec *x, const wk_module_t *m, wk_instance_t **out, char *msg,
                              size_t len)
{
    size_t n = wk_module_import_count(m);
    wk_extern_t *imports = calloc(n ? n : 1, sizeof *imports);
    if (!imports) abort();
    LinkResult r = resolve_imports(x, m, imports, msg, len);
    if (r == LINK_OK) {
        wk_trap_t *trap = NULL;
        *out = NULL;
        wk_error_t *err = wk_instance_new(x->store, m, imports, n, out, &trap);
        if (err && wk_error_kind(err) == WK_ERROR_UNSUPPORTED) {
            snprintf(msg, len, "%s", SKIP_NO_EXECUTION);
            r = LINK_SKIP;
        } else if (err) {
            snprintf(msg, len, "%s", wk_error_message(err));
            r = LINK_ERROR;
        } else if (trap || !*out) {
            snprintf(msg, len, "%s", trap ? wk_trap_message(trap) : "no instance and no trap");
            r = LINK_TRAP;
        }
        wk_error_delete(err);
        wk_trap_delete(trap);
    }
    free(imports);
    return r;
}

static Inst *add_inst(Exec *x, const cJSON *cmd)
{
    if (x->ninsts == x->cap_insts) {
        x->cap_insts = x->cap_insts ? 2 * x->cap_insts : 16;
        x->insts = realloc(x->insts, x->cap_insts * sizeof *x->insts);
        if (!x->insts) abort();
    }
    Inst *inst = calloc(1, sizeof *inst);
    if (!inst) abort();
    inst->name = str(cmd, "name");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(cmd, "line");
    inst->line = cJSON_IsNumber(line) ? line->valueint : 0;
    inst->state = INST_FAILED;
    x->insts[x->ninsts++] = inst;
    x->current = inst;
    return inst;
}

static void cmd_module(Exec *x, const cJSON *cmd, Outcome *o)
{
    Inst *inst = add_inst(x, cmd);
    inst->module = load_module(x, cmd, o);
    if (!inst->module) {
        inst->state = o->status == REC_SKIP ? INST_SKIPPED : INST_FAILED;
        inst->skip_reason = SKIP_UNSUPPORTED;
        return;
    }
    char msg[MSG_LEN];
    switch (instantiate(x, inst->module, &inst->instance, msg, sizeof msg)) {
    case LINK_OK: inst->state = INST_OK; break;
    case LINK_SKIP:
        /* Loading is what a module command can show until instances can be made. */
        inst->state = INST_SKIPPED;
        inst->skip_reason = strcmp(msg, SKIP_NO_EXECUTION) == 0 ? SKIP_NO_EXECUTION
                                                                : SKIP_UNSUPPORTED;
        break;
    case LINK_ERROR: fail(o, "module failed to link: %s", msg); break;
    case LINK_TRAP: fail(o, "module trapped while instantiating: %s", msg); break;
    }
}

static Inst *find_inst(Exec *x, const char *name, Outcome *o)
{
    if (!name) {
        if (!x->current) fail(o, "no module defined before this command");
        return x->current;
    }
    for (size_t i = x->ninsts; i-- > 0;)
        if (x->insts[i]->name && strcmp(x->insts[i]->name, name) == 0) return x->insts[i];
    fail(o, "no module named %s", name);
    return NULL;
}

/* The instance a command refers to, or NULL with o set (failed, or skipped with its reason). */
static Inst *usable_inst(Exec *x, const char *name, Outcome *o)
{
    Inst *inst = find_inst(x, name, o);
    if (!inst) return NULL;
    if (inst->state == INST_SKIPPED) {
        skip(o, inst->skip_reason);
        return NULL;
    }
    if (inst->state == INST_FAILED) {
        fail(o, "the module of line %d did not load", inst->line);
        return NULL;
    }
    return inst;
}

static void cmd_register(Exec *x, const cJSON *cmd, Outcome *o)
{
    Inst *inst = find_inst(x, str(cmd, "name"), o);
    const char *as = str(cmd, "as");
    if (!inst) return;
    if (inst->state == INST_FAILED || !as) {
        fail(o, "cannot register the module of line %d", inst->line);
        return;
    }
    if (inst->state == INST_SKIPPED) skip(o, inst->skip_reason);
    if (x->nregs == x->cap_regs) {
        x->cap_regs = x->cap_regs ? 2 * x->cap_regs : 8;
        x->regs = realloc(x->regs, x->cap_regs * sizeof *x->regs);
        if (!x->regs) abort();
    }
    Registered *r = &x->regs[x->nregs++];
    r->as = name_bytes(as, &r->as_len);
    r->inst = inst;
}

/* ---- Module assertions --------------------------------------------------------------- */

/* assert_invalid / assert_malformed: validation must fail with a matching message and the
 * right kind (malformed: decoding; invalid: validation). */
static void cmd_assert_rejected(Exec *x, const cJSON *cmd, CmdType t, Outcome *o)
{
    uint8_t *bytes;
    size_t size;
    wk_error_t *err;
    if (!module_bytes(x, cmd, &bytes, &size, &err, o)) return;
    if (!err) err = wk_module_validate(bytes, size);
    wk_wasm_delete(bytes);
    const char *text = str(cmd, "text");
    wk_error_kind_t want = t == CMD_ASSERT_MALFORMED ? WK_ERROR_MALFORMED : WK_ERROR_INVALID;
    const char *want_s = t == CMD_ASSERT_MALFORMED ? "malformed" : "invalid";
    bool ok = err && wk_error_kind(err) == want && text_matches(text ? text : "",
                                                                 wk_error_message(err));
    if (!err)
        fail(o, "expected %s module \"%s\", but it validated", want_s, text);
    else if (!ok)
        fail(o, "expected %s module \"%s\", got %s error \"%s\"", want_s, text,
             wk_error_kind(err) == WK_ERROR_MALFORMED  ? "malformed"
             : wk_error_kind(err) == WK_ERROR_INVALID  ? "invalid"
                                                       : "other",
             wk_error_describe(err));
    wk_error_delete(err);
}

/* assert_unlinkable / assert_uninstantiable: loads, then instantiation must fail with a link
 * error (want == LINK_ERROR) or a trap (want == LINK_TRAP) whose message matches. */
static void cmd_assert_no_instance(Exec *x, const cJSON *cmd, LinkResult want, Outcome *o)
{
    wk_module_t *m = load_module(x, cmd, o);
    if (!m) return;
    char msg[MSG_LEN];
    wk_instance_t *inst = NULL;
    LinkResult r = instantiate(x, m, &inst, msg, sizeof msg);
    const char *text = str(cmd, "text");
    const char *what = want == LINK_ERROR ? "link error" : "trap";
    if (r == LINK_SKIP)
        skip(o, msg);
    else if (r == LINK_OK)
        fail(o, "expected %s \"%s\", but it instantiated", what, text);
    else if (r != want || !text_matches(text ? text : "", msg))
        fail(o, "expected %s \"%s\", got %s \"%s\"", what, text,
             r == LINK_ERROR ? "link error" : "trap", msg);
    /* Deleting the module is allowed while an instance made from it lives in the store. */
    wk_module_delete(m);
}

/* ---- Actions ------------------------------------------------------------------------- */

typedef struct Action {
    char desc[512]; /* invoke "f"(i32:1) or get "g" */
    wk_val_t *results;
    size_t nresults;
    wk_trap_t *trap;
} Action;

static void describe_action(const cJSON *action, const char *type, Action *a)
{
    const char *field = str(action, "field");
    char name[256];
    size_t len;
    char *bytes = name_bytes(field ? field : "", &len);
    name_format(bytes, len, name, sizeof name);
    free(bytes);
    size_t used = (size_t)snprintf(a->desc, sizeof a->desc, "%s \"%s\"", type, name);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
    if (strcmp(type, "invoke") != 0 || used >= sizeof a->desc) return;
    used += (size_t)snprintf(a->desc + used, sizeof a->desc - used, "(");
    for (const cJSON *it = args ? args->child : NULL; it && used < sizeof a->desc; it = it->next) {
        Value v;
        char one[256], err[64];
        if (!value_parse(it, &v, err, sizeof err)) snprintf(one, sizeof one, "?");
        else value_format(&v, one, sizeof one);
        used += (size_t)snprintf(a->desc + used, sizeof a->desc - used, "%s%s",
                                 it == args->child ? "" : " ", one);
    }
    if (used < sizeof a->desc) snprintf(a->desc + used, sizeof a->desc - used, ")");
}

static bool parse_args(const cJSON *args, wk_val_t **out, size_t *n, Outcome *o)
{
    *n = (size_t)cJSON_GetArraySize(args);
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out) abort();
    size_t i = 0;
    for (const cJSON *it = args ? args->child : NULL; it; it = it->next, i++) {
        Value v;
        char err[128];
        if (!value_parse(it, &v, err, sizeof err)) {
            fail(o, "argument %zu: %s", i, err);
            return false;
        }
        (*out)[i] = v.val;
    }
    return true;
}

static bool invoke(wk_func_t *f, const cJSON *action, Action *a, Outcome *o)
{
    wk_val_t *args;
    size_t nargs;
    if (!parse_args(cJSON_GetObjectItemCaseSensitive(action, "args"), &args, &nargs, o)) {
        free(args);
        return false;
    }
    wk_functype_t type = wk_func_type(f);
    bool ok = type.nparams == nargs;
    if (!ok) {
        fail(o, "%s: the function takes %zu arguments", a->desc, type.nparams);
    } else {
        a->nresults = type.nresults;
        a->results = calloc(a->nresults ? a->nresults : 1, sizeof *a->results);
        if (!a->results) abort();
        a->trap = wk_func_call(f, args, nargs, a->results, a->nresults);
    }
    free(args);
    return ok;
}

/* Runs the command's action. False with o set (failed or skipped) when it could not run;
 * true when it returned (a->results) or trapped (a->trap). */
static bool run_action(Exec *x, const cJSON *cmd, Action *a, Outcome *o)
{
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
    const char *type = str(action, "type");
    const char *field = str(action, "field");
    memset(a, 0, sizeof *a);
    describe_action(action, type ? type : "?", a);
    Inst *inst = usable_inst(x, str(action, "module"), o);
    if (!inst) return false;
    size_t len;
    char *name = name_bytes(field ? field : "", &len);
    wk_extern_t ext;
    bool found = wk_instance_export_get(inst->instance, name, len, &ext);
    free(name);
    bool is_invoke = type && strcmp(type, "invoke") == 0;
    wk_externkind_t want = is_invoke ? WK_EXTERN_FUNC : WK_EXTERN_GLOBAL;
    if (!found || ext.kind != want) {
        fail(o, "%s: no such %s export", a->desc, is_invoke ? "function" : "global");
        return false;
    }
    if (is_invoke) return invoke(ext.of.func, action, a, o);
    a->nresults = 1;
    a->results = calloc(1, sizeof *a->results);
    if (!a->results) abort();
    a->results[0] = wk_global_get(ext.of.global);
    return true;
}

static void action_clear(Action *a)
{
    free(a->results);
    wk_trap_delete(a->trap);
}

static void format_results(const wk_val_t *vals, size_t n, const Value *like, size_t nlike,
                           char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (size_t i = 0; i < n && used < len; i++) {
        char one[512];
        value_format_got(&vals[i], i < nlike ? like[i].lane : LANE_NONE, one, sizeof one);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", one);
    }
    if (used < len) snprintf(buf + used, len - used, ")");
}

static void cmd_action(Exec *x, const cJSON *cmd, Outcome *o)
{
    Action a;
    if (run_action(x, cmd, &a, o) && a.trap)
        fail(o, "%s: unexpected trap \"%s\"", a.desc, wk_trap_message(a.trap));
    action_clear(&a);
}

static bool parse_expected(const cJSON *cmd, Value *exp, size_t *n, Outcome *o)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
    *n = 0;
    for (const cJSON *it = list ? list->child : NULL; it; it = it->next) {
        char err[128];
        if (*n == 64 || !value_parse(it, &exp[*n], err, sizeof err)) {
            fail(o, "expected value %zu: %s", *n, *n == 64 ? "too many" : err);
            return false;
        }
        (*n)++;
    }
    return true;
}

static void compare_results(const Action *a, const Value *exp, size_t nexp, Outcome *o)
{
    bool same = a->nresults == nexp;
    for (size_t i = 0; same && i < nexp; i++) same = value_match(&exp[i], &a->results[i]);
    if (same) return;
    char want[MSG_LEN / 2], got[MSG_LEN / 2];
    size_t used = (size_t)snprintf(want, sizeof want, "(");
    for (size_t i = 0; i < nexp && used < sizeof want; i++) {
        char one[512];
        value_format(&exp[i], one, sizeof one);
        used += (size_t)snprintf(want + used, sizeof want - used, "%s%s", i ? " " : "", one);
    }
    if (used < sizeof want) snprintf(want + used, sizeof want - used, ")");
    format_results(a->results, a->nresults, exp, nexp, got, sizeof got);
    fail(o, "%s: expected %s, got %s", a->desc, want, got);
}

static void cmd_assert_return(Exec *x, const cJSON *cmd, Outcome *o)
{
    Value exp[64];
    size_t nexp;
    Action a;
    if (!parse_expected(cmd, exp, &nexp, o)) return;
    if (!run_action(x, cmd, &a, o)) {
        action_clear(&a);
        return;
    }
    if (a.trap)
        fail(o, "%s: unexpected trap \"%s\"", a.desc, wk_trap_message(a.trap));
    else
        compare_results(&a, exp, nexp, o);
    action_clear(&a);
}

/* assert_trap and assert_exhaustion: the action must trap with a matching message. */
static void cmd_assert_trap(Exec *x, const cJSON *cmd, Outcome *o)
{
    Action a;
    const char *text = str(cmd, "text");
    if (run_action(x, cmd, &a, o)) {
        if (!a.trap) {
            char got[MSG_LEN / 2];
            format_results(a.results, a.nresults, NULL, 0, got, sizeof got);
            fail(o, "%s: expected trap \"%s\", got %s", a.desc, text, got);
        } else if (!text_matches(text ? text : "", wk_trap_message(a.trap))) {
            fail(o, "%s: expected trap \"%s\", got trap \"%s\"", a.desc, text,
                 wk_trap_message(a.trap));
        }
    }
    action_clear(&a);
}

/* ---- Driver -------------------------------------------------------------------------- */

static void run_command(Exec *x, const cJSON *cmd, Outcome *o)
{
    CmdType t = cmd_type_of(cmd);
    o->status = REC_PASS;
    o->msg[0] = '\0';
    switch (t) {
    case CMD_MODULE: cmd_module(x, cmd, o); break;
    case CMD_REGISTER: cmd_register(x, cmd, o); break;
    case CMD_ACTION: cmd_action(x, cmd, o); break;
    case CMD_ASSERT_RETURN: cmd_assert_return(x, cmd, o); break;
    case CMD_ASSERT_TRAP:
    case CMD_ASSERT_EXHAUSTION: cmd_assert_trap(x, cmd, o); break;
    case CMD_ASSERT_INVALID:
    case CMD_ASSERT_MALFORMED: cmd_assert_rejected(x, cmd, t, o); break;
    case CMD_ASSERT_UNLINKABLE: cmd_assert_no_instance(x, cmd, LINK_ERROR, o); break;
    case CMD_ASSERT_UNINSTANTIABLE: cmd_assert_no_instance(x, cmd, LINK_TRAP, o); break;
    default: fail(o, "unknown command type \"%s\"", str(cmd, "type")); break;
    }
}

static void write_record(FILE *out, size_t index, const Outcome *o)
{
    if (o->status == REC_PASS) {
        fprintf(out, "%zu %c\n", index, REC_PASS);
    } else {
        fprintf(out, "%zu %c ", index, o->status);
        for (const char *p = o->msg; *p; p++) fputc(*p == '\n' || *p == '\r' ? ' ' : *p, out);
        fputc('\n', out);
    }
    fflush(out);
}

static void exec_free(Exec *x)
{
    for (size_t i = 0; i < x->ninsts; i++) {
        wk_module_delete(x->insts[i]->module);
        free(x->insts[i]);
    }
    for (size_t i = 0; i < x->nregs; i++) free(x->regs[i].as);
    free(x->insts);
    free(x->regs);
    if (x->spectest) spectest_delete(x->spectest);
    wk_store_delete(x->store);
    wk_engine_delete(x->engine);
    externref_free_all();
}

int exec_file(const cJSON *root, const char *dir, FILE *out)
{
    Exec x = {.dir = dir};
    x.source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "source_filename"));
    const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(root, "commands");
    wk_error_t *err = engine_env_new(&x.engine);
    if (err) {
        fprintf(stderr, "spec: no engine: %s\n", wk_error_describe(err));
        wk_error_delete(err);
        x.engine = NULL;
    }
    x.store = x.engine ? wk_store_new(x.engine) : NULL;
    size_t index = 0;
    for (const cJSON *cmd = cmds ? cmds->child : NULL; cmd; cmd = cmd->next, index++) {
        Outcome o;
        if (x.store)
            run_command(&x, cmd, &o);
        else
            fail(&o, "could not create the %s", x.engine ? "store" : "engine");
        write_record(out, index, &o);
    }
    int rc = x.store ? 0 : 1;
    exec_free(&x);
    return rc;
}
