/* A module returning a string, for the Python examples: compiled to examples/hello.wasm with
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=return_string \
 *         -Wl,--export=sum -o hello.wasm hello.c */
const char *return_string(void)
{
    return "Hello, World!";
}

int sum(int x, int y)
{
    return x + y;
}
