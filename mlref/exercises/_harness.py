"""The grading machinery behind every ``check_<name>``: run a reader's function on a battery of
cases, compare each answer with the reference, and turn the first difference into a verdict.

Nothing here raises into the notebook: whatever the reader's function does (raise, return
``None`` or a string, loop over the wrong axis, overflow, modify its input), the grader catches
it and says so in one short message.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_RTOL = 1e-6
_ATOL = 1e-9


@dataclass(frozen=True)
class Case:
    """One hidden test: the inputs, a judge of the answer, and a hint shown when it fails.

    ``args`` is passed positionally (names are only used to show the input), ``judge(received)``
    returns ``None`` when the answer is right or a sentence saying what is wrong, and
    ``expected`` is shown beside the received value. ``call(fn)`` replaces ``fn(*args)`` for
    cases that call the function more than once (reproducibility of a seeded split).
    """

    label: str
    args: dict[str, Any]
    expected: Any
    judge: Callable[[Any], str | None]
    hint: str
    call: Callable[[Callable], Any] | None = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check.

    Attributes
    ----------
    exercise : str
        The exercise graded, e.g. ``"auc_roc"``.
    status : {"passed", "failed", "not implemented", "not a function"}
    n_cases : int
        Size of the hidden battery.
    case : str or None
        Label of the first failing case.
    message : str
        The text printed by the checker.
    """

    exercise: str
    status: str
    n_cases: int
    case: str | None = None
    message: str = field(default="", repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"Verdict(exercise={self.exercise!r}, status={self.status!r})"

    def _ipython_display_(self) -> None:
        # The checker has printed the verdict already; as a cell's last value it adds nothing.
        return None


def fmt(value) -> str:
    """A short, deterministic rendering of an input or an answer."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return repr(value[:60])
    if isinstance(value, tuple | list) and not _is_numeric_list(value):
        inner = ", ".join(fmt(v) for v in value[:6])
        more = ", ..." if len(value) > 6 else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    if isinstance(value, float | int | np.floating | np.integer) and not isinstance(value, bool):
        return f"{float(value):.6g}" if isinstance(value, float | np.floating) else str(value)
    try:
        arr = np.asarray(value)
    except Exception:
        return type(value).__name__
    if arr.dtype == object:
        return type(value).__name__
    text = np.array2string(arr, precision=6, threshold=16, edgeitems=3, separator=", ")
    return " ".join(text.split())


def _is_numeric_list(value) -> bool:
    return all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in value
    )


# --- judges -----------------------------------------------------------------------------------


def as_float_array(received, name: str = "the answer") -> tuple[np.ndarray | None, str | None]:
    """``received`` as a float array, or a sentence saying why it is not numbers."""
    if received is None:
        return None, f"{name} is None: did the function forget to `return` its result?"
    if isinstance(received, str | bytes):
        return None, f"{name} is a string ({fmt(received)}), expected numbers"
    try:
        arr = np.asarray(received, dtype=np.float64)
    except Exception:
        return None, f"{name} is a {type(received).__name__} that is not numbers"
    return arr, None


def close_to(expected, *, rtol: float = _RTOL, atol: float = _ATOL, what: str = "the answer"):
    """A judge: the answer has the expected shape and values (NaN never matches)."""
    want = np.asarray(expected, dtype=np.float64)

    def judge(received):
        got, problem = as_float_array(received, what)
        if problem:
            return problem
        if got.shape != want.shape:
            if got.size == want.size == 1:
                got = got.reshape(want.shape)
            else:
                return f"{what} has shape {got.shape}, expected shape {want.shape}"
        if np.isnan(got).any():
            return f"{what} holds NaN"
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            return f"{what} differs from the expected value"
        return None

    return judge


def parts_close_to(expected, names, *, rtol: float = _RTOL, atol: float = _ATOL):
    """A judge for a tuple answer: same number of parts, each part close to its expected value."""
    judges = [
        close_to(e, rtol=rtol, atol=atol, what=n) for e, n in zip(expected, names, strict=True)
    ]

    def judge(received):
        if received is None:
            return "the answer is None: did the function forget to `return` its result?"
        if not isinstance(received, tuple | list) or len(received) != len(expected):
            return f"expected a tuple of {len(expected)} values ({', '.join(names)})"
        for part, part_judge in zip(received, judges, strict=True):
            problem = part_judge(part)
            if problem:
                return problem
        return None

    return judge


# --- running ---------------------------------------------------------------------------------


def _call(fn, case: Case):
    args = copy.deepcopy(case.args)
    if case.call is not None:
        return case.call(fn), None
    result = fn(*args.values())
    for name, before in case.args.items():
        after = args[name]
        if isinstance(before, np.ndarray) and (
            not isinstance(after, np.ndarray)
            or after.shape != before.shape
            or not np.array_equal(after, before, equal_nan=True)
        ):
            return result, f"the function modified its input {name!r} in place"
    return result, None


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, FloatingPointError | OverflowError):
        return (
            f"numerical overflow ({type(exc).__name__}: {exc}): a stable implementation never "
            "computes exp of a large positive number"
        )
    return f"the function raised {type(exc).__name__}: {str(exc)[:200]}"


def grade(exercise: str, fn, cases: list[Case]) -> Verdict:
    """Run ``fn`` on ``cases`` in order, print the verdict and return it; never raises."""
    n = len(cases)
    if not callable(fn):
        message = (
            f"[not a function] {exercise}: check_{exercise} expects your function itself, got "
            f"{type(fn).__name__}; pass the name without calling it, e.g. check_{exercise}(my_fn)"
        )
        print(message)
        return Verdict(exercise, "not a function", n, None, message)
    for index, case in enumerate(cases, start=1):
        problem = None
        received = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(over="raise", divide="ignore", invalid="ignore", under="ignore"):
                    received, problem = _call(fn, case)
                    if problem is None:
                        problem = case.judge(received)
        except NotImplementedError:
            message = (
                f"[not implemented yet] {exercise}: the function raises NotImplementedError. "
                "Write your solution in the cell above, run it, then run this check again."
            )
            print(message)
            return Verdict(exercise, "not implemented", n, None, message)
        except Exception as exc:
            problem = _describe_exception(exc)
            received = None
        if problem is not None:
            inputs = ", ".join(f"{k}={fmt(v)}" for k, v in case.args.items())
            message = "\n".join(
                [
                    f"[failed] {exercise}: case {index} of {n} ({case.label})",
                    f"  input:    {inputs}",
                    f"  expected: {fmt(case.expected)}",
                    f"  received: {fmt(received)}",
                    f"  problem:  {problem}",
                    f"  hint:     {case.hint}",
                ]
            )
            print(message)
            return Verdict(exercise, "failed", n, case.label, message)
    message = f"[passed] {exercise}: all {n} hidden cases"
    print(message)
    return Verdict(exercise, "passed", n, None, message)
