/* The code cache: module keys, and the on-disk object cache (file naming, format, integrity
 * and atomic writes). A file is "WKJITC2\0", the 32-byte key, the nonce (u64), the object count
 * (u32), then per object its size (u64) and bytes; integers in host byte order (the key covers
 * it); then a 32-byte BLAKE3 hash of all that, keyed with the directory's secret (a random
 * 32-byte file ".wkkey" beside the entries, made on first use, readable by its owner only): a
 * file changed by anyone without the secret fails the check and is recompiled. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm-c/blake3.h>

#include "codecache.h"

static const char magic[8] = "WKJITC2";

#define SECRET_SIZE 32
#define MAX_FILE ((size_t)1 << 32)

/* ---- The directory's secret -------------------------------------------------------------- */

static bool read_secret(const char *path, uint8_t secret[SECRET_SIZE])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, secret, SECRET_SIZE);
    close(fd);
    return n == SECRET_SIZE;
}

/* Writes a new random secret at `path` unless one appeared meanwhile (link fails then). */
static void make_secret(const char *dir, const char *path)
{
    uint8_t secret[SECRET_SIZE];
    if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret) return;
    char tmp[4096 + 64];
    snprintf(tmp, sizeof tmp, "%s/.wkkey.%ld.tmp", dir, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return;
    bool ok = write(fd, secret, sizeof secret) == (ssize_t)sizeof secret;
    ok = close(fd) == 0 && ok;
    if (ok && link(tmp, path) != 0 && errno != EEXIST) ok = false;
    unlink(tmp);
}

/* The secret of cache directory `dir`, made on first use. False when there is none to use. */
static bool cache_secret(const char *dir, uint8_t secret[SECRET_SIZE])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/.wkkey", dir);
    if (read_secret(path, secret)) return true;
    make_secret(dir, path);
    return read_secret(path, secret);
}

static void keyed_hash(const uint8_t secret[SECRET_SIZE], const void *data, size_t size,
                       uint8_t out[SECRET_SIZE])
{
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init_keyed(&h, secret);
    llvm_blake3_hasher_update(&h, data, size);
    llvm_blake3_hasher_finalize(&h, out, SECRET_SIZE);
}

/* Reads file `path` whole into *buf (malloc'd) when its size is sane. */
static bool read_file(const char *path, uint8_t **buf, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    bool ok = fseek(f, 0, SEEK_END) == 0;
    long n = ok ? ftell(f) : -1;
    ok = n > SECRET_SIZE && (size_t)n < MAX_FILE && fseek(f, 0, SEEK_SET) == 0;
    *buf = ok ? malloc((size_t)n) : NULL;
    ok = *buf && fread(*buf, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (!ok) {
        free(*buf);
        return false;
    }
    *size = (size_t)n;
    return true;
}

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

void codecache_key(const uint8_t *bytes, size_t size, const char *target, int tier, int mode,
                   uint8_t key[CODECACHE_KEY_SIZE])
{
    char stamp[512], config[2048];
    build_stamp(stamp, sizeof stamp);
    int n = snprintf(config, sizeof config, "wasmkiln %s %s|%s|%d|%d", WK_VERSION, stamp,
                     target, tier, mode);
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    llvm_blake3_hasher_update(&h, bytes, size);
    llvm_blake3_hasher_update(&h, config, n > 0 ? (size_t)n : 0);
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

static bool read_exact(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

static bool read_objects(FILE *f, CacheEntry *e)
{
    e->objs = calloc(e->nobjs ? e->nobjs : 1, sizeof *e->objs);
    e->sizes = calloc(e->nobjs ? e->nobjs : 1, sizeof *e->sizes);
    if (!e->objs || !e->sizes) return false;
    for (uint32_t i = 0; i < e->nobjs; i++) {
        uint64_t size;
        if (!read_exact(f, &size, sizeof size) || size > ((uint64_t)1 << 32)) return false;
        e->sizes[i] = (size_t)size;
        e->objs[i] = malloc(e->sizes[i] ? e->sizes[i] : 1);
        if (!e->objs[i] || !read_exact(f, e->objs[i], e->sizes[i])) return false;
    }
    return fgetc(f) == EOF;
}

/* Opens the verified contents of the entry of `key` (its hash checked with the directory's
 * secret) as a stream; *buf backs it (free after fclose). NULL when missing or not intact. */
static FILE *open_verified(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], uint8_t **buf)
{
    uint8_t secret[SECRET_SIZE], hash[SECRET_SIZE];
    char path[4096];
    size_t size;
    file_name(path, sizeof path, dir, key, ".wkobj");
    if (!cache_secret(dir, secret) || !read_file(path, buf, &size)) return NULL;
    size_t body = size - SECRET_SIZE;
    keyed_hash(secret, *buf, body, hash);
    FILE *f = memcmp(hash, *buf + body, SECRET_SIZE) == 0 ? fmemopen(*buf, body, "rb") : NULL;
    if (!f) free(*buf);
    return f;
}

bool codecache_load(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], CacheEntry *out)
{
    uint8_t *buf = NULL;
    FILE *f = open_verified(dir, key, &buf);
    if (!f) return false;
    char m[8];
    uint8_t k[CODECACHE_KEY_SIZE];
    CacheEntry e = {0};
    bool ok = read_exact(f, m, 8) && memcmp(m, magic, 8) == 0 && read_exact(f, k, sizeof k) &&
              memcmp(k, key, sizeof k) == 0 && read_exact(f, &e.nonce, sizeof e.nonce) &&
              read_exact(f, &e.nobjs, sizeof e.nobjs) && e.nobjs < (1u << 20) &&
              read_objects(f, &e);
    fclose(f);
    free(buf);
    if (!ok) {
        codecache_entry_free(&e);
        return false;
    }
    *out = e;
    return true;
}

bool codecache_exists(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE])
{
    char path[4096];
    file_name(path, sizeof path, dir, key, ".wkobj");
    return access(path, R_OK) == 0;
}

static bool write_entry(FILE *f, const uint8_t *key, const CacheEntry *e)
{
    bool ok = fwrite(magic, 1, 8, f) == 8 && fwrite(key, 1, CODECACHE_KEY_SIZE, f) ==
              CODECACHE_KEY_SIZE && fwrite(&e->nonce, sizeof e->nonce, 1, f) == 1 &&
              fwrite(&e->nobjs, sizeof e->nobjs, 1, f) == 1;
    for (uint32_t i = 0; ok && i < e->nobjs; i++) {
        uint64_t size = e->sizes[i];
        ok = fwrite(&size, sizeof size, 1, f) == 1 &&
             fwrite(e->objs[i], 1, e->sizes[i], f) == e->sizes[i];
    }
    return ok;
}

/* The entry's bytes followed by their keyed hash, in *buf (malloc'd). */
static bool encode_entry(const uint8_t secret[SECRET_SIZE], const uint8_t *key,
                         const CacheEntry *e, char **buf, size_t *size)
{
    FILE *m = open_memstream(buf, size);
    if (!m) return false;
    bool ok = write_entry(m, key, e);
    ok = fclose(m) == 0 && ok;
    uint8_t hash[SECRET_SIZE];
    char *grown = ok ? realloc(*buf, *size + SECRET_SIZE) : NULL;
    if (!grown) {
        free(*buf);
        return false;
    }
    keyed_hash(secret, grown, *size, hash);
    memcpy(grown + *size, hash, SECRET_SIZE);
    *buf = grown;
    *size += SECRET_SIZE;
    return true;
}

void codecache_store(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], const CacheEntry *e)
{
    uint8_t secret[SECRET_SIZE];
    char *buf = NULL, path[4096], tmp[4096 + 64];
    size_t size = 0;
    if (!cache_secret(dir, secret) || !encode_entry(secret, key, e, &buf, &size)) return;
    file_name(path, sizeof path, dir, key, ".wkobj");
    snprintf(tmp, sizeof tmp, "%s.%ld.%016llx.tmp", path, (long)getpid(),
             (unsigned long long)e->nonce);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(buf, 1, size, f) == size;
    ok = f && fclose(f) == 0 && ok;
    free(buf);
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

void codecache_entry_free(CacheEntry *e)
{
    for (uint32_t i = 0; e->objs && i < e->nobjs; i++) free(e->objs[i]);
    free(e->objs);
    free(e->sizes);
    e->objs = NULL;
    e->sizes = NULL;
}
