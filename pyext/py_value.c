/* The Value type (explicitly typed Wasm values: Value.i32(7) is I32(7)) and the conversions
 * between Python objects and wk_val_t used by calls, globals, tables and host functions. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "py_internal.h"

const char *py_valkind_name(wk_valkind_t kind)
{
    switch (kind) {
    case WK_I32: return "i32";
    case WK_I64: return "i64";
    case WK_F32: return "f32";
    case WK_F64: return "f64";
    case WK_V128: return "v128";
    case WK_FUNCREF: return "funcref";
    case WK_EXTERNREF: return "externref";
    default: return "?";
    }
}

int py_valkind_parse(PyObject *name, const char *what, wk_valkind_t *out)
{
    static const wk_valkind_t kinds[] = {WK_I32,  WK_I64,     WK_F32,      WK_F64,
                                         WK_V128, WK_FUNCREF, WK_EXTERNREF};
    const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
    for (size_t i = 0; s && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(s, py_valkind_name(kinds[i])) == 0) {
            *out = kinds[i];
            return 0;
        }
    }
    if (!PyErr_Occurred())
        PyErr_Format(PyExc_ValueError,
                     "%s: %R is not a value type ('i32', 'i64', 'f32', 'f64', 'v128', "
                     "'funcref' or 'externref')",
                     what, name);
    return -1;
}

static const char *kind_expects(wk_valkind_t kind)
{
    switch (kind) {
    case WK_I32: return "an int or Value.i32";
    case WK_I64: return "an int or Value.i64";
    case WK_F32: return "a float, an int or Value.f32";
    case WK_F64: return "a float, an int or Value.f64";
    case WK_V128: return "an int";
    case WK_FUNCREF: return "a Function or None";
    default: return "any object or None";
    }
}

/* New reference to "sum() parameter 1", "Value.i32()" or "value". */
static PyObject *site_str(const ValueSite *site)
{
    if (!site || !site->what) return PyUnicode_FromString("value");
    if (!site->role) return PyUnicode_FromFormat("%U()", site->what);
    return PyUnicode_FromFormat("%U() %s %zd", site->what, site->role, site->index);
}

static int bad_type(const ValueSite *site, PyObject *obj, wk_valkind_t kind)
{
    PyObject *where = site_str(site);
    if (!where) return -1;
    PyErr_Format(PyExc_TypeError, "%U expects %s (%s), got %s", where, py_valkind_name(kind),
                 kind_expects(kind), Py_TYPE(obj)->tp_name);
    Py_DECREF(where);
    return -1;
}

static int out_of_range(const ValueSite *site, PyObject *obj, wk_valkind_t kind)
{
    PyObject *where = site_str(site);
    if (!where) return -1;
    PyErr_Format(PyExc_OverflowError, "%U: %R is out of range for %s", where, obj,
                 py_valkind_name(kind));
    Py_DECREF(where);
    return -1;
}

/* An int in the signed or unsigned range of an integer of `bits` bits, as its bit pattern. */
static int int_from_py(PyObject *obj, int bits, const ValueSite *site, wk_valkind_t kind,
                       int64_t *out)
{
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (bits == 32) {
        if (overflow || v < INT32_MIN || v > (long long)UINT32_MAX)
            return out_of_range(site, obj, kind);
        *out = (int32_t)(uint32_t)v;
        return 0;
    }
    if (overflow > 0) {
        unsigned long long u = PyLong_AsUnsignedLongLong(obj);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            return out_of_range(site, obj, kind);
        }
        *out = (int64_t)u;
        return 0;
    }
    if (overflow < 0) return out_of_range(site, obj, kind);
    *out = v;
    return 0;
}

/* A float, an int or an object with __float__ (numpy scalars) as a double. */
static int float_from_py(PyObject *obj, const ValueSite *site, wk_valkind_t kind, double *out)
{
    if (PyFloat_Check(obj)) {
        *out = PyFloat_AS_DOUBLE(obj);
        return 0;
    }
    if (PyLong_Check(obj)) {
        *out = PyLong_AsDouble(obj);
        if (*out == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return out_of_range(site, obj, kind);
        }
        return 0;
    }
    if (!Py_TYPE(obj)->tp_as_number || !Py_TYPE(obj)->tp_as_number->nb_float)
        return bad_type(site, obj, kind);
    *out = PyFloat_AsDouble(obj);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

static int v128_from_py(PyObject *obj, const ValueSite *site, wk_val_t *out)
{
    if (!PyLong_Check(obj)) return bad_type(site, obj, WK_V128);
    int negative = _PyLong_Sign(obj) < 0;
    if (_PyLong_AsByteArray((PyLongObject *)obj, out->of.v128, 16, 1, negative) < 0) {
        PyErr_Clear();
        return out_of_range(site, obj, WK_V128);
    }
    return 0;
}

static int number_from_py(PyObject *obj, wk_valkind_t kind, const ValueSite *site,
                          wk_val_t *out)
{
    int64_t i;
    double d;
    switch (kind) {
    case WK_I32:
    case WK_I64:
        if (!PyLong_Check(obj)) {
            if (!PyIndex_Check(obj) || PyFloat_Check(obj)) return bad_type(site, obj, kind);
            PyObject *idx = PyNumber_Index(obj);
            if (!idx) return -1;
            int r = int_from_py(idx, kind == WK_I32 ? 32 : 64, site, kind, &i);
            Py_DECREF(idx);
            if (r < 0) return -1;
        } else if (int_from_py(obj, kind == WK_I32 ? 32 : 64, site, kind, &i) < 0) {
            return -1;
        }
        *out = kind == WK_I32 ? wk_val_i32((int32_t)i) : wk_val_i64(i);
        return 0;
    case WK_F32:
        if (float_from_py(obj, site, kind, &d) < 0) return -1;
        if (isinf((float)d) && !isinf(d)) return out_of_range(site, obj, kind);
        *out = wk_val_f32((float)d);
        return 0;
    case WK_F64:
        if (float_from_py(obj, site, kind, &d) < 0) return -1;
        *out = wk_val_f64(d);
        return 0;
    default:
        out->kind = WK_V128;
        return v128_from_py(obj, site, out);
    }
}

static int ref_from_py(WkState *st, StoreObject *store, PyObject *obj, wk_valkind_t kind,
                       const ValueSite *site, wk_val_t *out)
{
    out->kind = kind;
    if (obj == Py_None) {
        out->of.externref = NULL;
        if (kind == WK_FUNCREF) out->of.funcref = NULL;
        return 0;
    }
    if (kind == WK_EXTERNREF) {
        if (!store || py_store_keep(store, obj) < 0) return store ? -1 : bad_type(site, obj, kind);
        out->of.externref = obj;
        return 0;
    }
    if (!Py_IS_TYPE(obj, st->func_type)) return bad_type(site, obj, kind);
    FuncObject *f = (FuncObject *)obj;
    if (!store) return bad_type(site, obj, kind);
    if (!py_store_join(st, store, (StoreObject *)f->store)) return -1;
    out->of.funcref = f->func;
    return 0;
}

int py_value_from_py(WkState *st, StoreObject *store, PyObject *obj, wk_valkind_t kind,
                  const ValueSite *site, wk_val_t *out)
{
    if (Py_IS_TYPE(obj, st->value_type)) {
        ValueObject *v = (ValueObject *)obj;
        if (v->val.kind != kind) return bad_type(site, obj, kind);
        if (kind == WK_FUNCREF || kind == WK_EXTERNREF)
            return ref_from_py(st, store, v->ref ? v->ref : Py_None, kind, site, out);
        *out = v->val;
        return 0;
    }
    if (kind == WK_FUNCREF || kind == WK_EXTERNREF)
        return ref_from_py(st, store, obj, kind, site, out);
    return number_from_py(obj, kind, site, out);
}

PyObject *py_value_to_py(WkState *st, PyObject *store, const wk_val_t *v)
{
    switch (v->kind) {
    case WK_I32: return PyLong_FromLong(v->of.i32);
    case WK_I64: return PyLong_FromLongLong(v->of.i64);
    case WK_F32: return PyFloat_FromDouble(wk_val_as_f32(v));
    case WK_F64: return PyFloat_FromDouble(wk_val_as_f64(v));
    case WK_V128: return _PyLong_FromByteArray(v->of.v128, 16, 1, 0);
    case WK_FUNCREF:
        if (!v->of.funcref) Py_RETURN_NONE;
        return py_func_wrap(st, store, v->of.funcref, NULL);
    default:
        if (!v->of.externref) Py_RETURN_NONE;
        return Py_NewRef((PyObject *)v->of.externref);
    }
}

/* ---- the Value type ---------------------------------------------------------------------- */

/* A new Value of val; ref (a new reference is taken) is the object a reference stands for. */
static PyObject *value_new(WkState *st, wk_val_t val, PyObject *ref)
{
    ValueObject *self = PyObject_GC_New(ValueObject, st->value_type);
    if (!self) return NULL;
    self->val = val;
    self->ref = Py_XNewRef(ref);
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static PyObject *value_make(PyTypeObject *type, wk_valkind_t kind, PyObject *arg,
                            const char *ctor)
{
    WkState *st = py_state_of_type(type);
    PyObject *what = PyUnicode_FromString(ctor);
    if (!what) return NULL;
    ValueSite site = {what, NULL, 0};
    wk_val_t val;
    int r = number_from_py(arg, kind, &site, &val);
    Py_DECREF(what);
    if (r < 0) return NULL;
    return value_new(st, val, NULL);
}

/* Value.funcref(f): f a Function or None. */
static PyObject *value_funcref(PyObject *cls, PyObject *arg)
{
    WkState *st = py_state_of_type((PyTypeObject *)cls);
    if (arg != Py_None && !Py_IS_TYPE(arg, st->func_type))
        return PyErr_Format(PyExc_TypeError, "Value.funcref() expects a Function or None, got %s",
                            Py_TYPE(arg)->tp_name);
    wk_val_t v = {.kind = WK_FUNCREF};
    v.of.funcref = arg == Py_None ? NULL : ((FuncObject *)arg)->func;
    return value_new(st, v, arg == Py_None ? NULL : arg);
}

/* Value.externref(obj): any object, None being the null reference. */
static PyObject *value_externref(PyObject *cls, PyObject *arg)
{
    wk_val_t v = {.kind = WK_EXTERNREF};
    v.of.externref = arg == Py_None ? NULL : arg;
    return value_new(py_state_of_type((PyTypeObject *)cls), v, arg == Py_None ? NULL : arg);
}

/* The METH_O|METH_CLASS constructors Value.i32(x) ... Value.f64(x). */
static PyObject *value_i32(PyObject *cls, PyObject *arg)
{
    return value_make((PyTypeObject *)cls, WK_I32, arg, "Value.i32");
}

static PyObject *value_i64(PyObject *cls, PyObject *arg)
{
    return value_make((PyTypeObject *)cls, WK_I64, arg, "Value.i64");
}

static PyObject *value_f32(PyObject *cls, PyObject *arg)
{
    return value_make((PyTypeObject *)cls, WK_F32, arg, "Value.f32");
}

static PyObject *value_f64(PyObject *cls, PyObject *arg)
{
    return value_make((PyTypeObject *)cls, WK_F64, arg, "Value.f64");
}

static PyObject *value_v128(PyObject *cls, PyObject *arg)
{
    return value_make((PyTypeObject *)cls, WK_V128, arg, "Value.v128");
}

/* Python's repr of the double nearest to the shortest decimal that round-trips f. */
static PyObject *f32_repr(float f)
{
    char buf[32];
    double d = f;
    if (isfinite(f)) {
        for (int prec = 1; prec <= 9; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
            if (strtof(buf, NULL) == f) break;
        }
        d = strtod(buf, NULL);
    }
    char *s = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (!s) return NULL;
    PyObject *r = PyUnicode_FromFormat("F32(%s)", s);
    PyMem_Free(s);
    return r;
}

static PyObject *value_repr(PyObject *op)
{
    ValueObject *self = (ValueObject *)op;
    const wk_val_t *v = &self->val;
    switch (v->kind) {
    case WK_I32: return PyUnicode_FromFormat("I32(%d)", v->of.i32);
    case WK_I64: return PyUnicode_FromFormat("I64(%lld)", (long long)v->of.i64);
    case WK_F32: return f32_repr(wk_val_as_f32(v));
    case WK_F64: {
        char *s = PyOS_double_to_string(wk_val_as_f64(v), 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!s) return NULL;
        PyObject *r = PyUnicode_FromFormat("F64(%s)", s);
        PyMem_Free(s);
        return r;
    }
    case WK_FUNCREF:
        return PyUnicode_FromFormat("FuncRef(%R)", self->ref ? self->ref : Py_None);
    case WK_EXTERNREF:
        return PyUnicode_FromFormat("ExternRef(%R)", self->ref ? self->ref : Py_None);
    default: {
        PyObject *n = py_value_to_py(py_state_of(op), NULL, v);
        if (!n) return NULL;
        PyObject *hex = PyNumber_ToBase(n, 16);
        Py_DECREF(n);
        if (!hex) return NULL;
        PyObject *r = PyUnicode_FromFormat("V128(%U)", hex);
        Py_DECREF(hex);
        return r;
    }
    }
}

static PyObject *value_get_value(PyObject *op, void *closure)
{
    (void)closure;
    ValueObject *v = (ValueObject *)op;
    if (v->val.kind == WK_FUNCREF || v->val.kind == WK_EXTERNREF)
        return Py_NewRef(v->ref ? v->ref : Py_None);
    return py_value_to_py(py_state_of(op), NULL, &v->val);
}

static PyObject *value_get_type(PyObject *op, void *closure)
{
    (void)closure;
    return PyUnicode_FromString(py_valkind_name(((ValueObject *)op)->val.kind));
}

/* Number of meaningful bytes of a value of this kind (for equality and hashing). */
static size_t val_width(wk_valkind_t kind)
{
    return kind == WK_I32 || kind == WK_F32 ? 4 : kind == WK_V128 ? 16 : 8;
}

static PyObject *value_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!Py_IS_TYPE(b, Py_TYPE(a)) || (op != Py_EQ && op != Py_NE)) Py_RETURN_NOTIMPLEMENTED;
    const wk_val_t *x = &((ValueObject *)a)->val, *y = &((ValueObject *)b)->val;
    int eq = x->kind == y->kind && memcmp(&x->of, &y->of, val_width(x->kind)) == 0;
    if (x->kind == WK_FUNCREF || x->kind == WK_EXTERNREF) /* the same object */
        eq = x->kind == y->kind && ((ValueObject *)a)->ref == ((ValueObject *)b)->ref;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t value_hash(PyObject *op)
{
    const wk_val_t *v = &((ValueObject *)op)->val;
    if (v->kind == WK_FUNCREF || v->kind == WK_EXTERNREF)
        return _Py_HashPointer(((ValueObject *)op)->ref);
    Py_uhash_t h = v->kind;
    const unsigned char *p = (const unsigned char *)&v->of;
    for (size_t i = 0; i < val_width(v->kind); i++)
        h = h * 1000003u ^ p[i];
    return h == (Py_uhash_t)-1 ? -2 : (Py_hash_t)h;
}

static int value_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(((ValueObject *)op)->ref);
    return 0;
}

static int value_clear(PyObject *op)
{
    Py_CLEAR(((ValueObject *)op)->ref);
    return 0;
}

static void value_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    Py_CLEAR(((ValueObject *)op)->ref);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

static PyMethodDef value_methods[] = {
    {"i32", value_i32, METH_O | METH_CLASS,
     "i32(x, /)\n--\n\nAn i32 value; x in [-2**31, 2**32) (unsigned values wrap)."},
    {"i64", value_i64, METH_O | METH_CLASS,
     "i64(x, /)\n--\n\nAn i64 value; x in [-2**63, 2**64) (unsigned values wrap)."},
    {"f32", value_f32, METH_O | METH_CLASS,
     "f32(x, /)\n--\n\nAn f32 value (x rounded to float32; OverflowError past its range)."},
    {"f64", value_f64, METH_O | METH_CLASS, "f64(x, /)\n--\n\nAn f64 value."},
    {"v128", value_v128, METH_O | METH_CLASS,
     "v128(x, /)\n--\n\nA v128 value from an int in [-2**127, 2**128)."},
    {"funcref", value_funcref, METH_O | METH_CLASS,
     "funcref(f, /)\n--\n\nA funcref value: a Function, or None for the null reference."},
    {"externref", value_externref, METH_O | METH_CLASS,
     "externref(obj, /)\n--\n\nAn externref value: any object (Wasm gets it back as the "
     "identical object), or None for the null reference."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef value_getset[] = {
    {"value", value_get_value, NULL, "The value as a Python int or float.", NULL},
    {"type", value_get_type, NULL, "The value type: 'i32', 'i64', 'f32', 'f64' or 'v128'.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot value_slots[] = {
    {Py_tp_doc, "A WebAssembly value of an explicit type.\n\n"
                "Made by Value.i32(7), Value.i64(7), Value.f32(7.42), Value.f64(7.42) or\n"
                "Value.v128(x) (range-checked); accepted wherever a value is. Its repr is\n"
                "I32(7), I64(7), F32(7.42), F64(7.42); F32 shows the shortest decimal that\n"
                "round-trips through float32. .value is the Python number, .type the type."},
    {Py_tp_repr, value_repr},
    {Py_tp_traverse, value_traverse},
    {Py_tp_clear, value_clear},
    {Py_tp_dealloc, value_dealloc},
    {Py_tp_methods, value_methods},
    {Py_tp_getset, value_getset},
    {Py_tp_richcompare, value_richcompare},
    {Py_tp_hash, value_hash},
    {0, NULL},
};

static PyType_Spec value_spec = {
    .name = "wasmkiln.Value",
    .basicsize = sizeof(ValueObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = value_slots,
};

int py_value_init(PyObject *mod, WkState *st)
{
    st->value_type = py_add_type(mod, &value_spec, NULL);
    return st->value_type ? 0 : -1;
}
