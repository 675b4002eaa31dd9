"""Linker: defines imports by module and field name, as wasmtime's Linker does, and
instantiates modules by resolving their imports from it."""

from ._wasmkiln import Function, Global, Instance, LinkError, Memory, Module, Table

_EXTERNS = (Function, Memory, Global, Table)


class Linker:
    """Linker(allow_shadowing=False)

    A namespace of imports: define(module, name, item) with a Function, Memory, Global,
    Table or Python callable (the callable gets its type from the importing module);
    define_instance(name, instance) defines every export of an instance under `name`;
    define_module(name, module) instantiates a module from this linker and defines its
    exports. instantiate(module) resolves each import of the module by (module, name):
    a missing one raises LinkError naming it and its type, a mismatched one LinkError naming
    the expected and the found type."""

    def __init__(self, allow_shadowing=False):
        self.allow_shadowing = allow_shadowing
        self._items = {}

    def define(self, module, name, item):
        if not isinstance(module, str) or not isinstance(name, str):
            raise TypeError("Linker.define(module, name, item): module and name are str")
        if not isinstance(item, _EXTERNS) and not callable(item):
            raise TypeError(f"Linker.define: {module}.{name} must be a Function, Memory, Global,"
                            f" Table or callable, got {type(item).__name__}")
        if (module, name) in self._items and not self.allow_shadowing:
            raise LinkError(f"{module}.{name} is already defined (Linker(allow_shadowing=True) "
                            "replaces definitions)")
        self._items[(module, name)] = item
        return self

    def define_func(self, module, name, type, callable, *, access_caller=False):
        return self.define(module, name, Function(type, callable, access_caller=access_caller))

    def define_instance(self, name, instance):
        for field, item in instance.exports.items():
            self.define(name, field, item)
        return self

    def define_module(self, name, module):
        instance = self.instantiate(module)
        self.define_instance(name, instance)
        return instance

    def get(self, module, name, default=None):
        return self._items.get((module, name), default)

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def _resolve(self, module):
        imports = []
        for imp in module.imports:
            item = self._items.get((imp.module, imp.name))
            if item is None:
                raise LinkError(f"unknown import: {imp.module}.{imp.name} ({_type_str(imp.type)}) "
                                "is not defined in the linker")
            imports.append(item)
        return imports

    def instantiate(self, module):
        """The instance of module (a Module or bytes) with its imports from this linker."""
        if not isinstance(module, Module):
            module = Module(module)
        return Instance(module, self._resolve(module))

    def __repr__(self):
        return f"<wasmkiln.Linker with {len(self._items)} definitions>"


def _type_str(t):
    name = type(t).__name__
    if name == "FunctionType":
        return f"func ({', '.join(t.params)}) -> ({', '.join(t.results)})"
    if name == "MemoryType":
        return f"memory {t.minimum}" + (f"..{t.maximum}" if t.maximum is not None else "")
    if name == "TableType":
        return f"table {t.minimum} {t.element}"
    if name == "GlobalType":
        return f"global {'mut ' if t.mutable else ''}{t.type}"
    return repr(t)
