"""An import hook that runs a callback right after a module is first imported.

Auto-seeding (seed a framework when the program imports it), the watch on a program's own seeding calls,
the pytest plugin and the locator's instrumentation all wait for a module's first import this way; it
lives apart so that none of them imports another for it. It imports nothing the interpreter has not
loaded at start (every auto-seeded process pays for it).
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType


class SeedOnImport:
    """A meta path finder that runs ``callback(module, framework)`` once, right after ``module`` is
    first executed. It finds the module with the finders after it and wraps only that spec's loader,
    so the module, its spec and its loader's type are what they would be without seedlock."""

    def __init__(self, hooks: dict[str, str], callback: "Callable[[str, str], None]") -> None:
        self._hooks = hooks
        self._callback = callback
        self._looking: set[str] = set()

    def forget(self, frameworks: set[str], keep: "Mapping[str, str] | None" = None) -> None:
        """Stop watching the modules of ``frameworks``; a module in ``keep`` is watched on for the
        extension it maps to (its seeder still waits for it)."""
        for module in [m for m, fw in self._hooks.items() if fw in frameworks]:
            if keep and module in keep:
                self._hooks[module] = keep[module]
            else:
                del self._hooks[module]
        if not self._hooks and self in sys.meta_path:
            sys.meta_path.remove(self)

    def fire(self, module: str) -> None:
        framework = self._hooks.pop(module, None)
        if not self._hooks and self in sys.meta_path:
            sys.meta_path.remove(self)  # nothing left to watch: stop costing every import a lookup
        if framework is not None:
            self._callback(module, framework)

    def find_spec(
        self, fullname: str, path: "Sequence[str] | None" = None, target: "ModuleType | None" = None
    ) -> "ModuleSpec | None":
        if fullname not in self._hooks or fullname in self._looking:
            return None  # another such finder asking the rest of sys.meta_path, this one included
        spec = None
        self._looking.add(fullname)
        try:
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._looking.discard(fullname)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or isinstance(loader, type) or not hasattr(loader, "exec_module"):
            return None  # not found, a namespace package or a class-level loader: import it the usual way
        original = loader.exec_module

        def exec_module(module: "ModuleType") -> None:
            try:
                original(module)
            finally:
                try:
                    del loader.exec_module  # type: ignore[method-assign]
                except AttributeError:
                    pass
            self.fire(fullname)

        try:
            loader.exec_module = exec_module  # type: ignore[method-assign]
        except AttributeError:
            return None
        return spec
