/* The code cache: the key of a compiled module (a hash of the Wasm bytes and of everything
 * its object code depends on) and the on-disk object cache, one file per key. No LLVM types. */
#ifndef WK_CODECACHE_H
#define WK_CODECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODECACHE_KEY_SIZE 32

/* The key of a module's code (cache file name, sharing of loaded code): the Wasm bytes, this
 * build of the library, `target` (jit_describe_target), the tier and the bounds mode. */
void codecache_key(const uint8_t *bytes, size_t size, const char *target, int tier, int mode,
                   uint8_t key[CODECACHE_KEY_SIZE]);

/* The key of one function's code: a module key (made with the lazy strategy's tier number)
 * with the defined-function index and the tier. */
void codecache_func_key(const uint8_t module_key[CODECACHE_KEY_SIZE], uint32_t index, int tier,
                        uint8_t key[CODECACHE_KEY_SIZE]);

/* This build of the library (version and build stamp), NUL-terminated into buf. */
void codecache_build_id(char *buf, size_t size);

/* What one cache file holds: the symbol nonce the objects were compiled with and the objects
 * (one per partition). */
typedef struct CacheEntry {
    uint64_t nonce;
    uint32_t nobjs;
    uint8_t **objs;
    size_t *sizes;
} CacheEntry;

/* Reads the entry of `key` from directory `dir` into *out (owned; codecache_entry_free).
 * Returns false when there is none, or it is unreadable, truncated or altered (its hash), or
 * made for another target (jit_describe_target: CPU, features, LLVM). Marks it recently used. */
bool codecache_load(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], const char *target,
                    CacheEntry *out);
/* True when directory `dir` has a file for `key` (not read: it may still be unreadable). */
bool codecache_exists(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE]);

/* Writes the entry of `key` for `target` atomically (temporary file, then rename: concurrent
 * writers of one key leave one whole file). Best effort: failures (no such directory, disk
 * full) are ignored, the cache being an optimisation. With max_bytes > 0, now and then (the
 * first store of the process, then every 32nd) runs codecache_evict. */
void codecache_store(const char *dir, const uint8_t key[CODECACHE_KEY_SIZE], const char *target,
                     const CacheEntry *e, uint64_t max_bytes);
/* Removes the least recently used entries of dir until they total at most 90% of max_bytes
 * (when they exceed max_bytes), and temporary files of writers dead for 10 minutes. */
void codecache_evict(const char *dir, uint64_t max_bytes);

/* Frees what an entry owns (not the entry itself). */
void codecache_entry_free(CacheEntry *e);

#endif
