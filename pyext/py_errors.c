/* The exception hierarchy (Error > CompileError > DecodeError/ValidationError, LinkError, Trap)
 * and the one place turning wk_error_t / wk_trap_t into Python exceptions. A Python exception
 * raised by a host function travels through the Wasm frames inside a trap's payload. */
#include "py_internal.h"

/* Payload of a trap made from a Python exception; the tag tells it from other payloads. */
typedef struct {
    uint32_t tag;
    PyObject *exc;
} Stash;

enum { STASH_TAG = 0x77504558 };

static PyObject *new_exc(PyObject *mod, const char *name, PyObject *bases, const char *doc)
{
    char qual[64];
    PyOS_snprintf(qual, sizeof qual, "wasmkiln.%s", name);
    PyObject *exc = PyErr_NewExceptionWithDoc(qual, doc, bases, NULL);
    if (!exc) return NULL;
    if (PyModule_AddObjectRef(mod, name, exc) < 0) Py_CLEAR(exc);
    return exc;
}

int py_errors_init(PyObject *mod, WkState *st)
{
    st->error = new_exc(mod, "Error", NULL, "Base class of every wasmkiln error.");
    if (!st->error) return -1;
    st->compile_error = new_exc(mod, "CompileError", st->error,
                                "The bytes are not a valid module. .message is the reason in "
                                "the spec's wording, .offset the byte offset (or None).");
    if (!st->compile_error) return -1;
    st->decode_error = new_exc(mod, "DecodeError", st->compile_error,
                               "The bytes are not a well-formed binary module (malformed).");
    st->validation_error = new_exc(mod, "ValidationError", st->compile_error,
                                   "The module is well-formed but fails validation (invalid).");
    st->link_error = new_exc(mod, "LinkError", st->error,
                             "Imports do not match the module's import declarations.");
    if (!st->decode_error || !st->validation_error || !st->link_error) return -1;
    PyObject *bases = Py_BuildValue("(OO)", st->error, PyExc_RuntimeError);
    if (!bases) return -1;
    st->trap = new_exc(mod, "Trap", bases,
                       "WebAssembly code trapped. .kind names the trap (e.g. 'unreachable'), "
                       ".message is the spec's wording.");
    Py_DECREF(bases);
    return st->trap ? 0 : -1;
}

/* Raises exc_type(text) with .message and .<attr> = value (consumed) set on the instance. */
static PyObject *raise_with(PyObject *exc_type, const char *text, const char *message,
                            const char *attr, PyObject *value)
{
    PyObject *exc = PyObject_CallFunction(exc_type, "s", text);
    if (!exc) goto done;
    PyObject *msg = PyUnicode_FromString(message);
    if (!msg || PyObject_SetAttrString(exc, "message", msg) < 0 ||
        (attr && PyObject_SetAttrString(exc, attr, value) < 0)) {
        Py_XDECREF(msg);
        Py_DECREF(exc);
        goto done;
    }
    Py_DECREF(msg);
    PyErr_SetObject(exc_type, exc);
    Py_DECREF(exc);
done:
    Py_XDECREF(value);
    return NULL;
}

PyObject *py_errors_raise(WkState *st, wk_error_t *err)
{
    wk_error_kind_t kind = wk_error_kind(err);
    size_t offset = wk_error_offset(err);
    PyObject *type = st->error;
    switch (kind) {
    case WK_ERROR_MALFORMED: type = st->decode_error; break;
    case WK_ERROR_INVALID: type = st->validation_error; break;
    case WK_ERROR_LINK: type = st->link_error; break;
    case WK_ERROR_RESOURCE: PyErr_SetString(PyExc_MemoryError, wk_error_message(err)); break;
    case WK_ERROR_USAGE: PyErr_SetString(PyExc_ValueError, wk_error_message(err)); break;
    default: break;
    }
    if (kind == WK_ERROR_RESOURCE || kind == WK_ERROR_USAGE) {
        wk_error_delete(err);
        return NULL;
    }
    PyObject *off = Py_NewRef(Py_None);
    if (type != st->error && offset != SIZE_MAX) {
        Py_DECREF(off);
        off = PyLong_FromSize_t(offset);
        if (!off) {
            wk_error_delete(err);
            return NULL;
        }
    }
    raise_with(type, wk_error_describe(err), wk_error_message(err), "offset", off);
    wk_error_delete(err);
    return NULL;
}

static const char *trap_kind_name(wk_trap_kind_t kind)
{
    switch (kind) {
    case WK_TRAP_UNREACHABLE: return "unreachable";
    case WK_TRAP_INT_DIV_ZERO: return "integer_divide_by_zero";
    case WK_TRAP_INT_OVERFLOW: return "integer_overflow";
    case WK_TRAP_INVALID_CONVERSION: return "invalid_conversion";
    case WK_TRAP_MEMORY_OOB: return "memory_out_of_bounds";
    case WK_TRAP_TABLE_OOB: return "table_out_of_bounds";
    case WK_TRAP_UNDEFINED_ELEMENT: return "undefined_element";
    case WK_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized_element";
    case WK_TRAP_INDIRECT_CALL_TYPE: return "indirect_call_type_mismatch";
    case WK_TRAP_STACK_EXHAUSTED: return "call_stack_exhausted";
    case WK_TRAP_INTERRUPTED: return "interrupted";
    case WK_TRAP_OUT_OF_FUEL: return "out_of_fuel";
    default: return "host";
    }
}

PyObject *py_errors_raise_trap(WkState *st, wk_trap_t *trap)
{
    Stash *stash = wk_trap_data(trap);
    if (stash && stash->tag == STASH_TAG) {
        wk_trap_take_data(trap);
        wk_trap_delete(trap);
        PyObject *exc = stash->exc;
        PyMem_RawFree(stash);
        PyErr_Restore(Py_NewRef(Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
        return NULL;
    }
    /* Interrupted by Ctrl-C: Python's SIGINT handler raises KeyboardInterrupt now. */
    if (wk_trap_kind(trap) == WK_TRAP_INTERRUPTED && PyErr_CheckSignals() < 0) {
        wk_trap_delete(trap);
        return NULL;
    }
    PyObject *kind = PyUnicode_FromString(trap_kind_name(wk_trap_kind(trap)));
    if (kind) raise_with(st->trap, wk_trap_message(trap), wk_trap_message(trap), "kind", kind);
    wk_trap_delete(trap);
    return NULL;
}

/* Finalizer of a stashed exception the runtime drops without handing it back. */
static void stash_free(void *data)
{
    Stash *stash = data;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_XDECREF(stash->exc);
    PyGILState_Release(g);
    PyMem_RawFree(stash);
}

wk_trap_t *py_errors_stash_trap(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb) PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    Stash *stash = PyMem_RawMalloc(sizeof *stash);
    if (!stash) {
        Py_XDECREF(value);
        return wk_trap_new("out of memory in a Python host function", NULL, NULL);
    }
    stash->tag = STASH_TAG;
    stash->exc = value;
    return wk_trap_new("Python exception in a host function", stash, stash_free);
}

PyObject *py_errors_link(WkState *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PyObject *msg = PyUnicode_FromFormatV(fmt, ap);
    va_end(ap);
    if (!msg) return NULL;
    PyErr_SetObject(st->link_error, msg);
    Py_DECREF(msg);
    return NULL;
}
