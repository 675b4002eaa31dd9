/* The Function type: a Wasm function (exported, or imported from Python) called through
 * vectorcall with arguments converted on the C stack; the GIL is released while it runs. */
#include <string.h>

#include "py_internal.h"

/* The value of an exact int; ints of one digit (below 2**30 in magnitude: most arguments) are
 * read in place, without a call. */
static inline long long exact_int_value(PyObject *a, int *overflow)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (PyUnstable_Long_IsCompact((PyLongObject *)a)) {
        *overflow = 0;
        return (long long)PyUnstable_Long_CompactValue((PyLongObject *)a);
    }
#else
    Py_ssize_t size = Py_SIZE(a);
    if (size >= -1 && size <= 1) {
        *overflow = 0;
        return (long long)size * (long long)((PyLongObject *)a)->ob_digit[0];
    }
#endif
    return PyLong_AsLongLongAndOverflow(a, overflow);
}

/* Converts the arguments into raw slots of the parameter kinds; the common case (an exact int
 * for an i32/i64 parameter within range) is handled inline. -1 with TypeError/OverflowError. */
static int func_args(FuncObject *f, PyObject *const *args, wk_raw_t *vals)
{
    for (size_t i = 0; i < f->nparams; i++) {
        PyObject *a = args[i];
        wk_valkind_t kind = f->params[i];
        if (PyLong_CheckExact(a) && (kind == WK_I32 || kind == WK_I64)) {
            int overflow;
            long long v = exact_int_value(a, &overflow);
            if (!overflow && kind == WK_I64) {
                vals[i].i64 = v;
                continue;
            }
            if (!overflow && v >= INT32_MIN && v <= (long long)UINT32_MAX) {
                vals[i].i32 = (int32_t)(uint32_t)v;
                continue;
            }
        }
        ValueSite site = {f->name, "parameter", (Py_ssize_t)i};
        wk_val_t v;
        if (py_value_from_py(f->st, (StoreObject *)f->store, a, kind, &site, &v) < 0) return -1;
        vals[i] = v.of;
    }
    return 0;
}

/* Result i (of kind f->results[i]) as a Python object. */
static PyObject *func_result(FuncObject *f, const wk_raw_t *vals, size_t i)
{
    wk_valkind_t kind = f->results[i];
    if (kind == WK_I32) return PyLong_FromLong(vals[i].i32);
    wk_val_t v = {kind, vals[i]};
    return py_value_to_py(f->st, f->store, &v);
}

/* None, the one result, or a tuple of the results. */
static PyObject *func_results(FuncObject *f, const wk_raw_t *vals)
{
    if (f->nresults == 0) Py_RETURN_NONE;
    if (f->nresults == 1) return func_result(f, vals, 0);
    PyObject *t = PyTuple_New((Py_ssize_t)f->nresults);
    for (size_t i = 0; t && i < f->nresults; i++) {
        PyObject *x = func_result(f, vals, i);
        if (!x) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, (Py_ssize_t)i, x);
    }
    return t;
}

static int bad_call(FuncObject *f, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)kwnames;
    PyErr_Format(PyExc_TypeError, "%U() takes %zu argument%s (%zd given)", f->name, f->nparams,
                 f->nparams == 1 ? "" : "s", nargs);
    return -1;
}

/* Runs the function holding the store, with the GIL released unless the function is
 * bounded (releasing and re-taking the GIL would cost more than such a call). vals: arguments
 * in, results out (wk_func_call_raw; func_args gave every argument its parameter's kind). */
static wk_trap_t *func_run(FuncObject *f, wk_raw_t *vals, double timeout)
{
    StoreObject *store = (StoreObject *)f->store;
    wk_trap_t *trap;
    /* A bounded call keeps the GIL and cannot call out: nobody can see the store taken. */
    if (!f->release_gil && store->owner == 0) return wk_func_call_raw(f->func, vals);
    if (py_store_enter(store) < 0) return py_errors_stash_trap();
    if (!f->release_gil) {
        trap = wk_func_call_raw(f->func, vals);
    } else {
        if (timeout > 0) wk_store_set_deadline(store->store, (uint64_t)(timeout * 1e9) + 1);
        wk_store_t *prev = py_interrupt_begin(store->store);
        Py_BEGIN_ALLOW_THREADS
        trap = wk_func_call_raw(f->func, vals);
        Py_END_ALLOW_THREADS
        py_interrupt_end(prev);
        if (timeout > 0) wk_store_set_deadline(store->store, 0);
    }
    py_store_leave(store);
    return trap;
}

/* The keyword arguments of a call: only timeout= (seconds, a positive number or None).
 * -1 with TypeError/ValueError. */
static int func_kwargs(FuncObject *f, PyObject *const *kwvalues, PyObject *kwnames,
                       double *timeout)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        if (!PyUnicode_Check(name) || PyUnicode_CompareWithASCIIString(name, "timeout") != 0) {
            PyErr_Format(PyExc_TypeError, "%U() got an unexpected keyword argument %R",
                         f->name, name);
            return -1;
        }
        if (kwvalues[i] == Py_None) {
            *timeout = 0;
            continue;
        }
        double t = PyFloat_AsDouble(kwvalues[i]);
        if (t == -1.0 && PyErr_Occurred()) return -1;
        if (!(t > 0) || t > 1e9) {
            PyErr_Format(PyExc_ValueError, "%U() timeout must be a positive number of seconds",
                         f->name);
            return -1;
        }
        *timeout = t;
    }
    return 0;
}

static PyObject *func_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf,
                                 PyObject *kwnames)
{
    FuncObject *f = (FuncObject *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    double timeout = f->timeout;
    if (kwnames && func_kwargs(f, args + nargs, kwnames, &timeout) < 0) return NULL;
    if ((size_t)nargs != f->nparams) {
        bad_call(f, nargs, kwnames);
        return NULL;
    }
    wk_raw_t inline_vals[FUNC_INLINE_VALS];
    wk_raw_t *vals = inline_vals;
    size_t n = f->nparams > f->nresults ? f->nparams : f->nresults;
    if (n > FUNC_INLINE_VALS && !(vals = PyMem_Malloc(n * sizeof *vals))) return PyErr_NoMemory();
    PyObject *r = NULL;
    if (func_args(f, args, vals) == 0) {
        wk_trap_t *trap = func_run(f, vals, timeout);
        r = trap ? py_errors_raise_trap(f->st, trap) : func_results(f, vals);
    }
    if (vals != inline_vals) PyMem_Free(vals);
    return r;
}

PyObject *py_func_wrap(WkState *st, PyObject *store, wk_func_t *func, PyObject *name)
{
    wk_functype_t type = wk_func_type(func);
    FuncObject *self = PyObject_GC_New(FuncObject, st->func_type);
    if (!self) return NULL;
    self->store = Py_NewRef(store);
    self->func = func;
    self->st = st;
    self->name = name ? Py_NewRef(name) : PyUnicode_FromString("funcref");
    self->nparams = type.nparams;
    self->nresults = type.nresults;
    self->params = PyMem_Malloc(type.nparams + type.nresults + 1);
    self->results = self->params ? self->params + type.nparams : NULL;
    self->vectorcall = func_vectorcall;
    self->release_gil = !wk_func_bounded(func);
    self->timeout = 0;
    PyObject_GC_Track(self);
    if (!self->name || !self->params) {
        Py_DECREF(self);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    memcpy(self->params, type.params, type.nparams);
    memcpy(self->results, type.results, type.nresults);
    return (PyObject *)self;
}

PY_HOLDER_LAYOUT(FuncObject, store);

static void func_dealloc(PyObject *op)
{
    FuncObject *f = (FuncObject *)op;
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    Py_CLEAR(f->store);
    Py_CLEAR(f->name);
    PyMem_Free(f->params);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

static PyObject *func_get_type(PyObject *op, void *closure)
{
    (void)closure;
    FuncObject *f = (FuncObject *)op;
    wk_functype_t t = {f->nparams, f->params, f->nresults, f->results};
    return py_types_func(f->st, &t);
}

static PyObject *func_get_name(PyObject *op, void *closure)
{
    (void)closure;
    return Py_NewRef(((FuncObject *)op)->name);
}

/* "(i32, i32)" from n kinds. */
static PyObject *kinds_str(size_t n, const wk_valkind_t *kinds)
{
    PyObject *parts = PyList_New(0);
    for (size_t i = 0; parts && i < n; i++) {
        PyObject *s = PyUnicode_FromString(py_valkind_name(kinds[i]));
        if (!s || PyList_Append(parts, s) < 0) Py_CLEAR(parts);
        Py_XDECREF(s);
    }
    if (!parts) return NULL;
    PyObject *sep = PyUnicode_FromString(", ");
    PyObject *joined = sep ? PyUnicode_Join(sep, parts) : NULL;
    Py_XDECREF(sep);
    Py_DECREF(parts);
    if (!joined) return NULL;
    PyObject *r = PyUnicode_FromFormat("(%U)", joined);
    Py_DECREF(joined);
    return r;
}

static PyObject *func_repr(PyObject *op)
{
    FuncObject *f = (FuncObject *)op;
    PyObject *p = kinds_str(f->nparams, f->params);
    PyObject *r = p ? kinds_str(f->nresults, f->results) : NULL;
    PyObject *s = r ? PyUnicode_FromFormat("<wasmkiln.Function %U%U -> %U>", f->name, p, r)
                    : NULL;
    Py_XDECREF(p);
    Py_XDECREF(r);
    return s;
}

/* Two wrappers of the same function compare equal (table reads make new wrappers). */
static PyObject *func_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!Py_IS_TYPE(b, Py_TYPE(a)) || (op != Py_EQ && op != Py_NE)) Py_RETURN_NOTIMPLEMENTED;
    bool eq = ((FuncObject *)a)->func == ((FuncObject *)b)->func;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t func_hash(PyObject *op)
{
    return _Py_HashPointer(((FuncObject *)op)->func);
}

static PyMemberDef func_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(FuncObject, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef func_getset[] = {
    {"type", func_get_type, NULL, "FunctionType(params, results) of the function.", NULL},
    {"__name__", func_get_name, NULL, "Export (or import) name of the function.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot func_slots[] = {
    {Py_tp_doc, "A WebAssembly function (from instance.exports or a table).\n\n"
                "Call it with one positional value per parameter: an int for i32/i64\n"
                "(signed or unsigned range), a float or an int for f32/f64, an int for\n"
                "v128, a Function or None for funcref, any object for externref, or a Value.\n"
                "Returns None, one value, or a tuple for several results; i32/i64 results\n"
                "are signed ints. Raises TypeError/OverflowError for bad arguments and Trap\n"
                "when the code traps. The GIL is released while it runs."},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_traverse, py_holder_traverse},
    {Py_tp_clear, py_holder_clear},
    {Py_tp_dealloc, func_dealloc},
    {Py_tp_repr, func_repr},
    {Py_tp_richcompare, func_richcompare},
    {Py_tp_hash, func_hash},
    {Py_tp_members, func_members},
    {Py_tp_getset, func_getset},
    {0, NULL},
};

static PyType_Spec func_spec = {
    .name = "wasmkiln.Function",
    .basicsize = sizeof(FuncObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_HAVE_VECTORCALL,
    .slots = func_slots,
};

int py_func_init(PyObject *mod, WkState *st)
{
    st->func_type = py_add_type(mod, &func_spec, NULL);
    return st->func_type ? 0 : -1;
}
