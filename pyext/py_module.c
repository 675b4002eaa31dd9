/* The extension module wasmkiln._wasmkiln: multi-phase init, the module state (one engine,
 * every type and exception) and the module-level validate() and configure(). */
#include "engine_env.h"
#include "py_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct PyModuleDef wk_moduledef;

WkState *py_state_of_type(PyTypeObject *type)
{
    PyObject *mod = PyType_GetModuleByDef(type, &wk_moduledef);
    assert(mod);
    return PyModule_GetState(mod);
}

WkState *py_state_of(PyObject *obj)
{
    return py_state_of_type(Py_TYPE(obj));
}

PyTypeObject *py_add_type(PyObject *mod, PyType_Spec *spec, PyObject *base)
{
    PyObject *type = PyType_FromModuleAndSpec(mod, spec, base);
    if (!type) return NULL;
    if (PyModule_AddType(mod, (PyTypeObject *)type) < 0) {
        Py_DECREF(type);
        return NULL;
    }
    return (PyTypeObject *)type;
}

int py_holder_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(((HolderObject *)op)->ref);
    return 0;
}

int py_holder_clear(PyObject *op)
{
    Py_CLEAR(((HolderObject *)op)->ref);
    return 0;
}

void py_holder_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (type->tp_weaklistoffset) PyObject_ClearWeakRefs(op);
    py_holder_clear(op);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

PyDoc_STRVAR(validate_doc, "validate(bytes, /)\n--\n\n"
                           "True when bytes (any bytes-like object) is a valid WebAssembly "
                           "module, else False.\nNever raises for bad input.");

PyDoc_STRVAR(wat2wasm_doc, "wat2wasm(text, /)\n--\n\n"
                           "The binary module (bytes) of text, a module in the WebAssembly "
                           "text format.\nRaises DecodeError (line:column in the message) "
                           "for malformed text.");

static const char *const STRATEGIES[] = {"o2", "fast", "tiered", "lazy"};

/* Parses configure()'s strategy name into *out; -1 with ValueError when unknown. */
static int parse_strategy(const char *name, wk_strategy_t *out)
{
    for (size_t i = 0; i < sizeof STRATEGIES / sizeof STRATEGIES[0]; i++) {
        if (strcmp(name, STRATEGIES[i]) == 0) {
            static const wk_strategy_t values[] = {WK_STRATEGY_O2, WK_STRATEGY_FAST,
                                                   WK_STRATEGY_TIERED, WK_STRATEGY_LAZY};
            *out = values[i];
            return 0;
        }
    }
    PyErr_Format(PyExc_ValueError, "unknown strategy '%s': expected 'lazy', 'o2', 'fast' or 'tiered'",
                 name);
    return -1;
}

/* Makes `engine` the state's engine; the previous one is kept until the module is freed (a
 * compile running without the GIL may still use it). */
static int install_engine(WkState *st, wk_engine_t *engine)
{
    wk_engine_t **r = PyMem_Realloc(st->retired, (st->nretired + 1) * sizeof *r);
    if (!r) {
        wk_engine_delete(engine);
        PyErr_NoMemory();
        return -1;
    }
    st->retired = r;
    st->retired[st->nretired++] = st->engine;
    st->engine = engine;
    return 0;
}

static PyObject *py_configure(PyObject *mod, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"strategy", "cache_dir", "software_bounds", "fuel", NULL};
    WkState *st = PyModule_GetState(mod);
    wk_engine_options_t o;
    engine_env_options(&o); /* for what configure() has no argument for */
    o.strategy = wk_engine_strategy(st->engine);
    o.cache_dir = wk_engine_cache_dir(st->engine);
    o.software_bounds = wk_engine_software_bounds(st->engine);
    o.fuel = wk_engine_fuel(st->engine);
    const char *strategy = NULL;
    PyObject *cache = NULL, *bounds = NULL, *cache_bytes = NULL, *fuel = NULL; /* NULL: keep */
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$zOOO:configure", kwlist, &strategy, &cache,
                                     &bounds, &fuel))
        return NULL;
    if (fuel) o.fuel = PyObject_IsTrue(fuel) == 1;
    if (strategy && parse_strategy(strategy, &o.strategy) < 0) return NULL;
    if (cache == Py_None) o.cache_dir = NULL;
    else if (cache && !PyUnicode_FSConverter(cache, &cache_bytes)) return NULL;
    if (cache_bytes) o.cache_dir = PyBytes_AS_STRING(cache_bytes);
    if (bounds) o.software_bounds = PyObject_IsTrue(bounds) == 1;
    wk_engine_t *engine = NULL;
    wk_error_t *err = wk_engine_new_with(&o, &engine);
    Py_XDECREF(cache_bytes);
    if (err) return py_errors_raise(st, err);
    if (install_engine(st, engine) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_configuration(PyObject *mod, PyObject *unused)
{
    (void)unused;
    WkState *st = PyModule_GetState(mod);
    wk_strategy_t s = wk_engine_strategy(st->engine);
    const char *dir = wk_engine_cache_dir(st->engine);
    const char *name = s == WK_STRATEGY_FAST     ? "fast"
                       : s == WK_STRATEGY_TIERED ? "tiered"
                       : s == WK_STRATEGY_LAZY   ? "lazy"
                                                 : "o2";
    return Py_BuildValue("{s:s,s:N,s:O,s:O}", "strategy", name, "cache_dir",
                         dir ? PyUnicode_DecodeFSDefault(dir) : Py_NewRef(Py_None),
                         "software_bounds",
                         wk_engine_software_bounds(st->engine) ? Py_True : Py_False, "fuel",
                         wk_engine_fuel(st->engine) ? Py_True : Py_False);
}

PyDoc_STRVAR(configure_doc,
             "configure(*, strategy=None, cache_dir=..., software_bounds=None, fuel=None)\n"
             "--\n\n"
             "Configures the compiler for Modules and Stores created from now on (those\n"
             "created before keep theirs; an Instance of an older Module gets a Store of the\n"
             "Module's configuration; a Module and an explicit Store of different\n"
             "configurations cannot be combined: Instance raises ValueError). Arguments\n"
             "left out keep their current value; the initial values come from the\n"
             "environment (WK_JIT_OPT, WK_BOUNDS; the cache: WASMKILN_CACHE=0 turns it off,\n"
             "else WK_CACHE_DIR, $XDG_CACHE_HOME/wasmkiln or ~/.cache/wasmkiln).\n\n"
             "strategy: 'lazy' (the default: each function compiled on its first call, hot\n"
             "ones optimised in the background), 'o2' (everything optimised up front, slow to\n"
             "compile), 'fast' (quick to compile, slower code) or 'tiered' (fast code first,\n"
             "the whole module optimised in the background).\n"
             "cache_dir: an existing directory where compiled code is kept between runs, or\n"
             "None for no cache.\n"
             "software_bounds: True forces software memory bounds checks.\n"
             "fuel: True compiles fuel metering into Modules (Instance(fuel=N), slower code;\n"
             "default False).");

PyDoc_STRVAR(configuration_doc, "configuration()\n--\n\n"
                                "The current configuration as a dict with the keys strategy, "
                                "cache_dir, software_bounds and fuel (see configure()).");

static PyMethodDef wk_methods[] = {
    {"validate", py_wasm_module_validate, METH_O, validate_doc},
    {"wat2wasm", py_wasm_module_wat2wasm, METH_O, wat2wasm_doc},
    {"configure", (PyCFunction)(void (*)(void))py_configure, METH_VARARGS | METH_KEYWORDS,
     configure_doc},
    {"configuration", py_configuration, METH_NOARGS, configuration_doc},
    {NULL, NULL, 0, NULL},
};

/* The parts of the module, in dependency order (types before the types using them). */
static int (*const INITS[])(PyObject *, WkState *) = {
    py_errors_init, py_value_init,  py_types_init, py_store_init,   py_wasm_module_init,
    py_func_init,   py_memory_init, py_view_init,  py_global_init,  py_table_init,
    py_exports_init, py_instance_init, py_caller_init, py_interrupt_init, py_wasi_init,
};

/* Creates dir and its parent when missing (mode 0700); true when it is a directory now. */
static bool make_dirs(char *dir)
{
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0700);
        *slash = '/';
    }
    struct stat st;
    return (mkdir(dir, 0700) == 0 || errno == EEXIST) && stat(dir, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

/* The package's default code cache: none when WASMKILN_CACHE=0; else $WK_CACHE_DIR when set,
 * else $XDG_CACHE_HOME/wasmkiln, else ~/.cache/wasmkiln, created when missing (none when it
 * cannot be). The library itself reads no such default: it takes options. */
static const char *default_cache_dir(char *buf, size_t size)
{
    const char *off = getenv("WASMKILN_CACHE"), *dir = getenv("WK_CACHE_DIR");
    if (off && strcmp(off, "0") == 0) return NULL;
    if (dir && dir[0]) return dir;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/') n = snprintf(buf, size, "%s/wasmkiln", xdg);
    else if (home && home[0]) n = snprintf(buf, size, "%s/.cache/wasmkiln", home);
    else return NULL;
    if (n <= 0 || (size_t)n >= size) return NULL;
    return make_dirs(buf) ? buf : NULL;
}

static int wk_exec(PyObject *mod)
{
    WkState *st = PyModule_GetState(mod);
    wk_engine_options_t o;
    engine_env_options(&o);
    char dir[4096];
    o.cache_dir = default_cache_dir(dir, sizeof dir);
    wk_error_t *err = wk_engine_new_with(&o, &st->engine);
    if (err) { /* before the error types exist */
        PyErr_SetString(PyExc_MemoryError, wk_error_message(err));
        wk_error_delete(err);
        return -1;
    }
    for (size_t i = 0; i < sizeof INITS / sizeof INITS[0]; i++)
        if (INITS[i](mod, st) < 0) return -1;
    return 0;
}

/* Every PyObject * field of WkState, in order, for traverse and clear. */
static PyObject **state_objects(WkState *st, size_t *n)
{
    *n = (sizeof *st - offsetof(WkState, store_type)) / sizeof(PyObject *);
    return (PyObject **)&st->store_type;
}

static int wk_traverse(PyObject *mod, visitproc visit, void *arg)
{
    size_t n;
    PyObject **objs = state_objects(PyModule_GetState(mod), &n);
    for (size_t i = 0; i < n; i++)
        Py_VISIT(objs[i]);
    return 0;
}

static int wk_clear(PyObject *mod)
{
    size_t n;
    PyObject **objs = state_objects(PyModule_GetState(mod), &n);
    for (size_t i = 0; i < n; i++)
        Py_CLEAR(objs[i]);
    return 0;
}

static void wk_free(void *mod)
{
    wk_clear(mod);
    WkState *st = PyModule_GetState(mod);
    wk_engine_delete(st->engine);
    st->engine = NULL;
    for (size_t i = 0; i < st->nretired; i++) wk_engine_delete(st->retired[i]);
    PyMem_Free(st->retired);
    st->retired = NULL;
    st->nretired = 0;
}

static PyModuleDef_Slot wk_slots[] = {
    {Py_mod_exec, wk_exec},
    {0, NULL},
};

PyDoc_STRVAR(wk_doc, "Native part of wasmkiln: WebAssembly compiled to machine code by LLVM.");

static struct PyModuleDef wk_moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "wasmkiln._wasmkiln",
    .m_doc = wk_doc,
    .m_size = sizeof(WkState),
    .m_methods = wk_methods,
    .m_slots = wk_slots,
    .m_traverse = wk_traverse,
    .m_clear = wk_clear,
    .m_free = wk_free,
};

PyMODINIT_FUNC PyInit__wasmkiln(void)
{
    return PyModuleDef_Init(&wk_moduledef);
}
