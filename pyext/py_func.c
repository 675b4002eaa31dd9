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
    StoreObject *store = py_store_root((StoreObject *)f->store);
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
    StoreObject *root = py_store_root((StoreObject *)f->store);
    if (root->depth == 0 && root->externs && PyDict_GET_SIZE(root->externs) >= root->sweep_at)
        py_store_sweep(root); /* nothing converted yet, nothing running: see py_store_leave */
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
    self->weakrefs = NULL;
    self->st = st;
    wk_name_t n = wk_func_name(func);
    self->name = name ? Py_NewRef(name)
                      : n.size ? PyUnicode_DecodeUTF8(n.data, (Py_ssize_t)n.size, "replace")
                               : PyUnicode_FromString("funcref");
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

/* Fills kinds (n slots) from the sequence seq of value type names; -1 with an exception. */
static int parse_kinds(PyObject *seq, const char *what, wk_valkind_t *kinds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(seq, (Py_ssize_t)i);
        int rc = item ? py_valkind_parse(item, what, &kinds[i]) : -1;
        Py_XDECREF(item);
        if (rc < 0) return -1;
    }
    return 0;
}

/* A host function of type `type` ((params, results), e.g. a FunctionType) calling callable,
 * in a new store of its own (merged when linked). */
static PyObject *host_function(WkState *st, PyObject *type, PyObject *callable,
                               bool with_caller)
{
    PyObject *params = NULL, *results = NULL, *r = NULL, *store = NULL, *name = NULL;
    if (!PyCallable_Check(callable))
        return PyErr_Format(PyExc_TypeError, "Function() needs a callable, got %s",
                            Py_TYPE(callable)->tp_name);
    if (PySequence_Check(type) && PySequence_Size(type) == 2) {
        params = PySequence_GetItem(type, 0);
        results = params ? PySequence_GetItem(type, 1) : NULL;
    }
    Py_ssize_t np = params ? PySequence_Size(params) : -1;
    Py_ssize_t nr = results ? PySequence_Size(results) : -1;
    if (np < 0 || nr < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError,
                        "Function() needs a FunctionType(params, results) as its type");
        goto done;
    }
    wk_valkind_t *kinds = PyMem_Malloc((size_t)(np + nr) + 1);
    if (!kinds) {
        PyErr_NoMemory();
        goto done;
    }
    wk_functype_t ft = {(size_t)np, kinds, (size_t)nr, kinds + np};
    if (parse_kinds(params, "Function() parameter", kinds, (size_t)np) == 0 &&
        parse_kinds(results, "Function() result", kinds + np, (size_t)nr) == 0 &&
        (store = py_store_new(st))) {
        name = PyObject_GetAttrString(callable, "__name__");
        if (!name || !PyUnicode_Check(name)) {
            PyErr_Clear();
            Py_XSETREF(name, PyUnicode_FromString("host"));
        }
        wk_func_t *f = name ? py_store_host_func((StoreObject *)store, &ft, callable, name,
                                                 with_caller)
                            : NULL;
        if (f) r = py_func_wrap(st, store, f, name);
    }
    PyMem_Free(kinds);
done:
    Py_XDECREF(params);
    Py_XDECREF(results);
    Py_XDECREF(store);
    Py_XDECREF(name);
    return r;
}

static PyObject *func_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type", "callable", "access_caller", NULL};
    PyObject *ftype, *callable;
    int with_caller = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|$p:Function", kwlist, &ftype, &callable,
                                     &with_caller))
        return NULL;
    return host_function(py_state_of_type(type), ftype, callable, with_caller);
}

/* The value type an annotation stands for: a type name, int (i32), float (f64), Function
 * (funcref) or object (externref); -1 with TypeError. */
static int annotation_kind(WkState *st, PyObject *ann, PyObject *where, PyObject **out)
{
    const char *name = NULL;
    if (PyUnicode_Check(ann)) *out = Py_NewRef(ann);
    else if (ann == (PyObject *)&PyLong_Type) name = "i32";
    else if (ann == (PyObject *)&PyFloat_Type) name = "f64";
    else if (ann == (PyObject *)st->func_type) name = "funcref";
    else if (ann == (PyObject *)&PyBaseObject_Type) name = "externref";
    else {
        PyErr_Format(PyExc_TypeError,
                     "Function.from_callable: %U is annotated %R; use a value type name "
                     "('i32', 'i64', 'f32', 'f64', 'v128', 'funcref', 'externref'), int, "
                     "float, Function or object",
                     where, ann);
        return -1;
    }
    if (name) *out = PyUnicode_FromString(name);
    return *out ? 0 : -1;
}

/* FunctionType of callable from its annotations (inspect.signature), its first `skip`
 * parameters left out; NULL with TypeError. */
static PyObject *annotated_type(WkState *st, PyObject *callable, Py_ssize_t skip)
{
    PyObject *inspect = PyImport_ImportModule("inspect");
    PyObject *sig = inspect ? PyObject_CallMethod(inspect, "signature", "O", callable) : NULL;
    PyObject *empty = sig ? PyObject_GetAttrString(inspect, "_empty") : NULL;
    PyObject *ps = empty ? PyObject_GetAttrString(sig, "parameters") : NULL;
    PyObject *vals = ps ? PyObject_CallMethod(ps, "values", NULL) : NULL;
    PyObject *plist = vals ? PySequence_List(vals) : NULL;
    PyObject *ret = plist ? PyObject_GetAttrString(sig, "return_annotation") : NULL;
    PyObject *params = ret ? PyList_New(0) : NULL, *results = params ? PyList_New(0) : NULL;
    PyObject *r = NULL;
    for (Py_ssize_t i = skip; results && i < PyList_GET_SIZE(plist); i++) {
        PyObject *p = PyList_GET_ITEM(plist, i);
        PyObject *ann = PyObject_GetAttrString(p, "annotation");
        PyObject *pname = ann ? PyObject_GetAttrString(p, "name") : NULL;
        PyObject *k = NULL;
        if (pname && ann == empty)
            PyErr_Format(PyExc_TypeError, "Function.from_callable: parameter %U has no "
                                          "annotation", pname);
        else if (pname && annotation_kind(st, ann, pname, &k) == 0 && PyList_Append(params, k) < 0)
            Py_CLEAR(k);
        Py_XDECREF(ann);
        Py_XDECREF(pname);
        if (!k) Py_CLEAR(results);
        Py_XDECREF(k);
    }
    PyObject *rets = NULL;
    if (results && ret != empty && ret != Py_None) {
        PyObject *args = PyObject_GetAttrString(ret, "__args__"); /* tuple[i32, i64] */
        if (!args) PyErr_Clear();
        rets = args && PyTuple_Check(args) ? Py_NewRef(args) : PyTuple_Pack(1, ret);
        Py_XDECREF(args);
        PyObject *what = PyUnicode_FromString("the result");
        for (Py_ssize_t i = 0; rets && what && i < PyTuple_GET_SIZE(rets); i++) {
            PyObject *k = NULL;
            if (annotation_kind(st, PyTuple_GET_ITEM(rets, i), what, &k) < 0 ||
                PyList_Append(results, k) < 0)
                Py_CLEAR(rets);
            Py_XDECREF(k);
        }
        Py_XDECREF(what);
        if (!rets) Py_CLEAR(results);
    }
    if (results) {
        PyObject *items[] = {PyList_AsTuple(params), PyList_AsTuple(results)};
        r = py_types_make(st->functype_type, 2, items);
    }
    Py_XDECREF(rets);
    Py_XDECREF(params);
    Py_XDECREF(results);
    Py_XDECREF(ret);
    Py_XDECREF(plist);
    Py_XDECREF(vals);
    Py_XDECREF(ps);
    Py_XDECREF(empty);
    Py_XDECREF(sig);
    Py_XDECREF(inspect);
    return r;
}

static PyObject *func_from_callable(PyObject *cls, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"callable", "access_caller", NULL};
    PyObject *callable;
    int with_caller = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$p:from_callable", kwlist, &callable,
                                     &with_caller))
        return NULL;
    WkState *st = py_state_of_type((PyTypeObject *)cls);
    PyObject *type = annotated_type(st, callable, with_caller); /* the Caller: first */
    if (!type) return NULL;
    PyObject *r = host_function(st, type, callable, with_caller);
    Py_DECREF(type);
    return r;
}

static PyMethodDef func_methods[] = {
    {"from_callable", (PyCFunction)(void (*)(void))func_from_callable,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "Function.from_callable(f, *, access_caller=False): a host function whose type comes "
     "from f's annotations: value type names ('i32', ...), int (i32), float (f64), Function "
     "(funcref) or object (externref); the return annotation is None, one type or "
     "tuple[...]. With access_caller, f's first parameter (not annotated) is the Caller."},
    {NULL, NULL, 0, NULL},
};

static void func_dealloc(PyObject *op)
{
    FuncObject *f = (FuncObject *)op;
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    PyObject_ClearWeakRefs(op);
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
    PY_WEAKREFS_MEMBER(FuncObject),
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef func_getset[] = {
    {"type", func_get_type, NULL, "FunctionType(params, results) of the function.", NULL},
    {"__name__", func_get_name, NULL, "Export (or import) name of the function.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot func_slots[] = {
    {Py_tp_doc, "Function(type, callable, *, access_caller=False)\n--\n\n"
                "A WebAssembly function: an export, a table element, or a host function made\n"
                "here from a FunctionType and a Python callable (usable as an import, in\n"
                "tables and globals, as an argument or result). With access_caller, the\n"
                "callable receives a Caller (the calling instance's exports and memory)\n"
                "before the arguments.\n\n"
                "Call it with one positional value per parameter: an int for i32/i64\n"
                "(signed or unsigned range), a float or an int for f32/f64, an int for\n"
                "v128, a Function or None for funcref, any object for externref, or a Value.\n"
                "Returns None, one value, or a tuple for several results; i32/i64 results\n"
                "are signed ints. Raises TypeError/OverflowError for bad arguments and Trap\n"
                "when the code traps. The GIL is released while it runs."},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_new, func_new},
    {Py_tp_methods, func_methods},
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
             Py_TPFLAGS_HAVE_VECTORCALL,
    .slots = func_slots,
};

int py_func_init(PyObject *mod, WkState *st)
{
    st->func_type = py_add_type(mod, &func_spec, NULL);
    return st->func_type ? 0 : -1;
}
