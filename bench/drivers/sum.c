/* sum(x, y): the seed example, built both as Wasm and as a native shared library so the
 * Python call-overhead figure compares like with like. */
int sum(int x, int y);

int sum(int x, int y)
{
    return x + y;
}
