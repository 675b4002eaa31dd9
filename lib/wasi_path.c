/* The WASI sandbox: guest paths resolved one component at a time from a directory
 * descriptor (openat with O_NOFOLLOW, `..` popped from our own stack of descriptors, symlinks
 * read and expanded by us), never by joining strings; and the path_* functions over it.
 * Nothing above the starting directory can be named: absolute paths, `..` past it and
 * symlinks leading out are EPERM, and because every step opens relative to a descriptor we
 * hold, renaming directories meanwhile cannot move a walk outside either. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi.h"

enum { MAX_SYMLINKS = 40 };

typedef struct Walk {
    int *dirs; /* stack of directory descriptors (O_PATH); dirs[0] is ours too */
    size_t depth, cap;
    char *rest; /* what is left of the path */
    int links;  /* symlinks expanded so far */
} Walk;

static void walk_free(Walk *wk, int keep)
{
    for (size_t i = 0; i < wk->depth; i++)
        if (wk->dirs[i] != keep) close(wk->dirs[i]);
    free(wk->dirs);
    free(wk->rest);
}

static uint32_t walk_push(Walk *wk, int fd)
{
    if (wk->depth == wk->cap) {
        size_t cap = wk->cap ? wk->cap * 2 : 8;
        int *d = realloc(wk->dirs, cap * sizeof *d);
        if (!d) {
            close(fd);
            return WASI_ENOMEM;
        }
        wk->dirs = d;
        wk->cap = cap;
    }
    wk->dirs[wk->depth++] = fd;
    return WASI_ESUCCESS;
}

static uint32_t walk_pop(Walk *wk)
{
    if (wk->depth == 1) return WASI_EPERM; /* `..` above the starting directory */
    close(wk->dirs[--wk->depth]);
    return WASI_ESUCCESS;
}

/* The target of symlink `name` in the top directory (owned), or NULL when it is no symlink. */
static char *read_link(int dir, const char *name)
{
    char buf[PATH_MAX];
    ssize_t n = readlinkat(dir, name, buf, sizeof buf - 1);
    if (n < 0) return NULL;
    buf[n] = 0;
    return strdup(buf);
}

/* Replaces the walk's rest with target + sep + after (target read from a symlink). */
static uint32_t expand_link(Walk *wk, char *target, const char *sep, const char *after)
{
    if (++wk->links > MAX_SYMLINKS) {
        free(target);
        return WASI_ELOOP;
    }
    if (target[0] == '/') {
        free(target);
        return WASI_EPERM;
    }
    size_t n = strlen(target) + strlen(sep) + strlen(after) + 1;
    char *r = malloc(n);
    if (!r) {
        free(target);
        return WASI_ENOMEM;
    }
    snprintf(r, n, "%s%s%s", target, sep, after);
    free(target);
    free(wk->rest);
    wk->rest = r;
    return WASI_ESUCCESS;
}

/* Steps into directory comp of the top directory; a symlink there is expanded in front of
 * the rest of the path. */
static uint32_t walk_into(Walk *wk, const char *comp)
{
    if (!strcmp(comp, ".")) return WASI_ESUCCESS;
    if (!strcmp(comp, "..")) return walk_pop(wk);
    int top = wk->dirs[wk->depth - 1];
    int fd = openat(top, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) return walk_push(wk, fd);
    int e = errno;
    if (e != ENOTDIR && e != ELOOP) return wasi_errno(e);
    char *target = read_link(top, comp);
    if (!target) return WASI_ENOTDIR;
    return expand_link(wk, target, "/", wk->rest);
}

/* Handles the last component: `..` and `.` become "." of the right directory; a symlink is
 * expanded when following (or when a trailing slash asks for a directory). Sets *name when
 * the walk is over. */
static uint32_t walk_last(Walk *wk, const char *comp, bool slash, bool follow, char **name)
{
    if (!strcmp(comp, "..") || !strcmp(comp, ".")) {
        uint32_t err = comp[1] ? walk_pop(wk) : WASI_ESUCCESS;
        if (!err && !(*name = strdup("."))) err = WASI_ENOMEM;
        return err;
    }
    if (follow || slash) {
        char *target = read_link(wk->dirs[wk->depth - 1], comp);
        if (target) return expand_link(wk, target, slash ? "/" : "", "");
    }
    size_t n = strlen(comp) + 2;
    if (!(*name = malloc(n))) return WASI_ENOMEM;
    snprintf(*name, n, "%s%s", comp, slash ? "/" : "");
    return WASI_ESUCCESS;
}

/* One step: takes the next component off the rest and handles it. */
static uint32_t walk_step(Walk *wk, bool follow, char **name)
{
    char *p = wk->rest;
    while (*p == '/') p++;
    size_t len = strcspn(p, "/");
    char *q = p + len;
    while (*q == '/') q++;
    bool last = *q == 0, slash = last && p[len] == '/';
    char *comp = strndup(p, len);
    if (!comp) return WASI_ENOMEM;
    memmove(wk->rest, q, strlen(q) + 1);
    uint32_t err = last ? walk_last(wk, len ? comp : ".", slash, follow, name)
                        : walk_into(wk, comp);
    free(comp);
    return err;
}

uint32_t wasi_path_resolve(const WasiFd *d, const char *path, bool follow, int *parent,
                           char **name)
{
    if (path[0] == 0) return WASI_ENOENT;
    if (path[0] == '/') return WASI_EPERM;
    Walk wk = {0};
    int base = fcntl(d->host, F_DUPFD_CLOEXEC, 3);
    if (base < 0) return wasi_errno(errno);
    uint32_t err = walk_push(&wk, base);
    if (!err && !(wk.rest = strdup(path))) err = WASI_ENOMEM;
    *name = NULL;
    while (!err && !*name) err = walk_step(&wk, follow, name);
    if (err) {
        free(*name);
        *name = NULL;
        walk_free(&wk, -1);
        return err;
    }
    *parent = wk.dirs[wk.depth - 1];
    walk_free(&wk, *parent);
    return WASI_ESUCCESS;
}

/* ---- path_* functions -------------------------------------------------------------------- */

/* A resolved guest path: the directory entry it started from, the parent and last name. */
typedef struct Resolved {
    WasiFd *dir;
    int parent;
    char *name;
} Resolved;

static void resolved_free(Resolved *r)
{
    if (r->parent >= 0) close(r->parent);
    free(r->name);
}

/* Resolves the guest path (ptr, len) beneath guest directory fd. */
static uint32_t resolve(WasiCall *c, uint32_t fd, uint32_t ptr, uint32_t len, bool follow,
                        Resolved *r)
{
    r->parent = -1;
    r->name = NULL;
    r->dir = wasi_fd(c->w, fd);
    if (!r->dir) return WASI_EBADF;
    if (r->dir->kind != FD_HOST || r->dir->filetype != WASI_FT_DIR) return WASI_ENOTDIR;
    char *path;
    uint32_t err = wasi_path_string(c, ptr, len, &path);
    if (err) return err;
    err = wasi_path_resolve(r->dir, path, follow, &r->parent, &r->name);
    free(path);
    return err;
}

#define ARG(i) ((uint32_t)a[i].of.i32)

static uint32_t host_result(int rc)
{
    return rc == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

uint32_t wasi_path_create_directory(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    Resolved r;
    uint32_t err = resolve(c, ARG(0), ARG(1), ARG(2), false, &r);
    if (!err) err = r.dir->readonly ? WASI_EPERM : host_result(mkdirat(r.parent, r.name, 0777));
    resolved_free(&r);
    return err;
}

uint32_t wasi_path_remove_directory(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    Resolved r;
    uint32_t err = resolve(c, ARG(0), ARG(1), ARG(2), false, &r);
    if (!err && r.dir->readonly) err = WASI_EPERM;
    if (!err) err = host_result(unlinkat(r.parent, r.name, AT_REMOVEDIR));
    resolved_free(&r);
    return err;
}

uint32_t wasi_path_unlink_file(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    Resolved r;
    uint32_t err = resolve(c, ARG(0), ARG(1), ARG(2), false, &r);
    if (!err && r.dir->readonly) err = WASI_EPERM;
    if (!err) err = host_result(unlinkat(r.parent, r.name, 0));
    resolved_free(&r);
    return err;
}

uint32_t wasi_path_filestat_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    Resolved r;
    bool follow = ARG(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
    uint32_t err = resolve(c, ARG(0), ARG(2), ARG(3), follow, &r);
    struct stat st;
    if (!err) err = host_result(fstatat(r.parent, r.name, &st, AT_SYMLINK_NOFOLLOW));
    if (!err && !wasi_put_filestat(c, ARG(4), &st)) err = WASI_EFAULT;
    resolved_free(&r);
    return err;
}

uint32_t wasi_path_filestat_set_times(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    struct timespec ts[2];
    uint32_t err = wasi_fst_times(a[4].of.i64, a[5].of.i64, ARG(6) & 0xFFFF, ts);
    if (err) return err;
    Resolved r;
    bool follow = ARG(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
    err = resolve(c, ARG(0), ARG(2), ARG(3), follow, &r);
    if (!err && r.dir->readonly) err = WASI_EPERM;
    if (!err) err = host_result(utimensat(r.parent, r.name, ts, AT_SYMLINK_NOFOLLOW));
    resolved_free(&r);
    return err;
}

uint32_t wasi_path_link(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    Resolved from, to = {.parent = -1};
    bool follow = ARG(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
    uint32_t err = resolve(c, ARG(0), ARG(2), ARG(3), follow, &from);
    if (!err) err = resolve(c, ARG(4), ARG(5), ARG(6), false, &to);
    if (!err && (from.dir->readonly || to.dir->readonly)) err = WASI_EPERM;
    if (!err) err = host_result(linkat(from.parent, from.name, to.parent, to.name, 0));
    resolved_free(&from);
    resolved_free(&to);
    return err;
}

uint32_t wasi_path_rename(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    Resolved from, to = {.parent = -1};
    uint32_t err = resolve(c, ARG(0), ARG(1), ARG(2), false, &from);
    if (!err) err = resolve(c, ARG(3), ARG(4), ARG(5), false, &to);
    if (!err && (from.dir->readonly || to.dir->readonly)) err = WASI_EPERM;
    if (!err) err = host_result(renameat(from.parent, from.name, to.parent, to.name));
    resolved_free(&from);
    resolved_free(&to);
    return err;
}

uint32_t wasi_path_symlink(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    char *target;
    uint32_t err = wasi_path_string(c, ARG(0), ARG(1), &target);
    if (err) return err;
    Resolved r;
    err = resolve(c, ARG(2), ARG(3), ARG(4), false, &r);
    if (!err && r.dir->readonly) err = WASI_EPERM;
    if (!err && target[0] == '/') err = WASI_EPERM;
    if (!err) err = host_result(symlinkat(target, r.parent, r.name));
    free(target);
    resolved_free(&r);
    return err;
}

uint32_t wasi_path_readlink(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    Resolved r;
    uint32_t err = resolve(c, ARG(0), ARG(1), ARG(2), false, &r);
    uint32_t buf = ARG(3), buflen = ARG(4);
    char target[PATH_MAX];
    ssize_t n = 0;
    if (!err && (n = readlinkat(r.parent, r.name, target, sizeof target)) < 0)
        err = wasi_errno(errno);
    resolved_free(&r);
    if (err) return err;
    uint32_t k = (uint64_t)n < buflen ? (uint32_t)n : buflen;
    uint8_t *p = wasi_span(c, buf, k);
    if (!p || !wasi_span(c, ARG(5), 4)) return WASI_EFAULT;
    memcpy(p, target, k);
    wasi_put32(c, ARG(5), k);
    return WASI_ESUCCESS;
}

/* ---- path_open --------------------------------------------------------------------------- */

/* Host open(2) flags for the WASI oflags, rights and fdflags; EINVAL for contradictions. */
static uint32_t open_flags(uint32_t oflags, uint64_t rights, uint32_t fdflags, bool *write,
                           int *out)
{
    *write = rights & (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_ALLOCATE |
                       WASI_RIGHT_FD_FILESTAT_SET_SIZE);
    bool read = rights & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
    if (oflags & WASI_O_DIRECTORY && oflags & (WASI_O_CREAT | WASI_O_TRUNC)) return WASI_EINVAL;
    int f = O_CLOEXEC | O_NOFOLLOW | (*write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY);
    if (oflags & WASI_O_CREAT) f |= O_CREAT;
    if (oflags & WASI_O_EXCL) f |= O_EXCL;
    if (oflags & WASI_O_TRUNC) f |= O_TRUNC;
    if (oflags & WASI_O_DIRECTORY) f |= O_DIRECTORY;
    if (fdflags & WASI_FDFLAG_APPEND) f |= O_APPEND;
    if (fdflags & WASI_FDFLAG_NONBLOCK) f |= O_NONBLOCK;
    if (fdflags & WASI_FDFLAG_DSYNC) f |= O_DSYNC;
    if (fdflags & WASI_FDFLAG_SYNC) f |= O_SYNC;
    if (fdflags & WASI_FDFLAG_RSYNC) f |= O_RSYNC;
    *out = f;
    return WASI_ESUCCESS;
}

uint32_t wasi_path_open(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    uint32_t oflags = ARG(4) & 0xFFFF, fdflags = ARG(7) & 0xFFFF;
    bool write;
    int flags;
    uint32_t err = open_flags(oflags, (uint64_t)a[5].of.i64, fdflags, &write, &flags);
    if (err) return err;
    if (!wasi_span(c, ARG(8), 4)) return WASI_EFAULT;
    Resolved r;
    err = resolve(c, ARG(0), ARG(2), ARG(3), ARG(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r);
    bool mutates = write || oflags & (WASI_O_CREAT | WASI_O_TRUNC) || fdflags & WASI_FDFLAG_APPEND;
    if (!err && r.dir->readonly && mutates) err = WASI_EPERM;
    int fd = -1;
    if (!err && (fd = openat(r.parent, r.name, flags, 0666)) < 0) err = wasi_errno(errno);
    bool ro = !err && r.dir->readonly;
    resolved_free(&r);
    if (err) return err;
    struct stat st;
    uint32_t slot = fstat(fd, &st) == 0 ? wasi_fd_alloc(c->w) : UINT32_MAX;
    if (slot == UINT32_MAX) {
        close(fd);
        return WASI_ENOMEM;
    }
    c->w->fds[slot] = (WasiFd){.kind = FD_HOST, .host = fd, .own_host = true,
                               .filetype = wasi_filetype(st.st_mode),
                               .readable = (flags & O_ACCMODE) != O_WRONLY,
                               .writable = (flags & O_ACCMODE) != O_RDONLY, .readonly = ro,
                               .fdflags = (uint16_t)fdflags};
    wasi_put32(c, ARG(8), slot);
    return WASI_ESUCCESS;
}
