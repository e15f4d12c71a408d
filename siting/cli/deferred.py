"""Modules a command never uses are loaded only if something uses them.

scipy's array-API layer (imported with ``scipy.sparse``) reads every public
name of numpy once, and numpy loads a sub-package the first time its name is
read: ``numpy.f2py`` (the Fortran wrapper generator, some 60 regular
expressions compiled) and ``numpy.testing`` are loaded by every command,
about a tenth of a second, and never used; so are ``numpy.polynomial``,
``numpy.char``, ``numpy.rec``, ``numpy.strings`` and ``numpy.ctypeslib``
(a few milliseconds). While a command runs, these
modules are imported with the standard library's
:class:`importlib.util.LazyLoader`: the module object is made at once, its
code runs the first time one of its attributes is read, so whoever does use
it gets the whole module.

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

import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["DEFERRED", "DeferredFinder", "deferred_imports"]

#: Loaded when first used, not when scipy lists numpy's names.
DEFERRED = frozenset({"numpy.f2py", "numpy.testing", "numpy.polynomial", "numpy.char",
                      "numpy.rec", "numpy.strings", "numpy.ctypeslib"})


class DeferredFinder:
    """A finder (first on ``sys.meta_path``) that gives the :data:`DEFERRED` modules a
    lazy loader; every other name is left to the finders after it."""

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return None  # not a plain module: imported as usual
        spec.loader = importlib.util.LazyLoader(spec.loader)  # type: ignore[arg-type]
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
