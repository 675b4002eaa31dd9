/* The fd_* functions of WASI preview 1: reading and writing (host descriptors and memory
 * buffers), seeking, status, times, directory listing, preopen discovery, renumbering. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi.h"

#define FD_ARG(i) ((uint32_t)a[i].of.i32)
#define PTR_ARG(i) ((uint32_t)a[i].of.i32)

/* The entry of fd argument i, or return EBADF. */
#define GET_FD(f, i)                                                                           \
    WasiFd *f = wasi_fd(c->w, FD_ARG(i));                                                      \
    if (!f) return WASI_EBADF

/* ---- Scatter/gather ---------------------------------------------------------------------- */

enum { MAX_IOVS = 1024 };

/* Translates the guest iovec array (n entries at ptr) into host iovecs (at most MAX_IOVS);
 * *count their number, *total their length. EFAULT for any buffer outside memory. */
static uint32_t host_iovs(WasiCall *c, uint32_t ptr, uint32_t n, struct iovec *out,
                          int *count, uint64_t *total)
{
    const uint8_t *v = wasi_span(c, ptr, (uint64_t)n * 8);
    if (!v) return WASI_EFAULT;
    *count = 0;
    *total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf, len;
        memcpy(&buf, v + 8 * i, 4);
        memcpy(&len, v + 8 * i + 4, 4);
        uint8_t *p = wasi_span(c, buf, len);
        if (!p) return WASI_EFAULT;
        if (i < MAX_IOVS && len) {
            out[*count] = (struct iovec){p, len};
            ++*count;
            *total += len;
        }
    }
    return WASI_ESUCCESS;
}

static uint32_t buf_write(WasiBuf *b, const struct iovec *iov, int n, uint64_t total)
{
    if (b->size + total > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->size + total) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) return WASI_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    for (int i = 0; i < n; i++) {
        memcpy(b->data + b->size, iov[i].iov_base, iov[i].iov_len);
        b->size += iov[i].iov_len;
    }
    return WASI_ESUCCESS;
}

static uint64_t buf_read(WasiBuf *b, const struct iovec *iov, int n)
{
    uint64_t done = 0;
    for (int i = 0; i < n && b->pos < b->size; i++) {
        size_t k = b->size - b->pos < iov[i].iov_len ? b->size - b->pos : iov[i].iov_len;
        memcpy(iov[i].iov_base, b->data + b->pos, k);
        b->pos += k;
        done += k;
    }
    return done;
}

/* Reads (write = false) or writes through f at offset (-1: the current position). */
static uint32_t transfer(WasiCall *c, WasiFd *f, const wk_val_t *a, int64_t offset, bool write,
                         uint32_t result_ptr)
{
    struct iovec iov[MAX_IOVS];
    int n;
    uint64_t total;
    uint32_t err = host_iovs(c, PTR_ARG(1), (uint32_t)a[2].of.i32, iov, &n, &total);
    if (err) return err;
    if (!wasi_span(c, result_ptr, 4)) return WASI_EFAULT;
    uint64_t done = 0;
    if (f->kind == FD_CALLBACK) {
        if (offset >= 0) return WASI_ESPIPE;
        if (!write) return WASI_EBADF;
        for (int i = 0; i < n; i++)
            if (!f->write(f->write_env, iov[i].iov_base, iov[i].iov_len)) return WASI_EIO;
        done = total;
    } else if (f->kind == FD_BUF_OUT || f->kind == FD_BUF_IN) {
        if (offset >= 0) return WASI_ESPIPE;
        if ((f->kind == FD_BUF_OUT) != write) return WASI_EBADF;
        if (write) err = buf_write(f->buf, iov, n, total);
        done = write ? total : buf_read(f->buf, iov, n);
    } else {
        if (f->filetype == WASI_FT_DIR) return write ? WASI_EBADF : WASI_EISDIR;
        if (write ? !f->writable : !f->readable) return WASI_EBADF;
        ssize_t r;
        do {
            r = offset < 0 ? (write ? writev(f->host, iov, n) : readv(f->host, iov, n))
                           : (write ? pwritev(f->host, iov, n, offset)
                                    : preadv(f->host, iov, n, offset));
        } while (r < 0 && errno == EINTR);
        if (r < 0) return wasi_errno(errno);
        done = (uint64_t)r;
    }
    if (err) return err;
    wasi_put32(c, result_ptr, (uint32_t)done);
    return WASI_ESUCCESS;
}

uint32_t wasi_fd_read(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    return transfer(c, f, a, -1, false, PTR_ARG(3));
}

uint32_t wasi_fd_write(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    return transfer(c, f, a, -1, true, PTR_ARG(3));
}

/* pread/pwrite: only regular files have positions to read or write at. */
static uint32_t positioned(WasiCall *c, const wk_val_t *a, bool write)
{
    GET_FD(f, 0);
    if (f->kind != FD_HOST || f->stdio) return WASI_ESPIPE;
    if (f->filetype == WASI_FT_DIR) return WASI_EBADF;
    if (a[3].of.i64 < 0) return WASI_EINVAL;
    return transfer(c, f, a, a[3].of.i64, write, PTR_ARG(4));
}

uint32_t wasi_fd_pread(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return positioned(c, a, false);
}

uint32_t wasi_fd_pwrite(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return positioned(c, a, true);
}

/* ---- Positions --------------------------------------------------------------------------- */

static uint32_t seek(WasiCall *c, uint32_t fd, int64_t off, uint32_t whence, uint32_t out)
{
    WasiFd *f = wasi_fd(c->w, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != FD_HOST) return WASI_ESPIPE;
    if (f->filetype == WASI_FT_DIR) return WASI_EBADF;
    static const int hw[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    if (whence > 2) return WASI_EINVAL;
    if (!wasi_span(c, out, 8)) return WASI_EFAULT;
    off_t r = lseek(f->host, (off_t)off, hw[whence]);
    if (r < 0) return wasi_errno(errno);
    wasi_put64(c, out, (uint64_t)r);
    return WASI_ESUCCESS;
}

uint32_t wasi_fd_seek(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return seek(c, FD_ARG(0), a[1].of.i64, (uint32_t)a[2].of.i32 & 0xFF, PTR_ARG(3));
}

uint32_t wasi_fd_tell(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return seek(c, FD_ARG(0), 0, 1, PTR_ARG(1));
}

/* ---- Sync, advice, allocation ------------------------------------------------------------ */

static uint32_t sync_fd(WasiCall *c, const wk_val_t *a, bool data_only)
{
    GET_FD(f, 0);
    if (f->kind != FD_HOST) return WASI_EINVAL;
    int r = data_only ? fdatasync(f->host) : fsync(f->host);
    return r == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

uint32_t wasi_fd_sync(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return sync_fd(c, a, false);
}

uint32_t wasi_fd_datasync(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return sync_fd(c, a, true);
}

uint32_t wasi_fd_advise(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    uint32_t advice = (uint32_t)a[3].of.i32 & 0xFF;
    if (f->kind != FD_HOST || f->filetype == WASI_FT_DIR) return WASI_EBADF;
    if (advice > 5) return WASI_EINVAL;
    static const int ha[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                             POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    int r = posix_fadvise(f->host, (off_t)a[1].of.i64, (off_t)a[2].of.i64, ha[advice]);
    return r == 0 ? WASI_ESUCCESS : wasi_errno(r);
}

/* wasmtime does not support fd_allocate (preview 2 has no such operation): ENOTSUP for any
 * open file, as there. */
uint32_t wasi_fd_allocate(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    if (f->kind != FD_HOST || f->filetype == WASI_FT_DIR) return WASI_EBADF;
    return WASI_ENOTSUP;
}

/* ---- Close and renumber ------------------------------------------------------------------ */

uint32_t wasi_fd_close(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    wasi_fd_release(f);
    return WASI_ESUCCESS;
}

uint32_t wasi_fd_renumber(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(from, 0);
    GET_FD(to, 1);
    if (from == to) return WASI_ESUCCESS;
    wasi_fd_release(to);
    *to = *from;
    memset(from, 0, sizeof *from);
    return WASI_ESUCCESS;
}

/* ---- Status ------------------------------------------------------------------------------ */

/* The rights wasmtime reports for a directory: the path_* ones (bits 9 to 18), fd_readdir,
 * path_filestat_set_times (20), fd_filestat_get (21), fd_filestat_set_times (23),
 * path_symlink, path_remove_directory and path_unlink_file (24 to 26). */
static const uint64_t DIR_BASE = 0x7FE00 | WASI_R(20) | WASI_R(21) | WASI_R(23) | WASI_R(24) |
                                 WASI_R(25) | WASI_R(26);

static void fd_rights(const WasiFd *f, uint64_t *base, uint64_t *inheriting)
{
    if (f->stdio) {
        *base = (f->readable ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE) | WASI_R(27);
        *inheriting = *base;
        return;
    }
    if (f->filetype == WASI_FT_DIR) {
        *base = DIR_BASE;
        *inheriting = WASI_RIGHTS_ALL;
        return;
    }
    uint64_t r = WASI_RIGHTS_ALL;
    if (!f->readable) r &= ~(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
    if (!f->writable) r &= ~WASI_RIGHT_FD_WRITE;
    *base = *inheriting = r;
}

uint32_t wasi_fd_fdstat_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    uint8_t *p = wasi_span(c, PTR_ARG(1), 24);
    if (!p) return WASI_EFAULT;
    uint16_t flags = f->fdflags;
    uint64_t base, inh;
    fd_rights(f, &base, &inh);
    memset(p, 0, 24);
    p[0] = f->filetype;
    memcpy(p + 2, &flags, 2);
    memcpy(p + 8, &base, 8);
    memcpy(p + 16, &inh, 8);
    return WASI_ESUCCESS;
}

/* As wasmtime: only APPEND and NONBLOCK can change; the sync flags are EINVAL. */
uint32_t wasi_fd_fdstat_set_flags(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    uint32_t flags = (uint32_t)a[1].of.i32 & 0xFFFF;
    if (f->kind != FD_HOST || f->stdio || f->filetype == WASI_FT_DIR) return WASI_EBADF;
    if (flags & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC)) return WASI_EINVAL;
    int hf = fcntl(f->host, F_GETFL);
    if (hf < 0) return wasi_errno(errno);
    hf &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDFLAG_APPEND) hf |= O_APPEND;
    if (flags & WASI_FDFLAG_NONBLOCK) hf |= O_NONBLOCK;
    if (fcntl(f->host, F_SETFL, hf) < 0) return wasi_errno(errno);
    f->fdflags = (uint16_t)((f->fdflags & ~(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK)) | flags);
    return WASI_ESUCCESS;
}

/* Rights are not enforced by wasmtime: setting them is ENOTSUP for any open descriptor. */
uint32_t wasi_fd_fdstat_set_rights(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    (void)f;
    return WASI_ENOTSUP;
}

uint32_t wasi_fd_filestat_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    struct stat st;
    memset(&st, 0, sizeof st);
    if (f->kind == FD_HOST && fstat(f->host, &st) != 0) return wasi_errno(errno);
    if (!wasi_put_filestat(c, PTR_ARG(1), &st)) return WASI_EFAULT;
    if (f->kind != FD_HOST || f->stdio) c->mem[PTR_ARG(1) + 16] = f->filetype;
    return WASI_ESUCCESS;
}

uint32_t wasi_fd_filestat_set_size(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    if (f->kind != FD_HOST || f->filetype == WASI_FT_DIR) return WASI_EBADF;
    if (f->readonly) return WASI_EPERM;
    if (!f->writable) return WASI_EBADF;
    if (a[1].of.i64 < 0) return WASI_EINVAL;
    return ftruncate(f->host, (off_t)a[1].of.i64) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

uint32_t wasi_fst_times(int64_t atim, int64_t mtim, uint32_t flags, void *tsv)
{
    struct timespec *ts = tsv;
    if ((flags & WASI_FST_ATIM && flags & WASI_FST_ATIM_NOW) ||
        (flags & WASI_FST_MTIM && flags & WASI_FST_MTIM_NOW) || flags > 15)
        return WASI_EINVAL;
    int64_t v[2] = {atim, mtim};
    for (int i = 0; i < 2; i++) {
        uint32_t set = flags >> (2 * i) & 1, now = flags >> (2 * i + 1) & 1;
        ts[i].tv_sec = (time_t)((uint64_t)v[i] / 1000000000u);
        ts[i].tv_nsec = (long)((uint64_t)v[i] % 1000000000u);
        if (now) ts[i].tv_nsec = UTIME_NOW;
        else if (!set) ts[i].tv_nsec = UTIME_OMIT;
    }
    return WASI_ESUCCESS;
}

uint32_t wasi_fd_filestat_set_times(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    struct timespec ts[2];
    uint32_t err = wasi_fst_times(a[1].of.i64, a[2].of.i64, (uint32_t)a[3].of.i32 & 0xFFFF, ts);
    if (err) return err;
    if (f->kind != FD_HOST) return WASI_EBADF;
    if (f->readonly) return WASI_EPERM;
    return futimens(f->host, ts) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

/* ---- Preopens ---------------------------------------------------------------------------- */

uint32_t wasi_fd_prestat_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    if (!f->preopen) return WASI_EBADF;
    uint8_t *p = wasi_span(c, PTR_ARG(1), 8);
    if (!p) return WASI_EFAULT;
    uint32_t len = (uint32_t)strlen(f->preopen);
    memset(p, 0, 8);
    memcpy(p + 4, &len, 4);
    return WASI_ESUCCESS;
}

uint32_t wasi_fd_prestat_dir_name(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    if (!f->preopen) return WASI_EBADF;
    size_t len = strlen(f->preopen);
    if (len > (uint32_t)a[2].of.i32) return WASI_ENAMETOOLONG;
    uint8_t *p = wasi_span(c, PTR_ARG(1), len);
    if (!p) return WASI_EFAULT;
    memcpy(p, f->preopen, len);
    return WASI_ESUCCESS;
}

/* ---- fd_readdir -------------------------------------------------------------------------- */

static uint8_t dirent_type(int dfd, const struct dirent *e)
{
    switch (e->d_type) {
    case DT_REG: return WASI_FT_FILE;
    case DT_DIR: return WASI_FT_DIR;
    case DT_LNK: return WASI_FT_SYMLINK;
    case DT_CHR: return WASI_FT_CHAR;
    case DT_BLK: return WASI_FT_BLOCK;
    case DT_SOCK: return WASI_FT_SOCK_STREAM;
    default: break;
    }
    struct stat st;
    return fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? wasi_filetype(st.st_mode)
                                                                 : WASI_FT_UNKNOWN;
}

typedef struct DirOut {
    WasiCall *c;
    uint32_t ptr, len, used;
} DirOut;

/* Appends one entry (truncated when the buffer ends); false once the buffer is full. */
static bool put_dirent(DirOut *o, uint64_t next, uint64_t ino, uint8_t type, const char *name)
{
    uint32_t nlen = (uint32_t)strlen(name);
    uint8_t rec[24] = {0};
    memcpy(rec, &next, 8);
    memcpy(rec + 8, &ino, 8);
    memcpy(rec + 16, &nlen, 4);
    rec[20] = type;
    const uint8_t *parts[2] = {rec, (const uint8_t *)name};
    uint32_t sizes[2] = {24, nlen};
    for (int i = 0; i < 2; i++) {
        uint32_t k = o->len - o->used < sizes[i] ? o->len - o->used : sizes[i];
        memcpy(o->c->mem + o->ptr + o->used, parts[i], k);
        o->used += k;
    }
    return o->used < o->len;
}

uint32_t wasi_fd_readdir(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    GET_FD(f, 0);
    DirOut o = {c, PTR_ARG(1), (uint32_t)a[2].of.i32, 0};
    uint64_t cookie = (uint64_t)a[3].of.i64;
    if (!wasi_span(c, o.ptr, o.len) || !wasi_span(c, PTR_ARG(4), 4)) return WASI_EFAULT;
    if (f->kind != FD_HOST || f->filetype != WASI_FT_DIR) return WASI_ENOTDIR;
    int dfd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
    if (!d) {
        uint32_t err = wasi_errno(errno);
        if (dfd >= 0) close(dfd);
        return err;
    }
    struct stat st;
    uint64_t self_ino = fstat(dfd, &st) == 0 ? (uint64_t)st.st_ino : 0;
    uint64_t up_ino = fstatat(dfd, "..", &st, 0) == 0 ? (uint64_t)st.st_ino : 0;
    bool room = o.len > 0;
    if (room && cookie < 1) room = put_dirent(&o, 1, self_ino, WASI_FT_DIR, ".");
    if (room && cookie < 2) room = put_dirent(&o, 2, up_ino, WASI_FT_DIR, "..");
    uint64_t index = 2;
    for (struct dirent *e; room && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (index++ < cookie) continue;
        room = put_dirent(&o, index, (uint64_t)e->d_ino, dirent_type(dfd, e), e->d_name);
    }
    closedir(d);
    wasi_put32(c, PTR_ARG(4), o.used);
    return WASI_ESUCCESS;
}
