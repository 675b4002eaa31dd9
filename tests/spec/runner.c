/* Spec-suite runner driver: `spec_runner [-j JOBS] [-t SECONDS] [-m MAXFAIL] FILE...`, each
 * FILE a .wast script (read by wast.c) or a wast2json .json file. Runs each file in a child
 * process (so a crash or hang fails that file only, with a
 * timeout), collects one record per command, and prints per-file results in file order, then
 * per command type, the skip reasons and the `spec:` total. Exits 1 when anything failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

enum { STDERR_MAX_LINES = 200, STDERR_MAX_BYTES = 1 << 20 };

static const char *const type_names[CMD_COUNT] = {
    [CMD_MODULE] = "module",
    [CMD_REGISTER] = "register",
    [CMD_ACTION] = "action",
    [CMD_ASSERT_RETURN] = "assert_return",
    [CMD_ASSERT_TRAP] = "assert_trap",
    [CMD_ASSERT_EXHAUSTION] = "assert_exhaustion",
    [CMD_ASSERT_INVALID] = "assert_invalid",
    [CMD_ASSERT_MALFORMED] = "assert_malformed",
    [CMD_ASSERT_UNLINKABLE] = "assert_unlinkable",
    [CMD_ASSERT_UNINSTANTIABLE] = "assert_uninstantiable",
    [CMD_UNKNOWN] = "unknown command",
};

CmdType cmd_type_of(const cJSON *cmd)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "type"));
    for (int t = 0; s && t < CMD_UNKNOWN; t++)
        if (strcmp(s, type_names[t]) == 0) return (CmdType)t;
    return CMD_UNKNOWN;
}

const char *cmd_type_name(CmdType t)
{
    return type_names[t];
}

bool cmd_is_assertion(CmdType t)
{
    return t >= CMD_ASSERT_RETURN && t <= CMD_ASSERT_UNINSTANTIABLE;
}

/* ---- Growable text ------------------------------------------------------------------- */

typedef struct Buf {
    char *data;
    size_t len, cap;
} Buf;

static void buf_append(Buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (!b->data) abort();
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(Buf *b, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) abort();
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_append(b, big, (size_t)n);
    free(big);
}

static void buf_free(Buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- Files and totals ---------------------------------------------------------------- */

typedef struct File {
    const char *json_path;
    char *name; /* the .wast file's base name */
    char *dir;
    cJSON *root;
    size_t ncmds;
    uint8_t *types;
    int *lines;
    char *status; /* REC_* per command, 0 until reported */
    char **msgs;  /* into res.data */
    pid_t pid;
    int res_fd, err_fd;
    Buf res, err;
    double deadline;
    bool timed_out;
    int wait_status;
    Buf report;
    bool done;
} File;

typedef struct SkipCount {
    char *reason;
    size_t count;
} SkipCount;

typedef struct Totals {
    size_t counts[CMD_COUNT][3]; /* passed, failed, skipped */
    SkipCount skips[16];
    size_t nskips;
    size_t file_errors;
} Totals;

typedef struct Options {
    int jobs;
    int timeout;
    size_t max_failures;
} Options;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    Buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return b.data ? b.data : strdup("");
}

/* Rewrites each \u0000 escape inside JSON strings into the single byte 0xFF, which cJSON keeps
 * (it would end the C string at a NUL) and the executor turns back into NUL. */
static size_t protect_nul_escapes(char *s, size_t len)
{
    size_t w = 0;
    bool in_string = false;
    for (size_t r = 0; r < len; r++) {
        if (in_string && s[r] == '\\' && r + 5 < len && memcmp(s + r + 1, "u0000", 5) == 0) {
            s[w++] = (char)0xFF;
            r += 5;
        } else if (in_string && s[r] == '\\' && r + 1 < len) {
            s[w++] = s[r++];
            s[w++] = s[r];
        } else {
            if (s[r] == '"') in_string = !in_string;
            s[w++] = s[r];
        }
    }
    return w;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool load_file(File *f)
{
    size_t len;
    char *text = read_text(f->json_path, &len);
    if (!text) return false;
    if (ends_with(f->json_path, ".wast")) {
        char err[512];
        f->root = wast_to_json(text, len, f->json_path, err, sizeof err);
        if (!f->root) buf_printf(&f->report, "%s: %s\n", f->name, err);
    } else {
        len = protect_nul_escapes(text, len);
        f->root = cJSON_ParseWithLength(text, len);
    }
    free(text);
    const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(f->root, "commands");
    if (!cJSON_IsArray(cmds)) return false;
    const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f->root,
                                                                              "source_filename"));
    if (src) {
        free(f->name);
        f->name = strdup(strrchr(src, '/') ? strrchr(src, '/') + 1 : src);
    }
    f->ncmds = (size_t)cJSON_GetArraySize(cmds);
    size_t n = f->ncmds ? f->ncmds : 1;
    f->types = calloc(n, 1);
    f->lines = calloc(n, sizeof *f->lines);
    f->status = calloc(n, 1);
    f->msgs = calloc(n, sizeof *f->msgs);
    if (!f->types || !f->lines || !f->status || !f->msgs) abort();
    size_t i = 0;
    for (const cJSON *c = cmds->child; c; c = c->next, i++) {
        const cJSON *line = cJSON_GetObjectItemCaseSensitive(c, "line");
        f->types[i] = (uint8_t)cmd_type_of(c);
        f->lines[i] = cJSON_IsNumber(line) ? line->valueint : 0;
    }
    return true;
}

static void file_init(File *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->json_path = path;
    const char *slash = strrchr(path, '/');
    f->name = strdup(slash ? slash + 1 : path);
    f->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    f->res_fd = f->err_fd = -1;
}

static void file_release(File *f)
{
    cJSON_Delete(f->root);
    free(f->types);
    free(f->lines);
    free(f->status);
    free(f->msgs);
    buf_free(&f->res);
    buf_free(&f->err);
    f->root = NULL;
    f->types = NULL;
    f->lines = NULL;
    f->status = NULL;
    f->msgs = NULL;
}

/* ---- Child processes ----------------------------------------------------------------- */

static void child_main(File *f, int res_w, int err_w, File *files, size_t nfiles)
{
    for (size_t i = 0; i < nfiles; i++) {
        if (files[i].res_fd >= 0) close(files[i].res_fd);
        if (files[i].err_fd >= 0) close(files[i].err_fd);
    }
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    dup2(err_w, STDERR_FILENO);
    FILE *out = fdopen(res_w, "w");
    if (!out) _exit(2);
    int rc = exec_file(f->root, f->dir, out);
    fclose(out);
    exit(rc);
}

static bool start_child(File *f, File *files, size_t nfiles, const Options *opt)
{
    int res[2], err[2];
    if (pipe2(res, O_CLOEXEC) != 0) return false;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(res[0]);
        close(res[1]);
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    f->pid = fork();
    if (f->pid == 0) {
        close(res[0]);
        close(err[0]);
        child_main(f, res[1], err[1], files, nfiles);
    }
    close(res[1]);
    close(err[1]);
    f->res_fd = res[0];
    f->err_fd = err[0];
    if (f->pid < 0) {
        close(res[0]);
        close(err[0]);
        f->res_fd = f->err_fd = -1;
        return false;
    }
    f->deadline = now() + opt->timeout;
    return true;
}

/* Reads what is available on *fd into b (keeping at most limit bytes); closes it at end of
 * file. */
static void drain(int *fd, Buf *b, size_t limit)
{
    char chunk[65536];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
        if (b->len < limit) buf_append(b, chunk, (size_t)n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fd);
        *fd = -1;
    }
}

/* ---- Results and reports ------------------------------------------------------------- */

static void parse_records(File *f)
{
    char *p = f->res.data;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (!nl) break; /* a partial record from a dying child */
        *nl = '\0';
        char *end;
        unsigned long idx = strtoul(p, &end, 10);
        if (idx < f->ncmds && end[0] == ' ' && end[1]) {
            f->status[idx] = end[1];
            f->msgs[idx] = end[2] == ' ' ? end + 3 : end + 2;
        }
        p = nl + 1;
    }
}

static void death_reason(const File *f, const Options *opt, char *buf, size_t len)
{
    int st = f->wait_status;
    if (f->timed_out)
        snprintf(buf, len, "timed out after %d s", opt->timeout);
    else if (WIFSIGNALED(st))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

/* Counts a skip under its reason: the text before any ": detail". */
static void add_skip(Totals *t, const char *msg)
{
    const char *colon = strstr(msg, ": ");
    size_t len = colon ? (size_t)(colon - msg) : strlen(msg);
    for (size_t i = 0; i < t->nskips; i++) {
        if (strlen(t->skips[i].reason) == len && memcmp(t->skips[i].reason, msg, len) == 0) {
            t->skips[i].count++;
            return;
        }
    }
    size_t last = sizeof t->skips / sizeof t->skips[0] - 1;
    if (t->nskips == last) {
        t->skips[t->nskips++] = (SkipCount){strdup("other reasons"), 0};
    }
    if (t->nskips > last) {
        t->skips[last].count++;
        return;
    }
    t->skips[t->nskips++] = (SkipCount){strndup(msg, len), 1};
}

static void report_failure(const File *f, size_t i, Buf *out, size_t *shown,
                           const Options *opt)
{
    if (opt->max_failures && *shown >= opt->max_failures) return;
    (*shown)++;
    buf_printf(out, "  FAIL %s:%d: %s: %s\n", f->name, f->lines[i],
               cmd_type_name((CmdType)f->types[i]), f->msgs[i] ? f->msgs[i] : "");
}

static void report_stderr(File *f)
{
    if (!f->err.len) return;
    size_t lines = 0;
    for (char *p = f->err.data; *p && lines < STDERR_MAX_LINES; lines++) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        buf_printf(&f->report, "  | %.*s\n", (int)n, p);
        p += nl ? n + 1 : n;
    }
    if (lines == STDERR_MAX_LINES) buf_printf(&f->report, "  | ... (stderr truncated)\n");
}

/* Counts f's records into t and renders f->report. */
static void summarise(File *f, Totals *t, const Options *opt)
{
    bool clean = WIFEXITED(f->wait_status) && WEXITSTATUS(f->wait_status) == 0 && !f->timed_out;
    char why[128], died_msg[256], later_msg[256];
    death_reason(f, opt, why, sizeof why);
    size_t counts[3] = {0}, other_failed = 0, shown = 0, first_missing = SIZE_MAX;
    Buf failures = {0};
    for (size_t i = 0; i < f->ncmds; i++) {
        if (!f->status[i]) {
            if (first_missing == SIZE_MAX) first_missing = i;
            snprintf(died_msg, sizeof died_msg, "runner %s while running this command", why);
            snprintf(later_msg, sizeof later_msg, "not run: runner %s at line %d", why,
                     f->lines[first_missing]);
            f->status[i] = REC_FAIL;
            f->msgs[i] = i == first_missing ? died_msg : later_msg;
        }
        int k = f->status[i] == REC_PASS ? 0 : f->status[i] == REC_SKIP ? 2 : 1;
        CmdType ty = (CmdType)f->types[i];
        t->counts[ty][k]++;
        if (cmd_is_assertion(ty)) counts[k]++;
        else if (k == 1) other_failed++;
        if (k == 2) add_skip(t, f->msgs[i] ? f->msgs[i] : "unknown");
        if (k == 1) report_failure(f, i, &failures, &shown, opt);
        if (k == 2 && opt->max_failures == 0) /* -v: list skips too */
            buf_printf(&failures, "  SKIP %s:%d: %s: %s\n", f->name, f->lines[i],
                       cmd_type_name(ty), f->msgs[i] ? f->msgs[i] : "");
    }
    buf_printf(&f->report, "%s: %zu passed, %zu failed, %zu skipped", f->name, counts[0],
               counts[1], counts[2]);
    if (other_failed) buf_printf(&f->report, "; %zu other commands failed", other_failed);
    if (!clean) {
        buf_printf(&f->report, "; runner %s", why);
        if (first_missing == SIZE_MAX) t->file_errors++;
    }
    buf_printf(&f->report, "\n");
    if (failures.len) buf_append(&f->report, failures.data, failures.len);
    if (opt->max_failures && shown >= opt->max_failures && counts[1] + other_failed > shown)
        buf_printf(&f->report, "  ... %zu more failures (run with -m 0 to see all)\n",
                   counts[1] + other_failed - shown);
    buf_free(&failures);
    report_stderr(f);
}

static void finish(File *f, Totals *t, const Options *opt)
{
    parse_records(f);
    summarise(f, t, opt);
    file_release(f);
    f->done = true;
}

static void fail_to_start(File *f, Totals *t, const char *what)
{
    buf_printf(&f->report, "%s: %s %s\n", f->name, what, f->json_path);
    t->file_errors++;
    file_release(f);
    f->done = true;
}

/* ---- Scheduling ---------------------------------------------------------------------- */

/* Waits for output from running children (or a deadline) and finishes those that ended. */
static void wait_some(File *files, size_t nfiles, Totals *t, const Options *opt)
{
    struct pollfd pfd[256];
    File *owner[256];
    size_t n = 0;
    double t0 = now(), wait = opt->timeout;
    for (size_t i = 0; i < nfiles && n + 2 <= 256; i++) {
        File *f = &files[i];
        if (f->pid <= 0 || f->done) continue;
        if (f->deadline - t0 < wait) wait = f->deadline - t0;
        if (f->res_fd >= 0) pfd[n] = (struct pollfd){f->res_fd, POLLIN, 0}, owner[n++] = f;
        if (f->err_fd >= 0) pfd[n] = (struct pollfd){f->err_fd, POLLIN, 0}, owner[n++] = f;
    }
    int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
    if (poll(pfd, n, ms) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (!pfd[i].revents) continue;
            File *f = owner[i];
            if (pfd[i].fd == f->res_fd) drain(&f->res_fd, &f->res, SIZE_MAX);
            else drain(&f->err_fd, &f->err, STDERR_MAX_BYTES);
        }
    }
    for (size_t i = 0; i < nfiles; i++) {
        File *f = &files[i];
        if (f->pid <= 0 || f->done) continue;
        if (!f->timed_out && now() > f->deadline) {
            kill(f->pid, SIGKILL);
            f->timed_out = true;
        }
        if (f->res_fd < 0 && f->err_fd < 0) {
            while (waitpid(f->pid, &f->wait_status, 0) < 0 && errno == EINTR) {
            }
            finish(f, t, opt);
        }
    }
}

static size_t running(const File *files, size_t nfiles)
{
    size_t n = 0;
    for (size_t i = 0; i < nfiles; i++) n += files[i].pid > 0 && !files[i].done;
    return n;
}

static void run_all(File *files, size_t nfiles, Totals *t, const Options *opt)
{
    size_t next = 0, printed = 0;
    while (printed < nfiles) {
        while (next < nfiles && running(files, nfiles) < (size_t)opt->jobs) {
            File *f = &files[next++];
            if (!load_file(f))
                fail_to_start(f, t, "cannot read or parse");
            else if (!start_child(f, files, nfiles, opt))
                fail_to_start(f, t, "cannot start a process for");
        }
        if (running(files, nfiles)) wait_some(files, nfiles, t, opt);
        for (; printed < nfiles && files[printed].done; printed++) {
            fputs(files[printed].report.data ? files[printed].report.data : "", stdout);
            buf_free(&files[printed].report);
            fflush(stdout);
        }
    }
}

/* ---- Summary ------------------------------------------------------------------------- */

static int by_count(const void *a, const void *b)
{
    const SkipCount *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->reason, y->reason);
}

static int print_totals(Totals *t)
{
    size_t total[3] = {0}, failed = 0;
    for (int ty = 0; ty < CMD_COUNT; ty++) {
        size_t *c = t->counts[ty];
        if (ty == CMD_UNKNOWN && !c[0] && !c[1] && !c[2]) continue;
        printf("%s: %zu passed, %zu failed, %zu skipped\n", type_names[ty], c[0], c[1], c[2]);
        failed += c[1];
        for (int k = 0; k < 3 && cmd_is_assertion((CmdType)ty); k++) total[k] += c[k];
    }
    qsort(t->skips, t->nskips, sizeof t->skips[0], by_count); /* independent of finish order */
    for (size_t i = 0; i < t->nskips; i++) {
        printf("skipped %zu: %s\n", t->skips[i].count, t->skips[i].reason);
        free(t->skips[i].reason);
    }
    if (t->file_errors) printf("files with runner errors: %zu\n", t->file_errors);
    printf("spec: %zu passed, %zu failed, %zu skipped\n", total[0], total[1], total[2]);
    return failed || t->file_errors ? 1 : 0;
}

static cJSON *load_json(const char *path)
{
    size_t len;
    char *text = read_text(path, &len);
    if (!text) return NULL;
    len = protect_nul_escapes(text, len);
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    return root;
}

/* -w DIR: compares each .wast's modules with wast2json's DIR/NAME/NAME.json and .wasm files. */
static int compare_all(const char *dir, char **paths, int n)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *slash = strrchr(paths[i], '/');
        char *name = strdup(slash ? slash + 1 : paths[i]), json[8192], sub[4096], err[512];
        if (ends_with(name, ".wast")) name[strlen(name) - 5] = '\0';
        snprintf(sub, sizeof sub, "%s/%s", dir, name);
        snprintf(json, sizeof json, "%s/%s/%s.json", dir, name, name);
        size_t len;
        char *text = read_text(paths[i], &len);
        cJSON *ours = text ? wast_to_json(text, len, paths[i], err, sizeof err) : NULL;
        cJSON *theirs = load_json(json);
        if (!ours || !theirs) {
            printf("%s: cannot read %s\n", name, !ours ? paths[i] : json);
            rc = 1;
        } else {
            rc |= compare_file(ours, theirs, sub, name);
        }
        cJSON_Delete(ours);
        cJSON_Delete(theirs);
        free(text);
        free(name);
    }
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: spec_runner [-j JOBS] [-t SECONDS] [-m MAXFAIL] FILE.wast|.json...\n"
                    "       spec_runner -w WAST2JSON_DIR FILE.wast...   (encoding check)\n");
    return 2;
}

int main(int argc, char **argv)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    Options opt = {cpus > 0 ? (int)cpus : 1, 300, 20};
    const char *compare_dir = NULL;
    int c;
    while ((c = getopt(argc, argv, "j:t:m:w:")) != -1) {
        if (c == 'w') compare_dir = optarg;
        else if (c == 'j') opt.jobs = atoi(optarg);
        else if (c == 't') opt.timeout = atoi(optarg);
        else if (c == 'm') opt.max_failures = (size_t)atol(optarg);
        else return usage();
    }
    if (optind >= argc || opt.jobs < 1 || opt.jobs > 64 || opt.timeout < 1) return usage();
    if (compare_dir) return compare_all(compare_dir, argv + optind, argc - optind);
    size_t nfiles = (size_t)(argc - optind);
    File *files = calloc(nfiles, sizeof *files);
    Totals totals = {0};
    if (!files) return 1;
    for (size_t i = 0; i < nfiles; i++) file_init(&files[i], argv[optind + (int)i]);
    run_all(files, nfiles, &totals, &opt);
    int rc = print_totals(&totals);
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i].name);
        free(files[i].dir);
    }
    free(files);
    return rc;
}
