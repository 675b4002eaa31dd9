/* A module calling an imported function, for the Python examples: compiled to
 * examples/callback.wasm with
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=run -o callback.wasm \
 *         callback.c */
__attribute__((import_module("env"), import_name("log"))) void log_number(int x);

/* Logs the squares of 0 .. n-1 through the import; returns n. */
int run(int n)
{
    for (int i = 0; i < n; i++)
        log_number(i * i);
    return n;
}
