/* The on-disk object cache of the JIT: a compiled module's object files stored under a key
 * (a hash of the Wasm bytes and of everything the code depends on), one file per key. */
#ifndef WK_JIT_CACHE_H
#define WK_JIT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JIT_CACHE_KEY_SIZE 32

/* What one cache file holds: the symbol nonce the objects were compiled with and the objects
 * (one per partition). */
typedef struct CacheEntry {
    uint64_t nonce;
    uint32_t nobjs;
    uint8_t **objs;
    size_t *sizes;
} CacheEntry;

/* Reads the entry of `key` from directory `dir` into *out (owned; cache_entry_free).
 * Returns false when there is none or it is unreadable or corrupt. */
bool cache_load(const char *dir, const uint8_t key[JIT_CACHE_KEY_SIZE], CacheEntry *out);
/* True when directory `dir` has a file for `key` (not read: it may still be unreadable). */
bool cache_exists(const char *dir, const uint8_t key[JIT_CACHE_KEY_SIZE]);

/* Writes the entry of `key` atomically (temporary file, then rename). Best effort: failures
 * (no such directory, disk full) are ignored, the cache being an optimisation. */
void cache_store(const char *dir, const uint8_t key[JIT_CACHE_KEY_SIZE], const CacheEntry *e);

/* Frees what an entry owns (not the entry itself). */
void cache_entry_free(CacheEntry *e);

#endif
