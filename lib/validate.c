/* Validation (spec chapter 3) with the appendix's algorithm: an operand stack whose entries
 * may be Unknown, a control stack, and unreachable code handling. Module-level rules too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instr.h"
#include "validate.h"

#define T_UNKNOWN 0

/* One-element type lists for value block types: &one_type[t] is the list [t]. */
static const ValType one_type[256] = {
    [WK_I32] = WK_I32, [WK_I64] = WK_I64, [WK_F32] = WK_F32, [WK_F64] = WK_F64,
    [WK_V128] = WK_V128, [WK_FUNCREF] = WK_FUNCREF, [WK_EXTERNREF] = WK_EXTERNREF,
};

typedef struct Ctrl {
    Opcode op; /* Block, Loop, If, Else; Block for the function body itself */
    bool unreachable;
    uint32_t height; /* operand stack height at entry */
    uint32_t nparams, nresults;
    const ValType *params, *results;
} Ctrl;

typedef struct Validator {
    Module *m; /* validation records facts in it (Func.max_depth, ConstExpr.value, ...) */
    ValType *vals;
    uint32_t nvals, vals_cap;
    Ctrl *ctrls;
    uint32_t nctrls, ctrls_cap;
    ValType *locals; /* params then declared locals of the current function */
    uint32_t nlocals;
    uint8_t *refs; /* C.refs: one byte per function, set when declared (spec 3.4.10) */
    bool in_const; /* checking a constant expression */
    size_t at; /* offset of the instruction being checked, for errors */
} Validator;

static wk_error_t *invalid_at(size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static wk_error_t *invalid_at(size_t offset, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_new(WK_ERROR_INVALID, offset, "%s", msg);
}

#define FAIL(v, ...) return invalid_at((v)->at, __VA_ARGS__)
#define MISMATCH(v) FAIL(v, "type mismatch")

static wk_error_t *oom(void)
{
    return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
}

static bool is_ref(ValType t)
{
    return t == WK_FUNCREF || t == WK_EXTERNREF;
}

/* ---- Operand and control stacks (spec appendix, validation algorithm) ----------------- */

static wk_error_t *push(Validator *v, ValType t)
{
    if (v->nvals == v->vals_cap) {
        uint32_t cap = v->vals_cap ? v->vals_cap * 2 : 256;
        ValType *p = realloc(v->vals, cap);
        if (!p) return oom();
        v->vals = p;
        v->vals_cap = cap;
    }
    v->vals[v->nvals++] = t;
    return NULL;
}

static wk_error_t *push_list(Validator *v, const ValType *ts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) TRY(push(v, ts[i]));
    return NULL;
}

/* Pops one operand into *out (Unknown below an unreachable frame's base). */
static wk_error_t *pop_any(Validator *v, ValType *out)
{
    const Ctrl *c = &v->ctrls[v->nctrls - 1];
    if (v->nvals == c->height) {
        if (!c->unreachable) MISMATCH(v);
        *out = T_UNKNOWN;
        return NULL;
    }
    *out = v->vals[--v->nvals];
    return NULL;
}

static wk_error_t *pop_expect(Validator *v, ValType expect)
{
    ValType t = 0;
    TRY(pop_any(v, &t));
    if (t != expect && t != T_UNKNOWN && expect != T_UNKNOWN) MISMATCH(v);
    return NULL;
}

static wk_error_t *pop_list(Validator *v, const ValType *ts, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;) TRY(pop_expect(v, ts[i]));
    return NULL;
}

static wk_error_t *push_ctrl(Validator *v, Opcode op, const ValType *params, uint32_t np,
                             const ValType *results, uint32_t nr)
{
    if (v->nctrls == v->ctrls_cap) {
        uint32_t cap = v->ctrls_cap ? v->ctrls_cap * 2 : 32;
        Ctrl *p = realloc(v->ctrls, cap * sizeof *p);
        if (!p) return oom();
        v->ctrls = p;
        v->ctrls_cap = cap;
    }
    v->ctrls[v->nctrls++] = (Ctrl){op, false, v->nvals, np, nr, params, results};
    return push_list(v, params, np);
}

/* Pops the innermost frame, checking the stack holds exactly its results; *out gets it. */
static wk_error_t *pop_ctrl(Validator *v, Ctrl *out)
{
    const Ctrl *c = &v->ctrls[v->nctrls - 1];
    TRY(pop_list(v, c->results, c->nresults));
    if (v->nvals != c->height) MISMATCH(v);
    *out = *c;
    v->nctrls--;
    return NULL;
}

static void set_unreachable(Validator *v)
{
    Ctrl *c = &v->ctrls[v->nctrls - 1];
    v->nvals = c->height;
    c->unreachable = true;
}

/* The types a branch to frame c carries: a loop's params, otherwise its results. */
static const ValType *label_types(const Ctrl *c, uint32_t *n)
{
    *n = c->op == OP_Loop ? c->nparams : c->nresults;
    return c->op == OP_Loop ? c->params : c->results;
}

static wk_error_t *label(Validator *v, uint32_t depth, const Ctrl **out)
{
    if (depth >= v->nctrls) FAIL(v, "unknown label %u", depth);
    *out = &v->ctrls[v->nctrls - 1 - depth];
    return NULL;
}

/* ---- Index spaces ------------------------------------------------------------------- */

static wk_error_t *check_func(Validator *v, uint32_t idx)
{
    if (idx >= module_func_count(v->m)) FAIL(v, "unknown function %u", idx);
    return NULL;
}

static wk_error_t *check_table(Validator *v, uint32_t idx)
{
    if (idx >= module_table_count(v->m)) FAIL(v, "unknown table %u", idx);
    return NULL;
}

static wk_error_t *check_memory(Validator *v, uint32_t idx)
{
    if (idx >= module_memory_count(v->m)) FAIL(v, "unknown memory %u", idx);
    return NULL;
}

static wk_error_t *check_type(Validator *v, uint32_t idx)
{
    if (idx >= v->m->ntypes) FAIL(v, "unknown type %u", idx);
    return NULL;
}

static wk_error_t *check_elem(Validator *v, uint32_t idx)
{
    if (idx >= v->m->nelems) FAIL(v, "unknown elem segment %u", idx);
    return NULL;
}

static wk_error_t *check_data(Validator *v, uint32_t idx)
{
    if (!v->m->has_datacount || idx >= v->m->datacount) FAIL(v, "unknown data segment %u", idx);
    return NULL;
}

static wk_error_t *check_global(Validator *v, uint32_t idx)
{
    if (idx >= module_global_count(v->m)) FAIL(v, "unknown global %u", idx);
    return NULL;
}

/* ---- Immediates of simple instructions ------------------------------------------------ */

/* log2 of the bytes a load or store accesses (its natural alignment). */
static uint32_t natural_align(Opcode op)
{
    uint32_t log2 = 0;
    while ((1u << log2) < op_info[op].width) log2++;
    return log2;
}

/* Lanes of the shape a lane instruction addresses. */
static uint32_t lane_count(Opcode op)
{
    return 16 / op_info[op].width;
}

static wk_error_t *check_memarg(Validator *v, const Instr *in)
{
    TRY(check_memory(v, in->imm.memarg.memory));
    if (in->imm.memarg.align > natural_align(in->op))
        FAIL(v, "alignment must not be larger than natural");
    return NULL;
}

static wk_error_t *check_lane(Validator *v, uint8_t lane, uint32_t count)
{
    if (lane >= count) FAIL(v, "invalid lane index");
    return NULL;
}

/* Checks the immediates of an instruction typed by its Sig (opcodes.def). */
static wk_error_t *check_simple_imm(Validator *v, const Instr *in)
{
    switch (op_info[in->op].imm) {
    case IMM_MEMARG: return check_memarg(v, in);
    case IMM_MEMARG_LANE:
        TRY(check_memarg(v, in));
        return check_lane(v, in->imm.memarg.lane, lane_count(in->op));
    case IMM_MEMIDX: case IMM_MEM_MEM: return check_memory(v, 0);
    case IMM_DATA_MEM:
        TRY(check_memory(v, 0));
        return check_data(v, in->imm.pair.a);
    case IMM_DATA: return check_data(v, in->imm.index);
    case IMM_LANE: return check_lane(v, in->imm.lane, lane_count(in->op));
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++) TRY(check_lane(v, in->imm.shuffle[i], 32));
        return NULL;
    default: return NULL;
    }
}

static wk_error_t *check_simple(Validator *v, const Instr *in)
{
    TRY(check_simple_imm(v, in));
    const Sig *s = &sig_table[op_info[in->op].sig];
    TRY(pop_list(v, s->params, s->nparams));
    return s->nresults ? push(v, s->result) : NULL;
}

/* ---- Control instructions --------------------------------------------------------------- */

static wk_error_t *block_sig(Validator *v, const Instr *in, const ValType **params,
                             uint32_t *np, const ValType **results, uint32_t *nr)
{
    *np = *nr = 0;
    *params = *results = NULL;
    switch (in->imm.block.kind) {
    case BLOCK_EMPTY: return NULL;
    case BLOCK_VALUE:
        *results = &one_type[in->imm.block.type];
        *nr = 1;
        return NULL;
    default: {
        TRY(check_type(v, in->imm.block.index));
        const FuncType *ft = &v->m->types[in->imm.block.index];
        *params = ft->types;
        *np = ft->nparams;
        *results = ft->types + ft->nparams;
        *nr = ft->nresults;
        return NULL;
    }
    }
}

/* Opens the frame of block, loop or if (it records which: a loop's label carries its params);
 * `cond`: an i32 condition is popped first. */
static wk_error_t *open_frame(Validator *v, const Instr *in, bool cond)
{
    const ValType *params, *results;
    uint32_t np, nr;
    TRY(block_sig(v, in, &params, &np, &results, &nr));
    if (cond) TRY(pop_expect(v, WK_I32));
    TRY(pop_list(v, params, np));
    return push_ctrl(v, in->op, params, np, results, nr);
}

static wk_error_t *check_block(Validator *v, const Instr *in)
{
    return open_frame(v, in, false);
}

static wk_error_t *check_if(Validator *v, const Instr *in)
{
    return open_frame(v, in, true);
}

static wk_error_t *check_else(Validator *v)
{
    Ctrl c;
    if (v->ctrls[v->nctrls - 1].op != OP_If) MISMATCH(v);
    TRY(pop_ctrl(v, &c));
    return push_ctrl(v, OP_Else, c.params, c.nparams, c.results, c.nresults);
}

static bool same_types(const ValType *a, uint32_t na, const ValType *b, uint32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static wk_error_t *check_end(Validator *v)
{
    Ctrl c;
    TRY(pop_ctrl(v, &c));
    /* An `if` without `else` has an implicit empty else: params must equal results. */
    if (c.op == OP_If && !same_types(c.params, c.nparams, c.results, c.nresults)) MISMATCH(v);
    if (v->nctrls == 0) return NULL;
    return push_list(v, c.results, c.nresults);
}

static wk_error_t *check_unreachable(Validator *v)
{
    set_unreachable(v);
    return NULL;
}

/* The label types of branch target `depth`, into *ts / *n. */
static wk_error_t *branch_types(Validator *v, uint32_t depth, const ValType **ts, uint32_t *n)
{
    const Ctrl *c = NULL;
    TRY(label(v, depth, &c));
    *ts = label_types(c, n);
    return NULL;
}

static wk_error_t *check_br(Validator *v, const Instr *in)
{
    const ValType *ts;
    uint32_t n;
    TRY(branch_types(v, in->imm.index, &ts, &n));
    TRY(pop_list(v, ts, n));
    set_unreachable(v);
    return NULL;
}

static wk_error_t *check_br_if(Validator *v, const Instr *in)
{
    const ValType *ts;
    uint32_t n;
    TRY(branch_types(v, in->imm.index, &ts, &n));
    TRY(pop_expect(v, WK_I32));
    TRY(pop_list(v, ts, n));
    return push_list(v, ts, n);
}

/* Pops values of types ts and pushes back what was popped (for br_table's labels). */
static wk_error_t *check_label_operands(Validator *v, const ValType *ts, uint32_t n)
{
    ValType popped[1024]; /* arities are at most 1000 (decode.c), so this never allocates */
    ValType *buf = n <= sizeof popped ? popped : malloc(n);
    if (!buf) return oom();
    wk_error_t *err = NULL;
    for (uint32_t i = n; i-- > 0 && !err;) {
        err = pop_any(v, &buf[i]);
        if (!err && buf[i] != ts[i] && buf[i] != T_UNKNOWN)
            err = invalid_at(v->at, "type mismatch");
    }
    if (!err) err = push_list(v, buf, n);
    if (buf != popped) free(buf);
    return err;
}

static wk_error_t *check_br_table(Validator *v, const Instr *in)
{
    const ValType *dts, *ts, *checked = NULL;
    uint32_t arity, n;
    TRY(pop_expect(v, WK_I32));
    TRY(branch_types(v, in->imm.br_table.default_label, &dts, &arity));
    Reader r = {v->m->bytes, in->imm.br_table.targets_offset, v->m->size};
    for (uint32_t i = 0; i < in->imm.br_table.count; i++) {
        uint32_t depth;
        TRY(reader_u32(&r, &depth));
        TRY(branch_types(v, depth, &ts, &n));
        if (n != arity) MISMATCH(v);
        /* Checking the same type list again cannot fail: keep hostile tables linear. */
        if (ts == checked) continue;
        TRY(check_label_operands(v, ts, n));
        checked = ts;
    }
    TRY(pop_list(v, dts, arity));
    set_unreachable(v);
    return NULL;
}

static wk_error_t *check_return(Validator *v)
{
    const Ctrl *fn = &v->ctrls[0];
    TRY(pop_list(v, fn->results, fn->nresults));
    set_unreachable(v);
    return NULL;
}

static wk_error_t *call_type(Validator *v, const FuncType *ft)
{
    TRY(pop_list(v, ft->types, ft->nparams));
    return push_list(v, ft->types + ft->nparams, ft->nresults);
}

static wk_error_t *check_call(Validator *v, const Instr *in)
{
    TRY(check_func(v, in->imm.index));
    return call_type(v, module_func_type(v->m, in->imm.index));
}

static wk_error_t *check_call_indirect(Validator *v, const Instr *in)
{
    TRY(check_table(v, in->imm.pair.b));
    if (module_table_type(v->m, in->imm.pair.b).elem != WK_FUNCREF) MISMATCH(v);
    TRY(check_type(v, in->imm.pair.a));
    TRY(pop_expect(v, WK_I32));
    return call_type(v, &v->m->types[in->imm.pair.a]);
}

/* ---- Parametric, variable, reference, table instructions -------------------------------- */

static wk_error_t *check_drop(Validator *v)
{
    ValType t = 0;
    return pop_any(v, &t);
}

static wk_error_t *check_select(Validator *v)
{
    ValType t1 = 0, t2 = 0;
    TRY(pop_expect(v, WK_I32));
    TRY(pop_any(v, &t1));
    TRY(pop_any(v, &t2));
    if (is_ref(t1) || is_ref(t2)) MISMATCH(v);
    if (t1 != t2 && t1 != T_UNKNOWN && t2 != T_UNKNOWN) MISMATCH(v);
    return push(v, t1 == T_UNKNOWN ? t2 : t1);
}

static wk_error_t *check_select_t(Validator *v, const Instr *in)
{
    if (in->imm.select.count != 1) FAIL(v, "invalid result arity");
    TRY(pop_expect(v, WK_I32));
    TRY(pop_expect(v, in->imm.select.type));
    TRY(pop_expect(v, in->imm.select.type));
    return push(v, in->imm.select.type);
}

static wk_error_t *local_type(Validator *v, const Instr *in, ValType *t)
{
    uint32_t x = in->imm.index;
    if (x >= v->nlocals) FAIL(v, "unknown local %u", x);
    *t = v->locals[x];
    return NULL;
}

static wk_error_t *check_local_get(Validator *v, const Instr *in)
{
    ValType t = 0;
    TRY(local_type(v, in, &t));
    return push(v, t);
}

static wk_error_t *check_local_set(Validator *v, const Instr *in)
{
    ValType t = 0;
    TRY(local_type(v, in, &t));
    return pop_expect(v, t);
}

static wk_error_t *check_local_tee(Validator *v, const Instr *in)
{
    TRY(check_local_set(v, in));
    return check_local_get(v, in);
}

/* In a constant expression only imported immutable globals are visible (spec 3.4.10, C'). */
static wk_error_t *check_global_get(Validator *v, const Instr *in)
{
    uint32_t x = in->imm.index;
    if (v->in_const && x >= v->m->nimported_globals) FAIL(v, "unknown global %u", x);
    TRY(check_global(v, x));
    GlobalType g = module_global_type(v->m, x);
    if (v->in_const && g.mut) FAIL(v, "constant expression required");
    return push(v, g.type);
}

static wk_error_t *check_global_set(Validator *v, const Instr *in)
{
    TRY(check_global(v, in->imm.index));
    GlobalType g = module_global_type(v->m, in->imm.index);
    if (!g.mut) FAIL(v, "global is immutable");
    return pop_expect(v, g.type);
}

static wk_error_t *check_ref_null(Validator *v, const Instr *in)
{
    return push(v, in->imm.reftype);
}

static wk_error_t *check_ref_is_null(Validator *v)
{
    ValType t = 0;
    TRY(pop_any(v, &t));
    if (t != T_UNKNOWN && !is_ref(t)) MISMATCH(v);
    return push(v, WK_I32);
}

/* In a function body the function must be declared (C.refs); constant expressions declare
 * the functions they reference. */
static wk_error_t *check_ref_func(Validator *v, const Instr *in)
{
    TRY(check_func(v, in->imm.index));
    if (!v->in_const && !v->refs[in->imm.index]) FAIL(v, "undeclared function reference");
    return push(v, WK_FUNCREF);
}

/* The element type of table x (checked). */
static wk_error_t *table_elem(Validator *v, uint32_t x, ValType *t)
{
    TRY(check_table(v, x));
    *t = module_table_type(v->m, x).elem;
    return NULL;
}

static wk_error_t *check_table_get(Validator *v, const Instr *in)
{
    ValType t = 0;
    TRY(table_elem(v, in->imm.index, &t));
    TRY(pop_expect(v, WK_I32));
    return push(v, t);
}

static wk_error_t *check_table_set(Validator *v, const Instr *in)
{
    ValType t = 0;
    TRY(table_elem(v, in->imm.index, &t));
    TRY(pop_expect(v, t));
    return pop_expect(v, WK_I32);
}

static wk_error_t *check_table_size(Validator *v, const Instr *in)
{
    TRY(check_table(v, in->imm.index));
    return push(v, WK_I32);
}

static wk_error_t *check_table_grow(Validator *v, const Instr *in)
{
    ValType t = 0;
    TRY(table_elem(v, in->imm.index, &t));
    TRY(pop_expect(v, WK_I32));
    TRY(pop_expect(v, t));
    return push(v, WK_I32);
}

static wk_error_t *check_table_fill(Validator *v, const Instr *in)
{
    ValType t = 0;
    TRY(table_elem(v, in->imm.index, &t));
    TRY(pop_expect(v, WK_I32));
    TRY(pop_expect(v, t));
    return pop_expect(v, WK_I32);
}

static wk_error_t *check_elem_drop(Validator *v, const Instr *in)
{
    return check_elem(v, in->imm.index);
}

static wk_error_t *check_table_init(Validator *v, const Instr *in)
{
    ValType t = 0;
    TRY(table_elem(v, in->imm.pair.b, &t));
    TRY(check_elem(v, in->imm.pair.a));
    if (v->m->elems[in->imm.pair.a].type != t) MISMATCH(v);
    return pop_list(v, sig_table[SIG_iii_].params, 3);
}

static wk_error_t *check_table_copy(Validator *v, const Instr *in)
{
    ValType dst = 0, src = 0;
    TRY(table_elem(v, in->imm.pair.a, &dst));
    TRY(table_elem(v, in->imm.pair.b, &src));
    if (src != dst) MISMATCH(v);
    return pop_list(v, sig_table[SIG_iii_].params, 3);
}

/* ---- Function bodies ------------------------------------------------------------------ */

/* One case per line of opcodes.def: T(sig) is typed by the table, V(handler, ...) by its
 * check_<handler>. */
static wk_error_t *check_instr(Validator *v, const Instr *in)
{
    switch (in->op) {
#define T(sig) check_simple(v, in)
#define V(handler, ...) check_##handler(v, ##__VA_ARGS__)
#define OP(prefix, code, name, text, imm, check, ...) \
    case OP_##name: return check;
#include WK_OPCODES_DEF
#undef OP
#undef V
#undef T
    case OP_COUNT: break;
    }
    FAIL(v, "illegal opcode");
}

static wk_error_t *set_locals(Validator *v, const FuncType *ft, const Func *f)
{
    uint32_t n = ft->nparams + f->nlocals;
    ValType *p = realloc(v->locals, n ? n : 1);
    if (!p) return oom();
    v->locals = p;
    if (ft->nparams) memcpy(p, ft->types, ft->nparams);
    if (f->nlocals) memcpy(p + ft->nparams, f->locals, f->nlocals);
    v->nlocals = n;
    return NULL;
}

/* Validates one body and records its facts: deepest nesting and the union of its OPF_ flags. */
static wk_error_t *validate_function(Validator *v, Func *f)
{
    const FuncType *ft = &v->m->types[f->type];
    TRY(set_locals(v, ft, f));
    v->nvals = v->nctrls = 0;
    TRY(push_ctrl(v, OP_Block, NULL, 0, ft->types + ft->nparams, ft->nresults));
    Reader r = {v->m->bytes, f->body_offset, (size_t)f->body_offset + f->body_size};
    f->max_depth = 0;
    f->op_flags = 0;
    while (v->nctrls > 0) {
        Instr in;
        TRY(instr_read(&r, &in));
        v->at = in.offset;
        TRY(check_instr(v, &in));
        f->op_flags |= op_info[in.op].flags;
        if (v->nctrls > f->max_depth + 1) f->max_depth = v->nctrls - 1;
    }
    return NULL;
}

/* ---- Constant expressions (spec 3.3.10) ----------------------------------------------- */

static wk_error_t *check_const_instr(Validator *v, const Instr *in)
{
    if (in->op != OP_End && !(op_info[in->op].flags & OPF_CONST))
        FAIL(v, "constant expression required");
    return check_instr(v, in);
}

/* Checks that e is constant and produces exactly one value of type t, and records in e->value
 * where that value comes from (the one instruction before `end`). */
static wk_error_t *validate_const(Validator *v, ConstExpr *e, ValType t)
{
    v->nvals = v->nctrls = 0;
    v->in_const = true;
    TRY(push_ctrl(v, OP_Block, NULL, 0, &one_type[t], 1));
    Reader r = {v->m->bytes, e->offset, (size_t)e->offset + e->size};
    while (v->nctrls > 0) {
        Instr in;
        TRY(instr_read(&r, &in));
        v->at = in.offset;
        TRY(check_const_instr(v, &in));
        if (in.op != OP_End) e->value = instr_const_value(&in);
    }
    e->value.type = t;
    v->in_const = false;
    return NULL;
}

/* ---- Module ------------------------------------------------------------------------- */

static wk_error_t *check_limits(Validator *v, Limits l, uint32_t bound, const char *too_big)
{
    if (l.min > bound || (l.has_max && l.max > bound)) FAIL(v, "%s", too_big);
    if (l.has_max && l.min > l.max) FAIL(v, "size minimum must not be greater than maximum");
    return NULL;
}

static wk_error_t *check_memtype(Validator *v, Limits l)
{
    return check_limits(v, l, 65536, "memory size must be at most 65536 pages (4GiB)");
}

static wk_error_t *check_tabletype(Validator *v, TableType t)
{
    return check_limits(v, t.limits, UINT32_MAX, "table size must be at most 2^32-1");
}

static wk_error_t *validate_imports(Validator *v)
{
    const Module *m = v->m;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const Import *im = &m->imports[i];
        v->at = im->offset;
        switch (im->kind) {
        case WK_EXTERN_FUNC: TRY(check_type(v, im->of.func_type)); break;
        case WK_EXTERN_TABLE: TRY(check_tabletype(v, im->of.table)); break;
        case WK_EXTERN_MEMORY: TRY(check_memtype(v, im->of.memory)); break;
        default: break;
        }
    }
    return NULL;
}

static wk_error_t *validate_definitions(Validator *v)
{
    Module *m = v->m;
    v->at = m->section_offsets[SEC_FUNCTION];
    for (uint32_t i = 0; i < m->nfuncs; i++) TRY(check_type(v, m->funcs[i].type));
    v->at = m->section_offsets[SEC_TABLE];
    for (uint32_t i = 0; i < m->ntables; i++) TRY(check_tabletype(v, m->tables[i]));
    v->at = m->section_offsets[SEC_MEMORY];
    for (uint32_t i = 0; i < m->nmemories; i++) TRY(check_memtype(v, m->memories[i]));
    if (module_memory_count(m) > 1) FAIL(v, "multiple memories");
    for (uint32_t i = 0; i < m->nglobals; i++)
        TRY(validate_const(v, &m->globals[i].init, m->globals[i].type.type));
    return NULL;
}

static wk_error_t *validate_elem(Validator *v, Elem *el)
{
    v->at = v->m->section_offsets[SEC_ELEMENT];
    if (el->mode == SEG_ACTIVE) {
        v->at = el->offset.offset;
        TRY(check_table(v, el->table));
        if (module_table_type(v->m, el->table).elem != el->type) MISMATCH(v);
        TRY(validate_const(v, &el->offset, WK_I32));
    }
    for (uint32_t i = 0; i < el->count; i++) {
        if (el->exprs) TRY(validate_const(v, &el->exprs[i], el->type));
        else TRY(check_func(v, el->funcs[i]));
    }
    return NULL;
}

static wk_error_t *validate_segments(Validator *v)
{
    Module *m = v->m;
    for (uint32_t i = 0; i < m->nelems; i++) TRY(validate_elem(v, &m->elems[i]));
    for (uint32_t i = 0; i < m->ndatas; i++) {
        Data *d = &m->datas[i];
        if (d->mode != SEG_ACTIVE) continue;
        v->at = d->offset.offset;
        TRY(check_memory(v, d->memory));
        TRY(validate_const(v, &d->offset, WK_I32));
    }
    return NULL;
}

static wk_error_t *validate_start(Validator *v)
{
    const Module *m = v->m;
    if (!m->has_start) return NULL;
    v->at = m->section_offsets[SEC_START];
    TRY(check_func(v, m->start));
    const FuncType *ft = module_func_type(m, m->start);
    if (ft->nparams || ft->nresults) FAIL(v, "start function");
    return NULL;
}

static wk_error_t *check_export_index(Validator *v, const Export *ex)
{
    v->at = ex->offset;
    switch (ex->kind) {
    case WK_EXTERN_FUNC: return check_func(v, ex->index);
    case WK_EXTERN_TABLE: return check_table(v, ex->index);
    case WK_EXTERN_MEMORY: return check_memory(v, ex->index);
    default: return check_global(v, ex->index);
    }
}

/* Orders exports by name, then by position (so the later duplicate is reported). */
static int export_cmp(const void *a, const void *b)
{
    const Export *x = *(const Export *const *)a, *y = *(const Export *const *)b;
    if (x->name.size != y->name.size) return x->name.size < y->name.size ? -1 : 1;
    int c = memcmp(x->name.data, y->name.data, x->name.size);
    if (c) return c;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static wk_error_t *validate_exports(Validator *v)
{
    const Module *m = v->m;
    for (uint32_t i = 0; i < m->nexports; i++) TRY(check_export_index(v, &m->exports[i]));
    const Export **sorted = malloc((m->nexports ? m->nexports : 1) * sizeof *sorted);
    if (!sorted) return oom();
    for (uint32_t i = 0; i < m->nexports; i++) sorted[i] = &m->exports[i];
    qsort(sorted, m->nexports, sizeof *sorted, export_cmp);
    const Export *dup = NULL;
    for (uint32_t i = 1; i < m->nexports && !dup; i++) {
        const Name *a = &sorted[i - 1]->name, *b = &sorted[i]->name;
        if (a->size == b->size && memcmp(a->data, b->data, a->size) == 0) dup = sorted[i];
    }
    free(sorted);
    return dup ? invalid_at(dup->offset, "duplicate export name") : NULL;
}

/* Marks the function an expression's ref.func references as declared. */
static void declare_expr_refs(Validator *v, const ConstExpr *e)
{
    if (e->value.kind == CONST_FUNC) v->refs[e->value.index] = 1;
}

/* C.refs (spec 3.4.10): functions referenced outside function bodies. */
static wk_error_t *collect_refs(Validator *v)
{
    const Module *m = v->m;
    uint32_t nfuncs = module_func_count(m);
    v->refs = calloc(nfuncs ? nfuncs : 1, 1);
    if (!v->refs) return oom();
    for (uint32_t i = 0; i < m->nglobals; i++) declare_expr_refs(v, &m->globals[i].init);
    for (uint32_t i = 0; i < m->nelems; i++) {
        const Elem *el = &m->elems[i];
        for (uint32_t k = 0; k < el->count; k++) {
            if (el->exprs) declare_expr_refs(v, &el->exprs[k]);
            else if (el->funcs[k] < nfuncs) v->refs[el->funcs[k]] = 1;
        }
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        const Export *ex = &m->exports[i];
        if (ex->kind == WK_EXTERN_FUNC && ex->index < nfuncs) v->refs[ex->index] = 1;
    }
    return NULL;
}

static wk_error_t *validate(Validator *v)
{
    TRY(validate_imports(v));
    TRY(validate_definitions(v));
    TRY(validate_segments(v));
    TRY(collect_refs(v));
    for (uint32_t i = 0; i < v->m->nfuncs; i++) TRY(validate_function(v, &v->m->funcs[i]));
    TRY(validate_start(v));
    return validate_exports(v);
}

wk_error_t *validate_module(Module *m)
{
    Validator v = {.m = m};
    wk_error_t *err = validate(&v);
    free(v.vals);
    free(v.ctrls);
    free(v.locals);
    free(v.refs);
    return err;
}
