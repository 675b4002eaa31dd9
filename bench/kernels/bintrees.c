/* Pointer chasing: build and walk complete binary trees of depth 16 from a bump allocator
 * (reset after each tree), n trees; each node holds a value derived from its position. */
#include "kernel.h"

#define DEPTH 16
#define NODES ((1u << (DEPTH + 1)) - 1)

typedef struct Node {
    struct Node *left, *right;
    u32 value;
} Node;

static Node heap[NODES];
static u32 used;

static Node *bump(void)
{
    return &heap[used++];
}

static Node *build(u32 depth, u32 value)
{
    Node *n = bump();
    n->value = value;
    if (depth == 0) {
        n->left = n->right = 0;
    } else {
        n->left = build(depth - 1, value * 2 + 1);
        n->right = build(depth - 1, value * 2 + 2);
    }
    return n;
}

static u32 walk(const Node *n)
{
    u32 s = n->value;
    if (n->left)
        s = s * 31u + walk(n->left) - walk(n->right);
    return s;
}

u32 run(u32 n)
{
    u32 h = 2166136261u;
    for (u32 r = 0; r < n; r++) {
        used = 0;
        Node *root = build(DEPTH, r);
        h = mix32(h, walk(root));
        h = mix32(h, used);
    }
    return h;
}
