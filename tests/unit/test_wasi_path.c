/* Unit tests for lib/wasi_path.c: the sandbox. Paths resolve beneath a directory; `..` past
 * it, absolute paths, symlinks leading out (absolute or relative) are refused with EPERM,
 * symlink loops with ELOOP, and renaming directories while resolving never lets a walk out. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "wasi.h"

typedef struct Sandbox {
    char top[64];  /* the temporary directory holding root and outside */
    char root[96]; /* the preopened directory */
    WasiFd dir;
} Sandbox;

static void make(const Sandbox *s, const char *rel, bool is_dir)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", s->top, rel);
    if (is_dir) assert_int_equal(mkdir(p, 0755), 0);
    else close(open(p, O_CREAT | O_WRONLY, 0644));
}

static void link_to(const Sandbox *s, const char *target, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", s->top, rel);
    assert_int_equal(symlink(target, p), 0);
}

/* top/root/{a/b/c/, file, in -> a/b, out_abs -> /etc, out_rel -> ../outside, loop -> loop}
 * and top/outside/secret. */
static int setup_sandbox(void **state)
{
    Sandbox *s = calloc(1, sizeof *s);
    strcpy(s->top, "/tmp/wk-sandbox-XXXXXX");
    assert_non_null(mkdtemp(s->top));
    snprintf(s->root, sizeof s->root, "%s/root", s->top);
    make(s, "root", true);
    make(s, "root/a", true);
    make(s, "root/a/b", true);
    make(s, "root/a/b/c", true);
    make(s, "root/file", false);
    make(s, "outside", true);
    make(s, "outside/secret", false);
    link_to(s, "a/b", "root/in");
    link_to(s, "/etc", "root/out_abs");
    link_to(s, "../outside", "root/out_rel");
    link_to(s, "../../outside/secret", "root/a/sneaky");
    link_to(s, "loop", "root/loop");
    s->dir = (WasiFd){.kind = FD_HOST, .host = open(s->root, O_RDONLY | O_DIRECTORY),
                      .filetype = WASI_FT_DIR};
    assert_true(s->dir.host >= 0);
    *state = s;
    return 0;
}

static int teardown_sandbox(void **state)
{
    Sandbox *s = *state;
    close(s->dir.host);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->top);
    assert_int_equal(system(cmd), 0);
    free(s);
    return 0;
}

/* Resolves path; on success checks that the parent is beneath root (same device and inode
 * as some directory under it is not portable, so: the parent's inode is not outside's). */
static uint32_t resolve(Sandbox *s, const char *path, bool follow, char **name, ino_t *parent)
{
    int fd = -1;
    *name = NULL;
    uint32_t err = wasi_path_resolve(&s->dir, path, follow, &fd, name);
    if (err) return err;
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    *parent = st.st_ino;
    close(fd);
    return WASI_ESUCCESS;
}

static ino_t ino_of(const Sandbox *s, const char *rel)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", s->top, rel);
    assert_int_equal(lstat(p, &st), 0);
    return st.st_ino;
}

static void test_wasi_path_plain_resolves_to_parent_and_name(void **state)
{
    Sandbox *s = *state;
    char *name;
    ino_t parent;
    assert_int_equal(resolve(s, "a/b/c", false, &name, &parent), WASI_ESUCCESS);
    assert_string_equal(name, "c");
    assert_int_equal(parent, ino_of(s, "root/a/b"));
    free(name);
    assert_int_equal(resolve(s, "a//b/./c/", false, &name, &parent), WASI_ESUCCESS);
    assert_string_equal(name, "c/");
    free(name);
}

static void test_wasi_path_dotdot_inside_is_allowed(void **state)
{
    Sandbox *s = *state;
    char *name;
    ino_t parent;
    assert_int_equal(resolve(s, "a/b/../../file", false, &name, &parent), WASI_ESUCCESS);
    assert_string_equal(name, "file");
    assert_int_equal(parent, ino_of(s, "root"));
    free(name);
    assert_int_equal(resolve(s, "a/..", false, &name, &parent), WASI_ESUCCESS);
    assert_string_equal(name, ".");
    free(name);
}

static void test_wasi_path_escapes_are_eperm(void **state)
{
    Sandbox *s = *state;
    static const char *const escapes[] = {
        "..", "../outside/secret", "a/../..", "a/b/c/../../../../outside", "/etc/passwd",
        "/", "out_abs", "out_abs/passwd", "out_rel/secret", "a/sneaky", "in/../../../x",
    };
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        char *name;
        ino_t parent;
        uint32_t err = resolve(s, escapes[i], true, &name, &parent);
        if (err != WASI_EPERM) fail_msg("'%s' gave errno %u, not EPERM", escapes[i], err);
    }
}

static void test_wasi_path_symlink_inside_is_followed(void **state)
{
    Sandbox *s = *state;
    char *name;
    ino_t parent;
    assert_int_equal(resolve(s, "in/c", false, &name, &parent), WASI_ESUCCESS);
    assert_int_equal(parent, ino_of(s, "root/a/b"));
    free(name);
    /* Not followed at the end without follow: the link itself. */
    assert_int_equal(resolve(s, "out_abs", false, &name, &parent), WASI_ESUCCESS);
    assert_string_equal(name, "out_abs");
    free(name);
}

static void test_wasi_path_symlink_loop_is_eloop(void **state)
{
    Sandbox *s = *state;
    char *name;
    ino_t parent;
    assert_int_equal(resolve(s, "loop", true, &name, &parent), WASI_ELOOP);
    assert_int_equal(resolve(s, "loop/x", false, &name, &parent), WASI_ELOOP);
}

static void test_wasi_path_missing_and_notdir(void **state)
{
    Sandbox *s = *state;
    char *name;
    ino_t parent;
    assert_int_equal(resolve(s, "nope/x", false, &name, &parent), WASI_ENOENT);
    assert_int_equal(resolve(s, "file/x", false, &name, &parent), WASI_ENOTDIR);
    assert_int_equal(resolve(s, "", false, &name, &parent), WASI_ENOENT);
}

typedef struct Race {
    Sandbox *s;
    volatile bool stop;
} Race;

/* Moves root/a/b to root/b2 and back as fast as it can. */
static void *renamer(void *arg)
{
    Race *r = arg;
    char from[256], to[256];
    snprintf(from, sizeof from, "%s/a/b", r->s->root);
    snprintf(to, sizeof to, "%s/b2", r->s->root);
    while (!r->stop) {
        if (rename(from, to) == 0) rename(to, from);
    }
    return NULL;
}

static void test_wasi_path_rename_race_never_escapes(void **state)
{
    Sandbox *s = *state;
    Race r = {s, false};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, renamer, &r), 0);
    ino_t outside = ino_of(s, "outside"), top = ino_of(s, "");
    for (int i = 0; i < 3000; i++) {
        char *name;
        ino_t parent;
        uint32_t err = resolve(s, "a/b/c/../../../../outside/secret", false, &name, &parent);
        assert_int_not_equal(err, WASI_ESUCCESS);
        err = resolve(s, "a/b/c/../../..", false, &name, &parent);
        if (err == WASI_ESUCCESS) {
            assert_int_not_equal(parent, outside);
            assert_int_not_equal(parent, top);
            free(name);
        }
    }
    r.stop = true;
    pthread_join(t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wasi_path_plain_resolves_to_parent_and_name),
        cmocka_unit_test(test_wasi_path_dotdot_inside_is_allowed),
        cmocka_unit_test(test_wasi_path_escapes_are_eperm),
        cmocka_unit_test(test_wasi_path_symlink_inside_is_followed),
        cmocka_unit_test(test_wasi_path_symlink_loop_is_eloop),
        cmocka_unit_test(test_wasi_path_missing_and_notdir),
        cmocka_unit_test(test_wasi_path_rename_race_never_escapes),
    };
    return cmocka_run_group_tests(tests, setup_sandbox, teardown_sandbox);
}
