/* The WASI context: its descriptor table (stdio, preopens), the wasi_snapshot_preview1 host
 * functions bound to it (one dispatcher for all, driven by wasi_funcs.def), import resolution,
 * running `_start`, and the guest-memory and errno helpers the other wasi_*.c files use. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "func.h"
#include "instance.h"
#include "memory.h"
#include "trap.h"
#include "wasi.h"

static const char WASI_MODULE[] = "wasi_snapshot_preview1";

typedef struct WasiFuncInfo {
    const char *name;
    const char *params, *results;
    WasiImpl impl;
} WasiFuncInfo;

static const WasiFuncInfo FUNCS[] = {
#define WASI_FUNC(name, params, results) {#name, params, results, wasi_##name},
#include "wasi_funcs.def"
#undef WASI_FUNC
};
enum { NFUNCS = sizeof FUNCS / sizeof FUNCS[0] };

/* ---- Guest memory ------------------------------------------------------------------------ */

uint8_t *wasi_span(const WasiCall *c, uint32_t ptr, uint64_t len)
{
    if ((uint64_t)ptr + len > c->size) return NULL;
    return c->mem + ptr;
}

bool wasi_put32(const WasiCall *c, uint32_t ptr, uint32_t v)
{
    uint8_t *p = wasi_span(c, ptr, 4);
    if (p) memcpy(p, &v, 4); /* x86-64 and AArch64 Linux are little-endian, as Wasm is */
    return p != NULL;
}

bool wasi_put64(const WasiCall *c, uint32_t ptr, uint64_t v)
{
    uint8_t *p = wasi_span(c, ptr, 8);
    if (p) memcpy(p, &v, 8);
    return p != NULL;
}

/* True when s[0..n) is valid UTF-8 (RFC 3629: no overlongs, surrogates or values past
 * U+10FFFF). */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n) return false;
        uint32_t cp = len == 1 ? b : b & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

uint32_t wasi_path_string(const WasiCall *c, uint32_t ptr, uint32_t len, char **out)
{
    const uint8_t *p = wasi_span(c, ptr, len);
    if (!p) return WASI_EFAULT;
    if (memchr(p, 0, len) || !utf8_valid(p, len)) return WASI_EILSEQ;
    char *s = malloc((size_t)len + 1);
    if (!s) return WASI_ENOMEM;
    memcpy(s, p, len);
    s[len] = 0;
    *out = s;
    return WASI_ESUCCESS;
}

/* ---- Errno and file types ---------------------------------------------------------------- */

uint32_t wasi_errno(int e)
{
    switch (e) {
    case 0: return WASI_ESUCCESS;
    case E2BIG: return WASI_E2BIG;
    case EACCES: return WASI_EACCES;
    case EAGAIN: return WASI_EAGAIN;
    case EBADF: return WASI_EBADF;
    case EBUSY: return WASI_EBUSY;
    case EEXIST: return WASI_EEXIST;
    case EFAULT: return WASI_EFAULT;
    case EFBIG: return WASI_EFBIG;
    case EILSEQ: return WASI_EILSEQ;
    case EINTR: return WASI_EINTR;
    case EINVAL: return WASI_EINVAL;
    case EIO: return WASI_EIO;
    case EISDIR: return WASI_EISDIR;
    case ELOOP: return WASI_ELOOP;
    case EMFILE: return WASI_EMFILE;
    case EMLINK: return WASI_EMLINK;
    case ENAMETOOLONG: return WASI_ENAMETOOLONG;
    case ENFILE: return WASI_ENFILE;
    case ENODEV: return WASI_ENODEV;
    case ENOENT: return WASI_ENOENT;
    case ENOMEM: return WASI_ENOMEM;
    case ENOSPC: return WASI_ENOSPC;
    case ENOSYS: return WASI_ENOSYS;
    case ENOTDIR: return WASI_ENOTDIR;
    case ENOTEMPTY: return WASI_ENOTEMPTY;
    case ENOTSOCK: return WASI_ENOTSOCK;
    case EOPNOTSUPP: return WASI_ENOTSUP;
    case ENOTTY: return WASI_ENOTTY;
    case ENXIO: return WASI_ENXIO;
    case EOVERFLOW: return WASI_EOVERFLOW;
    case EPERM: return WASI_EPERM;
    case EPIPE: return WASI_EPIPE;
    case ERANGE: return WASI_ERANGE;
    case EROFS: return WASI_EROFS;
    case ESPIPE: return WASI_ESPIPE;
    case ETXTBSY: return WASI_ETXTBSY;
    case EXDEV: return WASI_EXDEV;
    default: return WASI_EIO;
    }
}

uint8_t wasi_filetype(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FT_FILE;
    case S_IFDIR: return WASI_FT_DIR;
    case S_IFLNK: return WASI_FT_SYMLINK;
    case S_IFCHR: return WASI_FT_CHAR;
    case S_IFBLK: return WASI_FT_BLOCK;
    case S_IFSOCK: return WASI_FT_SOCK_STREAM;
    default: return WASI_FT_UNKNOWN;
    }
}

static uint64_t ts_ns(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

bool wasi_put_filestat(const WasiCall *c, uint32_t ptr, const void *stv)
{
    const struct stat *st = stv;
    uint8_t *p = wasi_span(c, ptr, 64);
    if (!p) return false;
    uint64_t v[8] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino, wasi_filetype(st->st_mode),
                     (uint64_t)st->st_nlink, (uint64_t)st->st_size, ts_ns(st->st_atim),
                     ts_ns(st->st_mtim), ts_ns(st->st_ctim)};
    memcpy(p, v, sizeof v);
    return true;
}

/* ---- The descriptor table ---------------------------------------------------------------- */

WasiFd *wasi_fd(Wasi *w, uint32_t fd)
{
    if (fd >= w->nfds || w->fds[fd].kind == FD_FREE) return NULL;
    return &w->fds[fd];
}

uint32_t wasi_fd_alloc(Wasi *w)
{
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].kind == FD_FREE) return i;
    uint32_t n = w->nfds ? w->nfds * 2 : 8;
    WasiFd *f = realloc(w->fds, n * sizeof *f);
    if (!f) return UINT32_MAX;
    memset(f + w->nfds, 0, (n - w->nfds) * sizeof *f);
    w->fds = f;
    uint32_t i = w->nfds;
    w->nfds = n;
    return i;
}

void wasi_fd_release(WasiFd *f)
{
    if (f->kind == FD_HOST && f->own_host) close(f->host);
    free(f->preopen);
    memset(f, 0, sizeof *f);
}

static void wasi_free(void *p)
{
    Wasi *w = p;
    for (uint32_t i = 0; i < w->nfds; i++) wasi_fd_release(&w->fds[i]);
    free(w->fds);
    for (int i = 0; i < 3; i++) free(w->bufs[i].data);
    free(w->binds);
    free(w->funcs);
    wasi_config_clear(&w->cfg);
    free(w);
}

/* The entry for guest stdio fd i as the configuration says. */
static wk_error_t *open_stdio(Wasi *w, int i)
{
    WasiFd *f = &w->fds[i];
    f->stdio = true;
    f->readable = i == 0;
    f->writable = i != 0;
    f->filetype = WASI_FT_CHAR;
    switch (w->cfg.stdio[i]) {
    case WK_WASI_STDIO_BUFFER:
        f->kind = i == 0 ? FD_BUF_IN : FD_BUF_OUT;
        f->buf = &w->bufs[i];
        if (i == 0) {
            f->buf->data = w->cfg.stdin_data;
            f->buf->size = w->cfg.stdin_size;
            w->cfg.stdin_data = NULL; /* now the buffer's */
        }
        return NULL;
    case WK_WASI_STDIO_CALLBACK:
        if (i == 0 || !w->cfg.write[i])
            return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "WASI stdio %d: no callback", i);
        f->kind = FD_CALLBACK;
        f->write = w->cfg.write[i];
        f->write_env = w->cfg.write_env[i];
        return NULL;
    case WK_WASI_STDIO_FD:
        f->host = fcntl(w->cfg.stdio_fd[i], F_DUPFD_CLOEXEC, 3);
        if (f->host < 0)
            return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "WASI stdio %d: bad descriptor %d: %s",
                             i, w->cfg.stdio_fd[i], strerror(errno));
        f->own_host = true;
        break;
    default: f->host = i; break;
    }
    f->kind = FD_HOST;
    struct stat st;
    if (fstat(f->host, &st) == 0 && !isatty(f->host))
        f->filetype = S_ISREG(st.st_mode) ? WASI_FT_FILE : WASI_FT_UNKNOWN;
    return NULL;
}

static wk_error_t *open_preopen(Wasi *w, const WasiPreopen *p)
{
    int fd = open(p->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "cannot preopen directory '%s': %s",
                         p->host, strerror(errno));
    uint32_t i = wasi_fd_alloc(w);
    char *guest = strdup(p->guest);
    if (i == UINT32_MAX || !guest) {
        close(fd);
        free(guest);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    w->fds[i] = (WasiFd){.kind = FD_HOST, .host = fd, .own_host = true, .filetype = WASI_FT_DIR,
                         .readable = true, .readonly = p->readonly, .preopen = guest};
    return NULL;
}

static wk_error_t *open_fds(Wasi *w)
{
    for (int i = 0; i < 3; i++) {
        if (wasi_fd_alloc(w) != (uint32_t)i)
            return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
        wk_error_t *err = open_stdio(w, i);
        if (err) return err;
    }
    for (size_t i = 0; i < w->cfg.npreopens; i++) {
        wk_error_t *err = open_preopen(w, &w->cfg.preopens[i]);
        if (err) return err;
    }
    return NULL;
}

/* ---- Host functions ---------------------------------------------------------------------- */

static size_t kinds_of(const char *sig, wk_valkind_t *out)
{
    size_t n = 0;
    for (; sig[n]; n++) out[n] = sig[n] == 'I' ? WK_I64 : WK_I32;
    return n;
}

static wk_functype_t functype_of(const WasiFuncInfo *fi, wk_valkind_t *kinds)
{
    size_t np = kinds_of(fi->params, kinds);
    size_t nr = kinds_of(fi->results, kinds + np);
    return (wk_functype_t){np, kinds, nr, kinds + np};
}

/* The caller's memory "memory" (cached per instance), or NULL. */
static wk_memory_t *caller_memory(Wasi *w, const wk_caller_t *caller)
{
    if (!caller || !caller->inst) return NULL;
    if (w->mem_inst != caller->inst) {
        wk_extern_t e;
        if (!instance_export_get(caller->inst, "memory", 6, &e) || e.kind != WK_EXTERN_MEMORY)
            return NULL;
        w->mem_inst = caller->inst;
        w->mem = e.of.memory;
    }
    return w->mem;
}

/* The one callback of every WASI function: finds the memory, runs the implementation and
 * stores its errno. After proc_exit every call ends the run again. */
static wk_trap_t *dispatch(void *env, const wk_caller_t *caller, const wk_val_t *args,
                           wk_val_t *results)
{
    WasiBind *b = env;
    Wasi *w = b->w;
    if (w->exited) return trap_new_exit(w->exit_code);
    wk_memory_t *mem = caller_memory(w, caller);
    if (!mem)
        return trap_new_host("WASI %s: the calling instance exports no memory named 'memory'",
                             FUNCS[b->fn].name);
    WasiCall c = {w, mem->vm.base, mem->vm.bytes};
    wk_trap_t *trap = NULL;
    uint32_t err = FUNCS[b->fn].impl(&c, args, &trap);
    if (trap) return trap;
    if (FUNCS[b->fn].results[0]) results[0] = wk_val_i32((int32_t)err);
    return NULL;
}

static wk_error_t *make_funcs(wk_store_t *store, Wasi *w)
{
    w->binds = calloc(NFUNCS, sizeof *w->binds);
    w->funcs = calloc(NFUNCS, sizeof *w->funcs);
    if (!w->binds || !w->funcs) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    for (uint32_t i = 0; i < NFUNCS; i++) {
        wk_valkind_t kinds[16];
        wk_functype_t t = functype_of(&FUNCS[i], kinds);
        w->binds[i] = (WasiBind){w, i};
        w->funcs[i] = wk_func_new(store, &t, dispatch, &w->binds[i], NULL);
        if (!w->funcs[i]) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    return NULL;
}

wk_error_t *wasi_new(wk_store_t *store, const wk_wasi_config_t *cfg, Wasi **out)
{
    Wasi *w = calloc(1, sizeof *w);
    if (!w || !wasi_config_copy(&w->cfg, cfg)) {
        free(w);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    wk_error_t *err = open_fds(w);
    if (err) {
        wasi_free(w);
        return err;
    }
    if (!store_own(store, w, wasi_free))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    err = make_funcs(store, w);
    if (err) return err;
    *out = w;
    return NULL;
}

static int find_func(const char *name, size_t len)
{
    for (int i = 0; i < NFUNCS; i++)
        if (strlen(FUNCS[i].name) == len && memcmp(FUNCS[i].name, name, len) == 0) return i;
    return -1;
}

static bool same_type(const wk_functype_t *a, const wk_functype_t *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           memcmp(a->params, b->params, a->nparams) == 0 &&
           memcmp(a->results, b->results, a->nresults) == 0;
}

wk_error_t *wasi_imports(const Wasi *w, const wk_module_t *module, wk_extern_t *imports)
{
    size_t n = wk_module_import_count(module);
    for (size_t i = 0; i < n; i++) {
        wk_name_t mn, nn;
        wk_externtype_t t;
        wk_module_import(module, i, &mn, &nn, &t);
        if (mn.size != sizeof WASI_MODULE - 1 || memcmp(mn.data, WASI_MODULE, mn.size) != 0)
            continue;
        int f = find_func(nn.data, nn.size);
        if (f < 0)
            return error_new(WK_ERROR_LINK, WK_NO_OFFSET, "unknown import %s.%.*s", WASI_MODULE,
                             (int)nn.size, nn.data);
        wk_valkind_t kinds[16];
        wk_functype_t want = functype_of(&FUNCS[f], kinds);
        if (t.kind != WK_EXTERN_FUNC || !same_type(&t.of.func, &want))
            return error_new(WK_ERROR_LINK, WK_NO_OFFSET, "incompatible import type for %s.%s",
                             WASI_MODULE, FUNCS[f].name);
        imports[i] = (wk_extern_t){.kind = WK_EXTERN_FUNC, .of.func = w->funcs[f]};
    }
    return NULL;
}

wk_trap_t *wasi_run(Wasi *w, wk_instance_t *inst, uint32_t *exit_code)
{
    wk_extern_t e;
    if (!wk_instance_export_get(inst, "_start", 6, &e) || e.kind != WK_EXTERN_FUNC)
        return trap_new_host("the module exports no function '_start' (not a WASI command)");
    wk_functype_t t = wk_func_type(e.of.func);
    if (t.nparams || t.nresults) return trap_new_host("'_start' must take and return nothing");
    if (w->exited) {
        *exit_code = w->exit_code;
        return NULL;
    }
    wk_trap_t *trap = wk_func_call(e.of.func, NULL, 0, NULL, 0);
    if (trap && trap->kind == WK_TRAP_EXIT) {
        *exit_code = trap->exit_code;
        trap_delete(trap);
        return NULL;
    }
    if (!trap) *exit_code = 0;
    return trap;
}

/* ---- Process, arguments, environment, clocks, randomness --------------------------------- */

uint32_t wasi_proc_exit(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    c->w->exited = true;
    c->w->exit_code = (uint32_t)a[0].of.i32;
    *trap = trap_new_exit(c->w->exit_code);
    return 0;
}
