/* WASI test program: tries to leave the preopened directory (fd 3) with raw WASI calls and
 * prints the errno of each attempt; every one must be refused. argv[1] names a symlink in the
 * directory that points outside (made by the test). */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int attempt(const char *what, const char *path, __wasi_lookupflags_t follow)
{
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, follow, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    printf("%s %s: %s (errno %d)\n", what, path, e ? "refused" : "OPENED", e);
    return e == 0;
}

int main(int argc, char **argv)
{
    int escaped = 0;
    escaped += attempt("dotdot", "../secret.txt", 0);
    escaped += attempt("dotdot-deep", "sub/../../secret.txt", 0);
    escaped += attempt("absolute", "/etc/passwd", 0);
    if (argc > 1) {
        char p[256];
        escaped += attempt("symlink", argv[1], __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        snprintf(p, sizeof p, "%s/secret.txt", argv[1]);
        escaped += attempt("symlink-dir", p, 0);
    }
    __wasi_filestat_t st;
    __wasi_errno_t e = __wasi_path_filestat_get(3, 0, "..", &st);
    printf("stat ..: %s (errno %d)\n", e ? "refused" : "ALLOWED", e);
    escaped += e == 0;
    e = __wasi_path_rename(3, "sub", 3, "../moved");
    printf("rename out: %s (errno %d)\n", e ? "refused" : "ALLOWED", e);
    escaped += e == 0;
    e = __wasi_path_symlink("/etc/passwd", 3, "abs-link");
    printf("absolute symlink: %s (errno %d)\n", e ? "refused" : "ALLOWED", e);
    printf("%s\n", escaped ? "ESCAPED" : "all refused");
    return escaped ? 1 : 0;
}
