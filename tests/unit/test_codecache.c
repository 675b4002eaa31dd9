/* Unit tests of lib/codecache.c: the on-disk object cache format, its integrity check
 * (truncated, altered, another target), concurrent writers and LRU eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecache.h"

static char dir[] = "/tmp/wk_test_codecache_XXXXXX";
static const uint8_t key[CODECACHE_KEY_SIZE] = {1, 2, 3, 4, 5};
static const char *target = "llvm 19.1.7|x86_64-pc-linux-gnu|znver3|+avx2|0";

static int setup_dir(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/wk_test_codecache_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void store_two_objects(void)
{
    uint8_t a[3] = {7, 8, 9}, b[1] = {42};
    uint8_t *objs[2] = {a, b};
    size_t sizes[2] = {3, 1};
    CacheEntry e = {.nonce = 0x1234, .nobjs = 2, .objs = objs, .sizes = sizes};
    codecache_store(dir, key, target, &e, 0);
}

/* The one file the directory holds (the entry's), by path. */
static void entry_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/0102030405", dir);
    for (int i = 5; i < CODECACHE_KEY_SIZE; i++) strcat(buf, "00");
    strcat(buf, ".wkobj");
}

static void test_codecache_store_then_load_round_trips(void **state)
{
    (void)state;
    store_two_objects();
    CacheEntry e;
    assert_true(codecache_load(dir, key, target, &e));
    assert_int_equal(e.nonce, 0x1234);
    assert_int_equal(e.nobjs, 2);
    assert_int_equal(e.sizes[0], 3);
    assert_memory_equal(e.objs[0], "\x07\x08\x09", 3);
    assert_int_equal(e.objs[1][0], 42);
    codecache_entry_free(&e);
}

static void test_codecache_other_key_misses(void **state)
{
    (void)state;
    store_two_objects();
    uint8_t other[CODECACHE_KEY_SIZE] = {9};
    CacheEntry e;
    assert_false(codecache_load(dir, other, target, &e));
}

static void test_codecache_truncated_file_misses(void **state)
{
    (void)state;
    store_two_objects();
    char path[256];
    entry_path(path, sizeof path);
    assert_int_equal(truncate(path, 30), 0);
    CacheEntry e;
    assert_false(codecache_load(dir, key, target, &e));
}

static void test_codecache_missing_directory_is_ignored(void **state)
{
    (void)state;
    uint8_t *objs[1] = {(uint8_t *)"x"};
    size_t sizes[1] = {1};
    CacheEntry e = {.nonce = 1, .nobjs = 1, .objs = objs, .sizes = sizes};
    codecache_store("/nonexistent/wk/cache", key, target, &e, 1);
    CacheEntry got;
    assert_false(codecache_load("/nonexistent/wk/cache", key, target, &got));
}

static void test_codecache_altered_byte_misses(void **state)
{
    (void)state;
    store_two_objects();
    char path[256];
    entry_path(path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    for (off_t at = 0; at < st.st_size; at += 7) { /* every 7th byte, one at a time */
        FILE *f = fopen(path, "r+b");
        assert_non_null(f);
        fseek(f, at, SEEK_SET);
        int c = fgetc(f);
        fseek(f, at, SEEK_SET);
        fputc(c ^ 0x20, f);
        fclose(f);
        CacheEntry e;
        assert_false(codecache_load(dir, key, target, &e));
        f = fopen(path, "r+b");
        fseek(f, at, SEEK_SET);
        fputc(c, f);
        fclose(f);
    }
    CacheEntry e;
    assert_true(codecache_load(dir, key, target, &e)); /* restored: loads again */
    codecache_entry_free(&e);
}

static void test_codecache_other_target_misses(void **state)
{
    (void)state;
    store_two_objects(); /* for `target` */
    CacheEntry e;
    assert_false(codecache_load(dir, key, "llvm 19.1.7|x86_64-pc-linux-gnu|skylake|+avx2|0", &e));
    assert_false(codecache_load(dir, key, "", &e));
    assert_true(codecache_load(dir, key, target, &e));
    codecache_entry_free(&e);
}

/* Processes writing the same key at once, while others read: every read is a miss or the
 * whole entry of one writer, never a torn file; no temporary file is left. */
static void test_codecache_concurrent_writers(void **state)
{
    (void)state;
    enum { WRITERS = 6, ROUNDS = 40 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            static uint8_t big[200000];
            bool ok = true;
            for (int r = 0; r < ROUNDS && ok; r++) {
                memset(big, w + 1, sizeof big);
                uint8_t *objs[1] = {big};
                size_t sizes[1] = {sizeof big - (size_t)w};
                CacheEntry e = {.nonce = (uint64_t)w, .nobjs = 1, .objs = objs, .sizes = sizes};
                codecache_store(dir, key, target, &e, 0);
                CacheEntry got;
                if (codecache_load(dir, key, target, &got)) {
                    uint64_t n = got.nonce;
                    ok = got.nobjs == 1 && n < WRITERS && got.sizes[0] == sizeof big - n;
                    for (size_t i = 0; ok && i < got.sizes[0]; i++) ok = got.objs[0][i] == n + 1;
                    codecache_entry_free(&got);
                }
            }
            _exit(ok ? 0 : 1);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    CacheEntry e;
    assert_true(codecache_load(dir, key, target, &e));
    codecache_entry_free(&e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
}

static void store_key(uint8_t first, size_t size)
{
    static uint8_t bytes[4096];
    uint8_t k[CODECACHE_KEY_SIZE] = {first};
    uint8_t *objs[1] = {bytes};
    size_t sizes[1] = {size};
    CacheEntry e = {.nonce = first, .nobjs = 1, .objs = objs, .sizes = sizes};
    codecache_store(dir, k, target, &e, 0);
}

static bool has_key(uint8_t first)
{
    uint8_t k[CODECACHE_KEY_SIZE] = {first};
    return codecache_exists(dir, k);
}

/* Sets the mtime of key `first`'s file to `age` seconds ago. */
static void age_key(uint8_t first, int age)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%02x", dir, first);
    for (int i = 1; i < CODECACHE_KEY_SIZE; i++) strcat(path, "00");
    strcat(path, ".wkobj");
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= age;
    tv[1] = tv[0];
    assert_int_equal(utimes(path, tv), 0);
}

static void test_codecache_evicts_least_recently_used(void **state)
{
    (void)state;
    for (uint8_t k = 1; k <= 10; k++) {
        store_key(k, 4000);
        age_key(k, 1000 - k); /* 1 oldest ... 10 newest */
    }
    CacheEntry e;
    uint8_t k3[CODECACHE_KEY_SIZE] = {3};
    assert_true(codecache_load(dir, k3, target, &e)); /* 3 is now the most recently used */
    codecache_entry_free(&e);
    codecache_evict(dir, 100000); /* under the bound: nothing goes */
    for (uint8_t k = 1; k <= 10; k++) assert_true(has_key(k));
    codecache_evict(dir, 6 * 4200); /* ~41 KiB of entries down to 90% of ~25 KiB */
    int kept = 0;
    for (uint8_t k = 1; k <= 10; k++) kept += has_key(k);
    assert_true(kept >= 3 && kept <= 5);
    assert_true(has_key(3));
    assert_true(has_key(10));
    assert_false(has_key(1));
    assert_false(has_key(2));
    /* a stale temporary file goes too, a fresh one stays */
    char stale[256], fresh[256];
    snprintf(stale, sizeof stale, "%s/x.wkobj.1.0.tmp", dir);
    snprintf(fresh, sizeof fresh, "%s/y.wkobj.1.0.tmp", dir);
    fclose(fopen(stale, "w"));
    fclose(fopen(fresh, "w"));
    struct timeval old[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
    assert_int_equal(utimes(stale, old), 0);
    codecache_evict(dir, 100000);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(access(fresh, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_codecache_store_then_load_round_trips, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_codecache_other_key_misses, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_codecache_truncated_file_misses, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(test_codecache_missing_directory_is_ignored),
        cmocka_unit_test_setup_teardown(test_codecache_altered_byte_misses, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_codecache_other_target_misses, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_codecache_concurrent_writers, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_codecache_evicts_least_recently_used, setup_dir,
                                        teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
