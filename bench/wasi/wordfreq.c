/* WASI benchmark program: counts the words of stdin in a hash table (open addressing) and
 * prints the 10 most frequent with their counts, then the number of distinct words. Built for
 * wasm32-wasi and natively from this one source by bench/wasi/run. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 1 << 20, MAXW = 64 };

typedef struct {
    char *word;
    long count;
} Slot;

static Slot table[SLOTS];

static unsigned long hash(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211UL;
    return h;
}

static void add(const char *w)
{
    for (unsigned long i = hash(w) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        if (!table[i].word) {
            table[i].word = strdup(w);
            table[i].count = 1;
            return;
        }
        if (!strcmp(table[i].word, w)) {
            table[i].count++;
            return;
        }
    }
}

static int by_count(const void *a, const void *b)
{
    const Slot *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

int main(void)
{
    static char buf[1 << 16];
    char w[MAXW];
    int n = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = 0; i < got; i++) {
            int c = (unsigned char)buf[i];
            if (isalpha(c) && n < MAXW - 1) {
                w[n++] = (char)tolower(c);
            } else if (n) {
                w[n] = 0;
                add(w);
                n = 0;
            }
        }
    }
    if (n) {
        w[n] = 0;
        add(w);
    }
    long distinct = 0;
    for (long i = 0; i < SLOTS; i++)
        if (table[i].word) table[distinct++] = table[i];
    qsort(table, (size_t)distinct, sizeof *table, by_count);
    for (long i = 0; i < 10 && i < distinct; i++) printf("%7ld %s\n", table[i].count, table[i].word);
    printf("%ld distinct words\n", distinct);
    return 0;
}
