/* The code cache: module keys, and the on-disk object cache (file naming, format, integrity,
 * atomic writes, least-recently-used eviction). A file is "WKJITC2\0", the 32-byte key, the
 * target description (u32 length, bytes), the nonce (u64), the object count (u32), then per
 * object its size (u64) and bytes, then the BLAKE3 hash of all of that; integers in host byte
 * order (the key covers it). A load touches the file's mtime: eviction removes the oldest. */
#include <dirent.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <llvm-c/blake3.h>

#include "codecache.h"

static const char magic[8] = "WKJITC2";
#define SUFFIX ".wkobj"
/* A temporary file older than this is a dead writer's. */
#define STALE_TMP_SECONDS 600

/* Identifies this build of the library: the file holding this code (executable or shared
 * object) with its size and modification time, so any rebuild invalidates cached objects. */
static void build_stamp(char *buf, size_t size)
{
    Dl_info info;
    struct stat st;
    if (dladdr((void *)build_stamp, &info) && info.dli_fname && stat(info.dli_fname, &st) == 0)
        snprintf(buf, size, "%s %lld %lld.%09ld", info.dli_fname, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    else
        snprintf(buf, size, "%s %s", __DATE__, __TIME__);
}

void codecache_build_id(char *buf, size_t size)
{
    char stamp[512];
    build_stamp(stamp, sizeof stamp);
    snprintf(buf, size, "wasmkiln %s %s", WK_VERSION, stamp);
}

void codecache_key(const uint8_t *bytes, size_t size, const char *target, int tier, int mode,
                   uint8_t key[CODECACHE_KEY_SIZE])
{
    char build[600], config[2048];
    codecache_build_id(build, sizeof build);
    int n = snprintf(config, sizeof config, "%s|%s|%d|%d", build, target, tier, mode);
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    llvm_blake3_hasher_update(&h, bytes, size);
    llvm_blake3_hasher_update(&h, config, n > 0 ? (size_t)n : 0);
    llvm_blake3_hasher_finalize(&h, key, CODECACHE_KEY_SIZE);
}

void codecache_func_key(const uint8_t module_key[CODECACHE_KEY_SIZE], uint32_t index, int tier,
                        uint8_t key[CODECACHE_KEY_SIZE])
{
    char tail[32];
    int n = snprintf(tail, sizeof tail, "|func %u|tier %d", index, tier);
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    llvm_blake3_hasher_update(&h, module_key, CODECACHE_KEY_SIZE);
    llvm_blake3_hasher_update(&h, tail, (size_t)n);
    llvm_blake3_hasher_finalize(&h, key, CODECACHE_KEY_SIZE);
}

static void file_name(char *buf, size_t size, const char *dir, const uint8_t *key,
                      const char *suffix)
{
    int n = snprintf(buf, size, "%s/", dir);
    for (int i = 0; i < CODECACHE_KEY_SIZE && n > 0 && (size_t)n + 3 < size; i++)
        n += snprintf(buf + n, size - (size_t)n, "%02x", key[i]);
    snprintf(buf + n, size - (size_t)n, "%s", suffix);
}

/* ---- the file format ---- */

/* Bytes of a file: the header fields, the objects, then the BLAKE3 hash of everything before
 * it. */
typedef struct Bytes {
    uint8_t *p;
    size_t n, cap;
} Bytes;

static bool put(Bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) return false;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return true;
}

static void hash_of(const uint8_t *p, size_t n, uint8_t out[CODECACHE_KEY_SIZE])
{
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    llvm_blake3_hasher_update(&h, p, n);
    llvm_blake3_hasher_finalize(&h, out, CODECACHE_KEY_SIZE);
}

static bool encode(Bytes *b, const uint8_t *key, const char *target, const CacheEntry *e)
{
    uint32_t tlen = (uint32_t)strlen(target);
    bool ok = put(b, magic, 8) && put(b, key, CODECACHE_KEY_SIZE) &&
              put(b, &tlen, sizeof tlen) && put(b, target, tlen) &&
              put(b, &e->nonce, sizeof e->nonce) && put(b, &e->nobjs, sizeof e->nobjs);
    for (uint32_t i = 0; ok && i < e->nobjs; i++) {
        uint64_t size = e->sizes[i];
        ok = put(b, &size, sizeof size) && put(b, e->objs[i], e->sizes[i]);
    }
    uint8_t h[CODECACHE_KEY_SIZE];
    if (ok) hash_of(b->p, b->n, h);
    return ok && put(b, h, sizeof h);
}

/* A cursor over a file's bytes. */
typedef struct Cursor {
    const uint8_t *p;
    size_t left;
} Cursor;

static bool take(Cursor *c, void *out, size_t n)
{
    if (c->left < n) return false;
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
    return true;
}

static bool decode(const uint8_t *p, size_t n, const uint8_t *key, const char *target,
                   CacheEntry *e)
{
    uint8_t h[CODECACHE_KEY_SIZE];
    if (n < 8 + CODECACHE_KEY_SIZE * 2) return false;
    hash_of(p, n - CODECACHE_KEY_SIZE, h);
    if (memcmp(h, p + n - CODECACHE_KEY_SIZE, CODECACHE_KEY_SIZE) != 0) return false;
    Cursor c = {p, n - CODECACHE_KEY_SIZE};
    char m[8];
    uint8_t k[CODECACHE_KEY_SIZE];
    uint32_t tlen;
    if (!take(&c, m, 8) || memcmp(m, magic, 8) != 0 || !take(&c, k, sizeof k) ||
        memcmp(k, key, sizeof k) != 0 || !take(&c, &tlen, sizeof tlen) ||
        tlen != strlen(target) || c.left < tlen || memcmp(c.p, target, tlen) != 0)
        return false;
    c.p += tlen;
    c.left -= tlen;
    if (!take(&c, &e->nonce, sizeof e->nonce) || !take(&c, &e->nobjs, sizeof e->nobjs) ||
        e->nobjs >= (1u << 20))
        return false;
    e->objs = calloc(e->nobjs ? e->nobjs : 1, sizeof *e->objs);
    e->sizes = calloc(e->nobjs ? e->nobjs : 1, sizeof *e->sizes);
    if (!e->objs || !e->sizes) return false;
    for (uint32_t i = 0; i < e->nobjs; i++) {
        uint64_t size;
        if (!take(&c, &size, sizeof size) || size > c.left) return false;
        e->sizes[i] = (size_t)size;
        e->objs[i] = malloc(e->sizes[i] ? e->sizes[i] : 1);
        if (!e->objs[i] || !take(&c, e->objs[i], e->sizes[i])) return false;
    }
    return c.left == 0;
}

/* The whole file at path (malloc'd), or NULL. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    uint8_t *p = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size < ((uint64_t)1 << 32))
        p = malloc((size_t)st.st_size);
    if (p && fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) *size = (size_t)st.st_size;
    return p;
}

bool codecache_load(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], const char *target,
                    CacheEntry *out)
{
    char path[4096];
    file_name(path, sizeof path, dir, key, SUFFIX);
    size_t n = 0;
    uint8_t *p = read_file(path, &n);
    if (!p) return false;
    CacheEntry e = {0};
    bool ok = decode(p, n, key, target, &e);
    free(p);
    if (!ok) {
        codecache_entry_free(&e);
        return false;
    }
    utimes(path, NULL); /* recently used: evicted last */
    *out = e;
    return true;
}

bool codecache_exists(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE])
{
    char path[4096];
    file_name(path, sizeof path, dir, key, SUFFIX);
    return access(path, R_OK) == 0;
}

/* ---- eviction ---- */

typedef struct FileAge {
    char name[96];
    time_t mtime;
    uint64_t size;
} FileAge;

static int older_first(const void *a, const void *b)
{
    const FileAge *x = a, *y = b;
    return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

void codecache_evict(const char *dir, uint64_t max_bytes)
{
    DIR *d = opendir(dir);
    if (!d) return;
    FileAge *files = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    time_t now = time(NULL);
    for (struct dirent *de; (de = readdir(d));) {
        bool entry = ends_with(de->d_name, SUFFIX), tmp = ends_with(de->d_name, ".tmp");
        if ((!entry && !tmp) || strlen(de->d_name) >= sizeof files->name) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (tmp) { /* a writer that died before its rename */
            if (now - st.st_mtime > STALE_TMP_SECONDS) unlink(path);
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            FileAge *f = realloc(files, cap * sizeof *f);
            if (!f) break;
            files = f;
        }
        snprintf(files[n].name, sizeof files[n].name, "%s", de->d_name);
        files[n].mtime = st.st_mtime;
        files[n].size = (uint64_t)st.st_size;
        total += files[n].size;
        n++;
    }
    closedir(d);
    if (total > max_bytes) {
        qsort(files, n, sizeof *files, older_first);
        uint64_t goal = max_bytes / 10 * 9;
        for (size_t i = 0; i < n && total > goal; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
            if (unlink(path) == 0) total -= files[i].size;
        }
    }
    free(files);
}

/* ---- writing ---- */

static atomic_uint stores; /* in this process: eviction runs on the first and every 32nd */

void codecache_store(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], const char *target,
                     const CacheEntry *e, uint64_t max_bytes)
{
    char path[4096], tmp[4096 + 64];
    file_name(path, sizeof path, dir, key, SUFFIX);
    snprintf(tmp, sizeof tmp, "%s.%ld.%016llx.tmp", path, (long)getpid(),
             (unsigned long long)e->nonce);
    Bytes b = {0};
    if (encode(&b, key, target, e)) {
        FILE *f = fopen(tmp, "wb");
        bool ok = f && fwrite(b.p, 1, b.n, f) == b.n;
        ok = f && fclose(f) == 0 && ok;
        if (f && (!ok || rename(tmp, path) != 0)) unlink(tmp);
    }
    free(b.p);
    if (max_bytes && atomic_fetch_add(&stores, 1) % 32 == 0) codecache_evict(dir, max_bytes);
}

void codecache_entry_free(CacheEntry *e)
{
    for (uint32_t i = 0; e->objs && i < e->nobjs; i++) free(e->objs[i]);
    free(e->objs);
    free(e->sizes);
    e->objs = NULL;
    e->sizes = NULL;
}
