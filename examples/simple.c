/* The toy module of the Python example: compiled to examples/simple.wasm with
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=sum -o simple.wasm simple.c
 * (not a host program: examples/CMakeLists.txt leaves it out). */
int sum(int x, int y)
{
    return x + y;
}
