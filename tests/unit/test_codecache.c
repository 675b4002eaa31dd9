/* Unit tests of lib/codecache.c: the on-disk object cache format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecache.h"

static char dir[] = "/tmp/wk_test_codecache_XXXXXX";
static const uint8_t key[CODECACHE_KEY_SIZE] = {1, 2, 3, 4, 5};

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
    codecache_store(dir, key, &e);
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
    assert_true(codecache_load(dir, key, &e));
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
    assert_false(codecache_load(dir, other, &e));
}

static void test_codecache_truncated_file_misses(void **state)
{
    (void)state;
    store_two_objects();
    char path[256];
    entry_path(path, sizeof path);
    assert_int_equal(truncate(path, 30), 0);
    CacheEntry e;
    assert_false(codecache_load(dir, key, &e));
}

/* Overwrites byte `at` of file `path` with `value`. */
static void poke(const char *path, long at, uint8_t value)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    assert_int_equal(fputc(value, f), value);
    assert_int_equal(fclose(f), 0);
}

/* Issue 13 item 4: a changed byte inside an object (an immediate, say) was loaded and run. The
 * keyed hash catches it: the entry misses and the module is recompiled. */
static void test_codecache_changed_object_byte_misses(void **state)
{
    (void)state;
    store_two_objects();
    char path[256];
    entry_path(path, sizeof path);
    /* magic 8, key 32, nonce 8, count 4, size 8: the first object's first byte (7). */
    poke(path, 60, 6);
    CacheEntry e;
    assert_false(codecache_load(dir, key, &e));
    poke(path, 60, 7); /* put back: intact again */
    assert_true(codecache_load(dir, key, &e));
    codecache_entry_free(&e);
}

static void test_codecache_entry_of_another_secret_misses(void **state)
{
    (void)state;
    store_two_objects();
    char secret[256];
    snprintf(secret, sizeof secret, "%s/.wkkey", dir);
    assert_true(access(secret, R_OK) == 0);
    /* Whoever lacks the directory's secret cannot make an entry that loads: here the secret
     * changes under an entry written with the old one. */
    poke(secret, 0, 0x5a);
    poke(secret, 1, 0xa5);
    CacheEntry e;
    assert_false(codecache_load(dir, key, &e));
}

static void test_codecache_missing_directory_is_ignored(void **state)
{
    (void)state;
    uint8_t *objs[1] = {(uint8_t *)"x"};
    size_t sizes[1] = {1};
    CacheEntry e = {.nonce = 1, .nobjs = 1, .objs = objs, .sizes = sizes};
    codecache_store("/nonexistent/wk/cache", key, &e);
    CacheEntry got;
    assert_false(codecache_load("/nonexistent/wk/cache", key, &got));
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
        cmocka_unit_test_setup_teardown(test_codecache_changed_object_byte_misses, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_codecache_entry_of_another_secret_misses,
                                        setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
