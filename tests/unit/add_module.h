/* Shared by the engine and tier-up unit tests: a small module (add, a table, fib) and helpers
 * for a temporary cache directory. Include after cmocka.h. */
#ifndef WK_TEST_ADD_MODULE_H
#define WK_TEST_ADD_MODULE_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* add.wat:
 * (module
 *   (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
 *   (table (export "tab") 1 funcref)
 *   (elem (i32.const 0) $add)
 *   (func (export "fib") (param i32) (result i32)
 *     (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
 *       (then (local.get 0))
 *       (else (i32.add (call 1 (i32.sub (local.get 0) (i32.const 1)))
 *                      (call 1 (i32.sub (local.get 0) (i32.const 2))))))))
 */
static const uint8_t add_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x04, 0x04, 0x01, 0x70, 0x00,
    0x01, 0x07, 0x13, 0x03, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x03, 0x74, 0x61, 0x62, 0x01, 0x00,
    0x03, 0x66, 0x69, 0x62, 0x00, 0x01, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a,
    0x26, 0x02, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x1c, 0x00, 0x20, 0x00, 0x41, 0x02,
    0x49, 0x04, 0x7f, 0x20, 0x00, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x01, 0x20, 0x00, 0x41,
    0x02, 0x6b, 0x10, 0x01, 0x6a, 0x0b, 0x0b,
};

/* The number of entries of dir (not counting dot files). */
static inline size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Empties and removes dir. */
static inline void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.') unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
}

#endif
