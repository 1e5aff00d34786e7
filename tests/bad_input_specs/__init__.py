"""Battery entries of the bad-input sweep (tests/test_bad_input_sweep.py), one file a subpackage.

The sweep's own file holds the entries of the first subpackages; a subpackage added later brings
a module here that defines ``SPECS`` (public name → :class:`Func` or :class:`Estimator`) and,
for names that take no input, ``NO_INPUT`` (public name → reason). Keys are
``"<subpackage>.<name>"``, as in the sweep.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Func:
    """A function (or a callable built from a class) and a valid set of arguments."""

    kwargs: dict[str, Any]
    call: Any = None  # call(target, **kwargs); default target(**kwargs)
    skip: dict[str, set[str]] = field(default_factory=dict)  # arg -> mutations not applicable


@dataclass
class Estimator:
    """An estimator: valid constructor parameters, fit arguments and the methods to call after."""

    params: dict[str, Any]
    fit: dict[str, Any]
    methods: dict[str, dict[str, Any]]  # method -> kwargs (X-like input under key "X" etc.)
    skip: dict[str, set[str]] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()  # constructor parameters the battery leaves alone


def load() -> tuple[dict[str, Any], dict[str, str]]:
    """The ``SPECS`` and ``NO_INPUT`` of every module of this package, merged."""
    specs: dict[str, Any] = {}
    no_input: dict[str, str] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for key in getattr(module, "SPECS", {}):
            assert key not in specs, f"{key} has two battery entries"
        specs.update(getattr(module, "SPECS", {}))
        no_input.update(getattr(module, "NO_INPUT", {}))
    return specs, no_input
