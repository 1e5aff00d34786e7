"""Compiled loops for the few hot paths that NumPy cannot vectorise, through Numba when present.

The course's algorithms are written and shown in NumPy. A handful of inner loops touch every
(row, feature) or (node, bin) cell once in a dependent chain (a histogram's scatter-add, a
running sum that restarts at each feature, a per-query sort), which NumPy can only do in several
full passes. For those, a module keeps its NumPy function as the readable reference and adds a
loop compiled with :func:`njit`; callers use the loop only when :func:`compiled_enabled` says so,
and the tests check that both give the same floats.

Numba is an install dependency of the course; without it (or with ``MLREF_NUMBA=0`` in the
environment, or inside :func:`numpy_only`) every caller takes its NumPy path, bit for bit the same
result, only slower.

The first call of a kernel in a fresh environment compiles it (a few seconds); the machine code is
cached next to the module (``__pycache__/*.nbi, *.nbc``) and loaded by later processes. Numba
keys that cache on the kernel's own source file: after changing the options in :func:`njit`,
delete those files.
"""

import contextlib
import os

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; kept importable without it
    numba = None

_switched_off = False


def compiled_enabled() -> bool:
    """True when the compiled loops may be used (Numba importable, not switched off)."""
    return numba is not None and not _switched_off and os.environ.get("MLREF_NUMBA", "1") != "0"


@contextlib.contextmanager
def numpy_only():
    """Run the block with every caller on its NumPy path (to compare, or to read along).

    Examples
    --------
    >>> from mlref._compiled import compiled_enabled, numpy_only
    >>> with numpy_only():
    ...     compiled_enabled()
    False
    """
    global _switched_off
    before = _switched_off
    _switched_off = True
    try:
        yield
    finally:
        _switched_off = before


def njit(function):
    """Compile ``function`` with ``numba.njit`` (cached on disk, GIL released, NumPy's float
    semantics: ``x / 0`` is ``inf`` or ``nan``, not an exception); without Numba, return it
    unchanged (callers then take their NumPy path, see :func:`compiled_enabled`)."""
    if numba is None:  # pragma: no cover
        return function
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)
