/* The code cache: module keys, and the on-disk object cache (file naming, format and atomic
 * writes). A file is "WKJITC1\0", the 32-byte key, the nonce (u64), the object count (u32),
 * then per object its size (u64) and bytes; integers in host byte order (the key covers it). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm-c/blake3.h>

#include "codecache.h"

static const char magic[8] = "WKJITC1";

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

bool codecache_load(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], CacheEntry *out)
{
    char path[4096];
    file_name(path, sizeof path, dir, key, ".wkobj");
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char m[8];
    uint8_t k[CODECACHE_KEY_SIZE];
    CacheEntry e = {0};
    bool ok = read_exact(f, m, 8) && memcmp(m, magic, 8) == 0 && read_exact(f, k, sizeof k) &&
              memcmp(k, key, sizeof k) == 0 && read_exact(f, &e.nonce, sizeof e.nonce) &&
              read_exact(f, &e.nobjs, sizeof e.nobjs) && e.nobjs < (1u << 20) &&
              read_objects(f, &e);
    fclose(f);
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

void codecache_store(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], const CacheEntry *e)
{
    char path[4096], tmp[4096 + 64];
    file_name(path, sizeof path, dir, key, ".wkobj");
    snprintf(tmp, sizeof tmp, "%s.%ld.%016llx.tmp", path, (long)getpid(),
             (unsigned long long)e->nonce);
    FILE *f = fopen(tmp, "wb");
    if (!f) return;
    bool ok = write_entry(f, key, e);
    ok = fclose(f) == 0 && ok;
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
