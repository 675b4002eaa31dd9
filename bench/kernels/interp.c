/* A bytecode interpreter (switch dispatch, stack machine, branchy): runs a small program that
 * sums a hash over a counted loop of n * 10,000 iterations. */
#include "kernel.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, SHR, AND, DUP, DROP, JNZ, JMP, LT, HALT };

static i32 code[128];
static u32 code_len;

static u32 emit(i32 op)
{
    code[code_len] = op;
    return code_len++;
}

static void emit2(i32 op, i32 arg)
{
    emit(op);
    emit(arg);
}

/* The program, locals 0 = i, 1 = acc, 2 = limit:
 *   i = 0; acc = 0;
 *   while (i < limit) { acc = (acc ^ (i * 2654435761)) + (acc >> 7); if (i & 3) acc -= 1; i++; }
 *   return acc; */
static void assemble(void)
{
    code_len = 0;
    emit2(PUSH, 0), emit2(STORE, 0), emit2(PUSH, 0), emit2(STORE, 1);
    u32 head = code_len;
    emit2(LOAD, 0), emit2(LOAD, 2), emit(LT);
    emit(JNZ);
    u32 to_body = emit(0);
    emit(JMP);
    u32 to_exit = emit(0);
    code[to_body] = (i32)code_len;
    emit2(LOAD, 1), emit2(LOAD, 0), emit2(PUSH, (i32)2654435761u), emit(MUL), emit(XOR);
    emit2(LOAD, 1), emit2(PUSH, 7), emit(SHR), emit(ADD), emit2(STORE, 1);
    emit2(LOAD, 0), emit2(PUSH, 3), emit(AND);
    emit(JNZ);
    u32 to_dec = emit(0);
    emit(JMP);
    u32 to_inc = emit(0);
    code[to_dec] = (i32)code_len;
    emit2(LOAD, 1), emit2(PUSH, 1), emit(SUB), emit2(STORE, 1);
    code[to_inc] = (i32)code_len;
    emit2(LOAD, 0), emit2(PUSH, 1), emit(ADD), emit2(STORE, 0);
    emit2(JMP, (i32)head);
    code[to_exit] = (i32)code_len;
    emit2(LOAD, 1), emit(HALT);
}

static u32 execute(u32 limit)
{
    i32 stack[64];
    i32 locals[4] = {0, 0, (i32)limit, 0};
    u32 sp = 0, pc = 0;
    for (;;) {
        i32 op = code[pc++];
        switch (op) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = locals[code[pc++]]; break;
        case STORE: locals[code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] + (u32)stack[sp]); break;
        case SUB: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] - (u32)stack[sp]); break;
        case MUL: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] * (u32)stack[sp]); break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] >> (stack[sp] & 31)); break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case JNZ: { i32 t = code[pc++]; if (stack[--sp]) pc = (u32)t; break; }
        case JMP: pc = (u32)code[pc]; break;
        case LT: sp--; stack[sp - 1] = (u32)stack[sp - 1] < (u32)stack[sp]; break;
        case HALT: return (u32)stack[sp - 1];
        default: return 0;
        }
    }
}

u32 run(u32 n)
{
    assemble();
    u32 h = 2166136261u;
    for (u32 r = 0; r < n; r++)
        h = mix32(h, execute(10000u + r));
    return h;
}
