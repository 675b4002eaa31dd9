/* WASI preview 1 (wasi_snapshot_preview1): the context, its descriptor table and the helpers
 * the wasi_*.c files share. Errno, rights and layout constants follow the witx definitions;
 * behaviour follows wasmtime's implementation. */
#ifndef WK_WASI_H
#define WK_WASI_H

#include <stdbool.h>
#include <stdint.h>

#include "wasmkiln.h"

/* errno values (witx `errno`). */
enum {
    WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EAGAIN = 6, WASI_EBADF = 8,
    WASI_EBUSY = 10, WASI_EEXIST = 20, WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EILSEQ = 25,
    WASI_EINTR = 27, WASI_EINVAL = 28, WASI_EIO = 29, WASI_EISDIR = 31, WASI_ELOOP = 32,
    WASI_EMFILE = 33, WASI_EMLINK = 34, WASI_ENAMETOOLONG = 37, WASI_ENFILE = 41,
    WASI_ENODEV = 43, WASI_ENOENT = 44, WASI_ENOMEM = 48, WASI_ENOSPC = 51, WASI_ENOSYS = 52,
    WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58,
    WASI_ENOTTY = 59, WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EPERM = 63, WASI_EPIPE = 64,
    WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
    WASI_ENOTCAPABLE = 76,
};

/* filetype */
enum {
    WASI_FT_UNKNOWN = 0, WASI_FT_BLOCK = 1, WASI_FT_CHAR = 2, WASI_FT_DIR = 3, WASI_FT_FILE = 4,
    WASI_FT_SOCK_DGRAM = 5, WASI_FT_SOCK_STREAM = 6, WASI_FT_SYMLINK = 7,
};

/* fdflags, oflags, lookupflags, fstflags */
enum { WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4,
       WASI_FDFLAG_RSYNC = 8, WASI_FDFLAG_SYNC = 16 };
enum { WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8 };
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4, WASI_FST_MTIM_NOW = 8 };

/* rights */
#define WASI_R(bit) ((uint64_t)1 << (bit))
#define WASI_RIGHT_FD_DATASYNC WASI_R(0)
#define WASI_RIGHT_FD_READ WASI_R(1)
#define WASI_RIGHT_FD_SEEK WASI_R(2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS WASI_R(3)
#define WASI_RIGHT_FD_SYNC WASI_R(4)
#define WASI_RIGHT_FD_TELL WASI_R(5)
#define WASI_RIGHT_FD_WRITE WASI_R(6)
#define WASI_RIGHT_FD_ADVISE WASI_R(7)
#define WASI_RIGHT_FD_ALLOCATE WASI_R(8)
#define WASI_RIGHT_FD_READDIR WASI_R(14)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE WASI_R(22)
#define WASI_RIGHTS_ALL (WASI_R(30) - 1)

/* The kinds of descriptor-table entries. */
typedef enum { FD_FREE = 0, FD_HOST, FD_BUF_IN, FD_BUF_OUT, FD_CALLBACK } FdKind;

typedef struct WasiBuf {
    uint8_t *data;
    size_t size, cap, pos; /* pos: read position (stdin) */
} WasiBuf;

typedef struct WasiFd {
    FdKind kind;
    int host;          /* FD_HOST: the host descriptor */
    bool own_host;     /* close host on fd_close (false for inherited stdio) */
    bool stdio;        /* one of the three standard streams */
    uint8_t filetype;
    bool readable, writable;
    bool readonly;     /* beneath a read-only preopen: nothing may change */
    uint16_t fdflags;  /* as given to path_open or fd_fdstat_set_flags */
    char *preopen;     /* guest path of a preopened directory, else NULL */
    WasiBuf *buf;      /* FD_BUF_IN / FD_BUF_OUT (owned by the context) */
    wk_wasi_write_t write; /* FD_CALLBACK */
    void *write_env;
} WasiFd;

typedef struct WasiPreopen {
    char *host, *guest;
    bool readonly;
} WasiPreopen;

struct wk_wasi_config {
    char **argv;
    size_t argc;
    char **env; /* "KEY=VALUE" */
    size_t nenv;
    WasiPreopen *preopens;
    size_t npreopens;
    wk_wasi_stdio_t stdio[3];
    int stdio_fd[3];
    wk_wasi_write_t write[3];
    void *write_env[3];
    uint8_t *stdin_data;
    size_t stdin_size;
};

typedef struct wk_wasi Wasi;

/* One bound function: the context and which function (env of its host function). */
typedef struct WasiBind {
    Wasi *w;
    uint32_t fn;
} WasiBind;

struct wk_wasi {
    wk_wasi_config_t cfg; /* owned copy */
    WasiFd *fds;
    uint32_t nfds;
    WasiBuf bufs[3];
    bool exited;
    uint32_t exit_code;
    void *mem_inst;       /* instance whose memory is cached below */
    wk_memory_t *mem;
    WasiBind *binds;
    wk_func_t **funcs;    /* one per function of wasi_funcs.def */
};

/* A call in progress: the context and the caller's memory. */
typedef struct WasiCall {
    Wasi *w;
    uint8_t *mem;
    uint64_t size;
} WasiCall;

/* ---- wasi_config.c: the configuration object --------------------------------------------- */

wk_wasi_config_t *wasi_config_new(void);
void wasi_config_free(wk_wasi_config_t *cfg); /* accepts NULL */
bool wasi_config_argv(wk_wasi_config_t *cfg, size_t argc, const char *const *argv);
bool wasi_config_env(wk_wasi_config_t *cfg, const char *key, const char *value);
bool wasi_config_preopen(wk_wasi_config_t *cfg, const char *host, const char *guest,
                         bool readonly);
bool wasi_config_stdin_bytes(wk_wasi_config_t *cfg, const uint8_t *data, size_t size);
/* A deep copy of src into *dst; false (dst left empty) when out of memory. */
bool wasi_config_copy(wk_wasi_config_t *dst, const wk_wasi_config_t *src);
/* Frees what cfg holds, not cfg itself. */
void wasi_config_clear(wk_wasi_config_t *cfg);

/* ---- wasi.c: the context, its functions, run ------------------------------------------------ */

/* A new store-owned context of store from cfg (copied). Errors: WK_ERROR_USAGE for a preopen
 * that cannot be opened or a bad stdio descriptor, WK_ERROR_RESOURCE. */
wk_error_t *wasi_new(wk_store_t *store, const wk_wasi_config_t *cfg, Wasi **out);
/* See wk_wasi_imports and wk_wasi_run. */
wk_error_t *wasi_imports(const Wasi *w, const wk_module_t *module, wk_extern_t *imports);
wk_trap_t *wasi_run(Wasi *w, wk_instance_t *inst, uint32_t *exit_code);

/* ---- wasi.c: memory access and shared helpers ----------------------------------------------- */

/* Guest memory [ptr, ptr + len) as a host pointer, or NULL when out of bounds. */
uint8_t *wasi_span(const WasiCall *c, uint32_t ptr, uint64_t len);
/* Little-endian stores into guest memory; false when out of bounds. */
bool wasi_put32(const WasiCall *c, uint32_t ptr, uint32_t v);
bool wasi_put64(const WasiCall *c, uint32_t ptr, uint64_t v);
/* The WASI errno for a host errno value. */
uint32_t wasi_errno(int host_errno);
/* The entry of guest fd, or NULL when it is not open. */
WasiFd *wasi_fd(Wasi *w, uint32_t fd);
/* A free guest fd slot (the lowest), growing the table; UINT32_MAX when out of memory. */
uint32_t wasi_fd_alloc(Wasi *w);
/* Releases an entry's host descriptor and clears it. */
void wasi_fd_release(WasiFd *f);
/* The WASI filetype of a host st_mode. */
uint8_t wasi_filetype(uint32_t mode);
/* Writes a 64-byte filestat of a host struct stat (passed as void * to keep sys/stat.h out). */
bool wasi_put_filestat(const WasiCall *c, uint32_t ptr, const void *st);
/* A guest path [ptr, ptr + len) copied to a NUL-terminated string, or an errno (EFAULT,
 * EILSEQ for invalid UTF-8 or an embedded NUL). The string is freed by the caller. */
uint32_t wasi_path_string(const WasiCall *c, uint32_t ptr, uint32_t len, char **out);

/* ---- wasi_fd.c: the fd_* functions --------------------------------------------------------- */

/* Fills ts[2] (struct timespec, for utimensat) from WASI times and fstflags; EINVAL for
 * contradictory flags. */
uint32_t wasi_fst_times(int64_t atim, int64_t mtim, uint32_t flags, void *ts);
/* ---- wasi_path.c: sandboxed resolution and the path_* functions ---------------------------- */

/* Resolves path beneath the directory fd d: on success *parent is a new host descriptor of
 * the directory holding the last component and *name (owned) that component (possibly "."
 * or with a trailing slash). follow: a final symlink is followed. Returns an errno: EPERM for
 * absolute paths and escapes, ELOOP past 40 symlinks, ENOENT/ENOTDIR as the walk finds. */
uint32_t wasi_path_resolve(const WasiFd *d, const char *path, bool follow, int *parent,
                           char **name);

/* The signature of every function implementation: args as given, returns an errno (the
 * function's one result) or, through *trap, a trap (proc_exit). */
typedef uint32_t (*WasiImpl)(WasiCall *c, const wk_val_t *a, wk_trap_t **trap);

#define WASI_FUNC(name, params, results) \
    uint32_t wasi_##name(WasiCall *c, const wk_val_t *a, wk_trap_t **trap);
#include "wasi_funcs.def"
#undef WASI_FUNC

#endif
