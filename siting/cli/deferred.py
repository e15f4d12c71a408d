"""Modules a command never uses are loaded only if something uses them.

scipy's array-API layer (imported with ``scipy.sparse``) reads every public
name of numpy once, and numpy loads a sub-package the first time its name is
read: ``numpy.f2py`` (the Fortran wrapper generator, some 60 regular
expressions compiled) and ``numpy.testing`` are loaded by every command,
about a tenth of a second, and never used; so are ``numpy.polynomial``,
``numpy.char``, ``numpy.rec``, ``numpy.strings`` and ``numpy.ctypeslib``
(a few milliseconds), and pandas' own ``pandas.testing`` (its assertion helpers,
about 5 ms). While a command runs, these
modules are imported with the standard library's
:class:`importlib.util.LazyLoader`: the module object is made at once, its
code runs the first time one of its attributes is read, so whoever does use
it gets the whole module.

``scipy.sparse.csgraph`` (the street graphs' components and shortest paths)
takes one name, ``LinearOperator``, from ``scipy.sparse.linalg``, whose
package imports its solvers and all of ``scipy.linalg``: about a tenth of a
second that no command on streets uses. While a command runs, that package
is made :data:`PARTLY_DEFERRED`: the names listed come at once from the light
submodule that defines them (the very same objects), and the package's own
code runs the first time any other name is read (:class:`PartlyLoaded`).

Standard library only: :func:`siting.cli.main` installs this before anything
heavy is imported.

>>> import sys
>>> with deferred_imports():
...     any(isinstance(finder, DeferredFinder) for finder in sys.meta_path)
True
>>> any(isinstance(finder, DeferredFinder) for finder in sys.meta_path)
False
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["DEFERRED", "PARTLY_DEFERRED", "DeferredFinder", "PartlyLoaded", "deferred_imports"]

#: Loaded when first used, not when scipy lists numpy's names.
DEFERRED = frozenset({"numpy.f2py", "numpy.testing", "numpy.polynomial", "numpy.char",
                      "numpy.rec", "numpy.strings", "numpy.ctypeslib", "pandas.testing"})

#: Packages whose listed names come at once from a light submodule (package: submodule,
#: names); the package's own code runs when any other name is read.
PARTLY_DEFERRED: dict[str, tuple[str, tuple[str, ...]]] = {
    "scipy.sparse.linalg": ("scipy.sparse.linalg._interface", ("LinearOperator",)),
}

#: Held while a partly deferred package runs its code (one thread runs it; another waits).
_WHOLE = threading.RLock()


class PartlyLoaded(ModuleType):
    """A package of :data:`PARTLY_DEFERRED` whose own code has not run yet: reading a name
    it does not have yet runs that code first, then reads the name as usual."""

    def __getattr__(self, name: str) -> Any:
        loader = self.__dict__.get("__loader__")
        if isinstance(loader, PartLoader):
            loader.run_whole(self)
        return ModuleType.__getattribute__(self, name)


class PartLoader:
    """Loads a package of :data:`PARTLY_DEFERRED`: the listed names first, the rest
    (``whole``, the package's own loader) when first needed."""

    def __init__(self, whole: Any, light: str, names: tuple[str, ...]) -> None:
        self.whole = whole
        self.light = light
        self.names = names
        #: The listed names are set (before, importlib is still making the module).
        self.armed = False
        self.running = False

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return PartlyLoaded(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        if not isinstance(module, PartlyLoaded):  # a reload: the package as usual
            self.whole.exec_module(module)
            return
        try:
            light = importlib.import_module(self.light)
            found = {name: getattr(light, name) for name in self.names}
        except (ImportError, AttributeError):
            # another version of the package keeps those names elsewhere: load it whole
            self.whole.exec_module(module)
            module.__class__ = ModuleType  # type: ignore[assignment]
            return
        for name, value in found.items():
            setattr(module, name, value)
        self.armed = True

    def run_whole(self, module: ModuleType) -> None:
        """Run the package's own code once (not again from inside it, while it runs)."""
        with _WHOLE:
            if not self.armed or self.running or not isinstance(module, PartlyLoaded):
                return
            self.running = True
            try:
                self.whole.exec_module(module)
            finally:
                self.running = False
            # A plain module from now on: its names are read as any module's.
            module.__class__ = ModuleType  # type: ignore[assignment]


class DeferredFinder:
    """A finder (first on ``sys.meta_path``) that gives the :data:`DEFERRED` modules a
    lazy loader and the :data:`PARTLY_DEFERRED` packages a :class:`PartLoader`; every
    other name is left to the finders after it."""

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in DEFERRED and name not in PARTLY_DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return None  # not a plain module: imported as usual
        if name in DEFERRED:
            spec.loader = importlib.util.LazyLoader(spec.loader)  # type: ignore[arg-type]
        elif spec.submodule_search_locations is not None:  # a package, as expected
            light, names = PARTLY_DEFERRED[name]
            spec.loader = PartLoader(spec.loader, light, names)  # type: ignore[assignment]
        else:
            return None
        return spec


@contextmanager
def deferred_imports() -> Iterator[None]:
    """While inside, the :data:`DEFERRED` modules not yet imported are imported lazily.

    A module imported meanwhile stays lazy after: its loader does not need the finder.
    """
    if any(isinstance(finder, DeferredFinder) for finder in sys.meta_path):
        yield  # already in place (a command run from inside another)
        return
    finder = DeferredFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
