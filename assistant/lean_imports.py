"""Importing a library without the optional packages it pulls in but the question path never uses.

`lean(hidden=..., stand_ins=...)` is a `with` block around an import:
- a *hidden* package fails to import inside it, as if it were not installed, so a library that treats it as
  optional records it as absent (thinc and torch; bm25s and scipy);
- a *stand-in* is an empty placeholder module, for a package a library imports unconditionally at import time only
  to register or re-export something the product does not use (medspaCy's `medspacy.util` imports QuickUMLS, and
  with it nltk, scikit-learn, scipy and pandas: about 2 s; spaCy's `__init__` re-exports `spacy.info` from its
  command-line package, which imports every CLI command: about 0.3 s). A name taken from a stand-in is a function
  that imports the real module when called and calls the real name (`spacy.info()` still works);
- a *deferred* package is imported only when a name is first taken from it: the library holds a placeholder whose
  attributes are the real module's (imported then), so `isinstance(x, pd.DataFrame)` is the real test. For a
  package imported at the top of a library for features the product does not use (Gradio's `pandas`, for its
  dataframe and plot components, its `gr.Cache` and its monitoring page: about 40 MB of the server's memory).

Nothing outlives the block: the finder is removed and stand-ins leave `sys.modules`, so a later `import` of any of
these packages (ingest's torch, a test's scipy, `import quickumls`) loads the real one. A package already imported
is left as it is. The block is for imports made at start-up or under a lock: while it lasts, another thread's import
of a hidden package fails too.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager


def _covered(name: str, packages: frozenset[str]) -> bool:
    """`name` is one of `packages` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in packages)


class _StandIn(types.ModuleType):
    """An empty package; each name taken from it is a function that calls the real one (imported then)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _deferred(self.__name__, name)


_REALISED: set[str] = set()  # deferred packages a placeholder has since imported for real


class _Deferred(types.ModuleType):
    """A placeholder package: the first name taken from it imports the real module, which answers from then on."""

    def __getattr__(self, name: str):
        return getattr(_realise(self.__name__), name)


def _realise(name: str) -> types.ModuleType:
    import importlib

    _REALISED.add(name.split(".")[0])
    for key in [k for k in sys.modules if k == name or k.startswith(name.split(".")[0] + ".")]:
        if isinstance(sys.modules[key], _Deferred):
            del sys.modules[key]
    return importlib.import_module(name)


def _deferred(module: str, name: str):
    def stand_in(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    stand_in.__qualname__ = stand_in.__name__ = name
    stand_in.__module__ = module
    return stand_in


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, hidden: frozenset[str], stand_ins: frozenset[str],
                 deferred: frozenset[str] = frozenset()) -> None:
        self.hidden = hidden
        self.stand_ins = stand_ins
        self.deferred = deferred
        self.made: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if _covered(name, self.hidden):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        if _covered(name, self.stand_ins) or (_covered(name, self.deferred) and name.split(".")[0] not in _REALISED):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Deferred(spec.name) if _covered(spec.name, self.deferred) else _StandIn(spec.name)
        module.__path__ = []
        self.made.append(spec.name)
        return module

    def exec_module(self, module) -> None:
        return None


@contextmanager
def lean(hidden: tuple[str, ...] = (), stand_ins: tuple[str, ...] = (),
         deferred: tuple[str, ...] = ()) -> Iterator[None]:
    """Inside the block, `hidden` packages are absent, `stand_ins` empty placeholders and `deferred` ones imported
    when first used. Names are top-level packages ("torch") or subpackages ("spacy.cli", covering its submodules);
    imported ones are untouched."""
    finder = _Finder(frozenset(n for n in hidden if n not in sys.modules),
                     frozenset(n for n in stand_ins if n not in sys.modules),
                     frozenset(n for n in deferred if n not in sys.modules))
    if not finder.hidden and not finder.stand_ins and not finder.deferred:
        yield
        return
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in finder.made:
            if isinstance(sys.modules.get(name), _StandIn | _Deferred):
                del sys.modules[name]
