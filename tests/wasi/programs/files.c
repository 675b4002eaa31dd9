/* WASI test program: file I/O in a preopened directory given as argv[1] (the guest sees
 * /data, the native build the host directory). Reads input.txt, writes a summary to
 * out/summary.txt (creating out/), renames it, lists the directory sorted, removes a file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: files DIR\n");
        return 2;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/input.txt", argv[1]);
    FILE *in = fopen(path, "r");
    if (!in) {
        perror("input.txt");
        return 1;
    }
    long lines = 0, bytes = 0, words = 0;
    int c, inword = 0;
    while ((c = fgetc(in)) != EOF) {
        bytes++;
        if (c == '\n') lines++;
        if (c == ' ' || c == '\n' || c == '\t') inword = 0;
        else if (!inword) inword = 1, words++;
    }
    fclose(in);
    snprintf(path, sizeof path, "%s/out", argv[1]);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) perror("mkdir");
    snprintf(path, sizeof path, "%s/out/summary.tmp", argv[1]);
    FILE *out = fopen(path, "w");
    if (!out) {
        perror("summary.tmp");
        return 1;
    }
    fprintf(out, "%ld lines, %ld words, %ld bytes\n", lines, words, bytes);
    fclose(out);
    char final[512];
    snprintf(final, sizeof final, "%s/out/summary.txt", argv[1]);
    if (rename(path, final) != 0) perror("rename");
    snprintf(path, sizeof path, "%s/scratch.txt", argv[1]);
    out = fopen(path, "w");
    if (!out) {
        perror("scratch.txt");
        return 1;
    }
    fputs("temporary\n", out);
    fclose(out);
    struct stat st;
    stat(path, &st);
    printf("scratch size %ld\n", (long)st.st_size);
    if (unlink(path) != 0) perror("unlink");
    printf("scratch exists after unlink: %s\n", access(path, F_OK) == 0 ? "yes" : "no");
    DIR *d = opendir(argv[1]);
    char *names[64];
    int n = 0;
    for (struct dirent *e; d && n < 64 && (e = readdir(d));)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    for (int i = 0; i < n; i++) {
        printf("entry %s\n", names[i]);
        free(names[i]);
    }
    in = fopen(final, "r");
    char line[128];
    if (in && fgets(line, sizeof line, in)) printf("summary: %s", line);
    if (in) fclose(in);
    return 0;
}
