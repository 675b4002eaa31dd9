/* Lazy-compilation stubs (x86-64 System V): 32 bytes each,
 *     endbr64; movabs $slot, %r11; movabs $wk_lazy_entry, %rax; jmp *%rax
 * and the shared entry, which saves the argument registers (rdi, rsi, rdx, rcx, r8, r9 and
 * xmm0-7 in full: v128 arguments), calls lazy_resolve(r11), restores them and jumps to the
 * returned code with the caller's stack untouched (stack arguments and the return address are
 * the callee's again). rax and r11 are free at a call boundary (no variadic Wasm functions). */
#include <string.h>
#include <sys/mman.h>

#include "lazy_stub.h"

#define STUB_SIZE 32

#if defined(__x86_64__) && defined(__linux__)

void wk_lazy_entry(void);

__asm__(".text\n"
        ".p2align 4\n"
        ".globl wk_lazy_entry\n"
        ".hidden wk_lazy_entry\n"
        ".type wk_lazy_entry, @function\n"
        "wk_lazy_entry:\n"
        "    endbr64\n"
        "    pushq %rbp\n"
        "    movq %rsp, %rbp\n"
        "    pushq %rdi\n"
        "    pushq %rsi\n"
        "    pushq %rdx\n"
        "    pushq %rcx\n"
        "    pushq %r8\n"
        "    pushq %r9\n"
        "    subq $128, %rsp\n" /* 16-aligned here: entry (8 mod 16) + 7 pushes + 128 */
        "    movdqu %xmm0, 0(%rsp)\n"
        "    movdqu %xmm1, 16(%rsp)\n"
        "    movdqu %xmm2, 32(%rsp)\n"
        "    movdqu %xmm3, 48(%rsp)\n"
        "    movdqu %xmm4, 64(%rsp)\n"
        "    movdqu %xmm5, 80(%rsp)\n"
        "    movdqu %xmm6, 96(%rsp)\n"
        "    movdqu %xmm7, 112(%rsp)\n"
        "    movq %r11, %rdi\n"
        "    call lazy_resolve\n"
        "    movdqu 0(%rsp), %xmm0\n"
        "    movdqu 16(%rsp), %xmm1\n"
        "    movdqu 32(%rsp), %xmm2\n"
        "    movdqu 48(%rsp), %xmm3\n"
        "    movdqu 64(%rsp), %xmm4\n"
        "    movdqu 80(%rsp), %xmm5\n"
        "    movdqu 96(%rsp), %xmm6\n"
        "    movdqu 112(%rsp), %xmm7\n"
        "    addq $128, %rsp\n"
        "    popq %r9\n"
        "    popq %r8\n"
        "    popq %rcx\n"
        "    popq %rdx\n"
        "    popq %rsi\n"
        "    popq %rdi\n"
        "    popq %rbp\n"
        "    jmp *%rax\n"
        ".size wk_lazy_entry, .-wk_lazy_entry\n");

bool lazy_stub_supported(void)
{
    return true;
}

static void write_stub(uint8_t *p, const void *slot)
{
    static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
    uint64_t s = (uint64_t)(uintptr_t)slot, entry = (uint64_t)(uintptr_t)&wk_lazy_entry;
    memset(p, 0xcc, STUB_SIZE); /* int3 padding */
    memcpy(p, endbr64, 4);
    p[4] = 0x49, p[5] = 0xbb; /* movabs imm64, %r11 */
    memcpy(p + 6, &s, 8);
    p[14] = 0x48, p[15] = 0xb8; /* movabs imm64, %rax */
    memcpy(p + 16, &entry, 8);
    p[24] = 0xff, p[25] = 0xe0; /* jmp *%rax */
}

void *lazy_stub_alloc(void *const *slots, uint32_t n, size_t *size)
{
    size_t page = 4096, bytes = ((size_t)n * STUB_SIZE + page - 1) / page * page;
    if (!bytes) bytes = page;
    uint8_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return NULL;
    for (uint32_t i = 0; i < n; i++) write_stub(mem + (size_t)i * STUB_SIZE, slots[i]);
    if (mprotect(mem, bytes, PROT_READ | PROT_EXEC) != 0) {
        munmap(mem, bytes);
        return NULL;
    }
    *size = bytes;
    return mem;
}

#else

bool lazy_stub_supported(void)
{
    return false;
}

void *lazy_stub_alloc(void *const *slots, uint32_t n, size_t *size)
{
    (void)slots, (void)n, (void)size;
    return NULL;
}

#endif

void *lazy_stub_at(void *mem, uint32_t i)
{
    return (uint8_t *)mem + (size_t)i * STUB_SIZE;
}

void lazy_stub_free(void *mem, size_t size)
{
    if (mem) munmap(mem, size);
}
