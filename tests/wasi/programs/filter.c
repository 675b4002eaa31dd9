/* WASI test program: reads stdin, writes each line upper-cased and numbered to stdout, then a
 * count of lines and bytes to stderr. */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    char line[4096];
    long n = 0, bytes = 0;
    while (fgets(line, sizeof line, stdin)) {
        n++;
        for (char *p = line; *p; p++, bytes++) *p = (char)toupper((unsigned char)*p);
        printf("%ld: %s", n, line);
    }
    fprintf(stderr, "%ld lines, %ld bytes\n", n, bytes);
    return 0;
}
