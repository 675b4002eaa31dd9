/* WASI functions about the process rather than files: arguments, environment, clocks,
 * randomness, scheduling, signals, sockets (none are ever handed out) and poll_oneoff. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "wasi.h"

/* ---- Arguments and environment ----------------------------------------------------------- */

static uint32_t put_sizes(WasiCall *c, char **v, size_t n, uint32_t count_ptr, uint32_t size_ptr)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += strlen(v[i]) + 1;
    if (!wasi_put32(c, count_ptr, (uint32_t)n) || !wasi_put32(c, size_ptr, (uint32_t)bytes))
        return WASI_EFAULT;
    return WASI_ESUCCESS;
}

/* Writes n pointers at ptrs and the NUL-terminated strings from buf on. */
static uint32_t put_strings(WasiCall *c, char **v, size_t n, uint32_t ptrs, uint32_t buf)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        uint8_t *p = wasi_span(c, buf, len);
        if (!p || !wasi_put32(c, ptrs + (uint32_t)(4 * i), buf)) return WASI_EFAULT;
        memcpy(p, v[i], len);
        buf += (uint32_t)len;
    }
    return WASI_ESUCCESS;
}

uint32_t wasi_args_sizes_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return put_sizes(c, c->w->cfg.argv, c->w->cfg.argc, (uint32_t)a[0].of.i32,
                     (uint32_t)a[1].of.i32);
}

uint32_t wasi_args_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return put_strings(c, c->w->cfg.argv, c->w->cfg.argc, (uint32_t)a[0].of.i32,
                       (uint32_t)a[1].of.i32);
}

uint32_t wasi_environ_sizes_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return put_sizes(c, c->w->cfg.env, c->w->cfg.nenv, (uint32_t)a[0].of.i32,
                     (uint32_t)a[1].of.i32);
}

uint32_t wasi_environ_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return put_strings(c, c->w->cfg.env, c->w->cfg.nenv, (uint32_t)a[0].of.i32,
                       (uint32_t)a[1].of.i32);
}

/* ---- Clocks ------------------------------------------------------------------------------ */

static bool host_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};
    if (id >= 4) return false;
    *out = ids[id];
    return true;
}

static uint64_t ns_of(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint32_t wasi_clock_res_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    clockid_t id;
    struct timespec t;
    if (!host_clock((uint32_t)a[0].of.i32, &id)) return WASI_EINVAL;
    if (clock_getres(id, &t) != 0) return wasi_errno(errno);
    return wasi_put64(c, (uint32_t)a[1].of.i32, ns_of(t)) ? WASI_ESUCCESS : WASI_EFAULT;
}

uint32_t wasi_clock_time_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    clockid_t id;
    struct timespec t;
    if (!host_clock((uint32_t)a[0].of.i32, &id)) return WASI_EINVAL;
    if (clock_gettime(id, &t) != 0) return wasi_errno(errno);
    return wasi_put64(c, (uint32_t)a[2].of.i32, ns_of(t)) ? WASI_ESUCCESS : WASI_EFAULT;
}

/* ---- Randomness, scheduling, signals ----------------------------------------------------- */

uint32_t wasi_random_get(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    uint32_t len = (uint32_t)a[1].of.i32;
    uint8_t *p = wasi_span(c, (uint32_t)a[0].of.i32, len);
    if (!p) return WASI_EFAULT;
    for (uint32_t done = 0; done < len;) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0 && errno != EINTR) return wasi_errno(errno);
        if (n > 0) done += (uint32_t)n;
    }
    return WASI_ESUCCESS;
}

uint32_t wasi_sched_yield(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)c, (void)a, (void)trap;
    sched_yield();
    return WASI_ESUCCESS;
}

/* Signals are not delivered to guests (wasmtime does not either). */
uint32_t wasi_proc_raise(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)c, (void)a, (void)trap;
    return WASI_ENOSYS;
}

/* ---- Sockets: no descriptor is ever a socket here ---------------------------------------- */

static uint32_t not_socket(WasiCall *c, const wk_val_t *a)
{
    return wasi_fd(c->w, (uint32_t)a[0].of.i32) ? WASI_ENOTSOCK : WASI_EBADF;
}

uint32_t wasi_sock_accept(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return not_socket(c, a);
}

uint32_t wasi_sock_recv(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return not_socket(c, a);
}

uint32_t wasi_sock_send(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return not_socket(c, a);
}

uint32_t wasi_sock_shutdown(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    return not_socket(c, a);
}

/* ---- poll_oneoff ------------------------------------------------------------------------- */

enum { SUB_SIZE = 48, EVENT_SIZE = 32, EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };
enum { MAX_SUBS = 4096 };

typedef struct Sub {
    uint64_t userdata;
    uint8_t type;
    uint32_t fd;        /* fd events */
    uint64_t deadline;  /* clock events: monotonic ns */
    bool ready;
    uint16_t error;
    uint64_t nbytes;
    int pollidx;        /* index in the pollfd array, or -1 */
} Sub;

static uint64_t now_ns(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return ns_of(t);
}

/* Reads subscription i at p into s; an errno for a bad clock or fd. */
static uint32_t read_sub(WasiCall *c, const uint8_t *p, Sub *s)
{
    memcpy(&s->userdata, p, 8);
    s->type = p[8];
    s->pollidx = -1;
    if (s->type == EV_CLOCK) {
        uint32_t id;
        uint64_t timeout;
        uint16_t flags;
        memcpy(&id, p + 16, 4);
        memcpy(&timeout, p + 24, 8);
        memcpy(&flags, p + 40, 2);
        clockid_t hid;
        if (!host_clock(id, &hid)) return WASI_EINVAL;
        uint64_t now = now_ns(hid);
        uint64_t rel = (flags & 1) ? (timeout > now ? timeout - now : 0) : timeout;
        s->deadline = now_ns(CLOCK_MONOTONIC) + rel;
        return WASI_ESUCCESS;
    }
    if (s->type != EV_FD_READ && s->type != EV_FD_WRITE) return WASI_EINVAL;
    memcpy(&s->fd, p + 16, 4);
    return wasi_fd(c->w, s->fd) ? WASI_ESUCCESS : WASI_EBADF;
}

/* Marks fd subscriptions that are ready without waiting (buffers, regular files, files
 * opened without the needed access) and returns whether any is. */
static bool ready_now(WasiCall *c, Sub *s, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i].type == EV_CLOCK) continue;
        WasiFd *f = wasi_fd(c->w, s[i].fd);
        if (f->kind == FD_BUF_IN) {
            s[i].ready = true;
            s[i].nbytes = f->buf->size - f->buf->pos;
        } else if (f->kind != FD_HOST || f->filetype == WASI_FT_FILE) {
            s[i].ready = true;
            struct stat st;
            off_t pos;
            if (f->kind == FD_HOST && s[i].type == EV_FD_READ && fstat(f->host, &st) == 0 &&
                (pos = lseek(f->host, 0, SEEK_CUR)) >= 0)
                s[i].nbytes = st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
        } else if (f->kind == FD_HOST && f->filetype == WASI_FT_DIR) {
            s[i].ready = true;
            s[i].error = WASI_EBADF;
        }
        any |= s[i].ready;
    }
    return any;
}

/* Waits with poll(2) on the host descriptors not ready yet, at most until the nearest clock
 * deadline (no wait at all when something is ready already). */
static uint32_t wait_fds(WasiCall *c, Sub *s, size_t n, bool any_ready)
{
    struct pollfd *pfd = calloc(n, sizeof *pfd);
    if (!pfd) return WASI_ENOMEM;
    nfds_t np = 0;
    uint64_t nearest = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (s[i].type == EV_CLOCK) {
            if (s[i].deadline < nearest) nearest = s[i].deadline;
        } else if (!s[i].ready) {
            WasiFd *f = wasi_fd(c->w, s[i].fd);
            short ev = s[i].type == EV_FD_READ ? POLLIN : POLLOUT;
            pfd[np] = (struct pollfd){.fd = f->host, .events = ev};
            s[i].pollidx = (int)np++;
        }
    }
    int timeout = -1;
    if (any_ready) {
        timeout = 0;
    } else if (nearest != UINT64_MAX) {
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        uint64_t ms = nearest > now ? (nearest - now + 999999) / 1000000 : 0;
        timeout = ms > 0x7FFFFFFF ? 0x7FFFFFFF : (int)ms;
    }
    int r;
    do r = poll(pfd, np, timeout);
    while (r < 0 && errno == EINTR);
    uint32_t err = r < 0 ? wasi_errno(errno) : WASI_ESUCCESS;
    for (size_t i = 0; r > 0 && i < n; i++) {
        if (s[i].pollidx < 0) continue;
        short re = pfd[s[i].pollidx].revents;
        if (!re) continue;
        s[i].ready = true;
        int avail = 0;
        if (s[i].type == EV_FD_READ && ioctl(pfd[s[i].pollidx].fd, FIONREAD, &avail) == 0)
            s[i].nbytes = (uint64_t)avail;
        if (re & (POLLERR | POLLNVAL)) s[i].error = WASI_EIO;
    }
    free(pfd);
    return err;
}

/* Writes the events of ready subscriptions (else of expired clocks); *count their number. */
static uint32_t put_events(WasiCall *c, Sub *s, size_t n, uint32_t out, uint32_t *count)
{
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool fire = s[i].type == EV_CLOCK ? s[i].deadline <= now : s[i].ready;
        if (!fire) continue;
        uint8_t *e = wasi_span(c, out + k * EVENT_SIZE, EVENT_SIZE);
        if (!e) return WASI_EFAULT;
        memset(e, 0, EVENT_SIZE);
        memcpy(e, &s[i].userdata, 8);
        memcpy(e + 8, &s[i].error, 2);
        e[10] = s[i].type;
        if (s[i].type != EV_CLOCK) memcpy(e + 16, &s[i].nbytes, 8);
        k++;
    }
    *count = k;
    return WASI_ESUCCESS;
}

uint32_t wasi_poll_oneoff(WasiCall *c, const wk_val_t *a, wk_trap_t **trap)
{
    (void)trap;
    uint32_t in = (uint32_t)a[0].of.i32, out = (uint32_t)a[1].of.i32;
    uint32_t n = (uint32_t)a[2].of.i32, nevents_ptr = (uint32_t)a[3].of.i32;
    if (n == 0) return WASI_EINVAL;
    if (n > MAX_SUBS) return WASI_ENOTSUP;
    const uint8_t *subs = wasi_span(c, in, (uint64_t)n * SUB_SIZE);
    if (!subs || !wasi_span(c, out, (uint64_t)n * EVENT_SIZE) || !wasi_span(c, nevents_ptr, 4))
        return WASI_EFAULT;
    Sub *s = calloc(n, sizeof *s);
    if (!s) return WASI_ENOMEM;
    uint32_t count = 0, err = 0;
    for (uint32_t i = 0; !err && i < n; i++) err = read_sub(c, subs + (size_t)i * SUB_SIZE, &s[i]);
    while (!err && count == 0) {
        bool any = ready_now(c, s, n);
        err = wait_fds(c, s, n, any);
        if (!err) err = put_events(c, s, n, out, &count);
    }
    free(s);
    if (err) return err;
    return wasi_put32(c, nevents_ptr, count) ? WASI_ESUCCESS : WASI_EFAULT;
}
