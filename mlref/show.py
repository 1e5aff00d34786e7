"""Show the source code that actually runs, inside a notebook.

The course never pastes a copy of an implementation into a notebook: it calls
:func:`show_source` on the real object, so the reader sees the code that is executed, and the
stored output goes stale (and ``pytest --nbval`` fails) the moment that code changes.
"""

import ast
import inspect
import pathlib
import textwrap
from dataclasses import dataclass

_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parent


@dataclass(frozen=True)
class SourceListing:
    """Source lines of one object, rendered as highlighted code in Jupyter.

    Attributes
    ----------
    qualname : str
        Qualified name of the object, e.g. ``mlref.show.show_source``.
    location : str
        File relative to the package's parent folder, with the line range.
    code : str
        The source text, dedented.
    """

    qualname: str
    location: str
    code: str

    def __str__(self) -> str:
        return f"# {self.qualname}  ({self.location})\n{self.code}"

    def __repr__(self) -> str:
        # The plain-text form is what nbval compares, so it must hold the code itself.
        return str(self)

    def _repr_markdown_(self) -> str:
        fence = "````" if "```" in self.code else "```"
        return f"**`{self.qualname}`** — `{self.location}`\n\n{fence}python\n{self.code}{fence}\n"


def show_source(obj, *, docstring: bool = True, checks: bool = True) -> SourceListing:
    """Return the source of a function, class or method for display in a notebook.

    Parameters
    ----------
    obj : function, class, method or module
        The object to show. Properties and ``functools.partial`` objects are unwrapped.
    docstring : bool, default=True
        If False, the docstring of ``obj`` is left out, which keeps long listings readable.
    checks : bool, default=True
        If False, each run of input-validation statements at the top level of a function's body
        (calls to ``check_*`` functions, and ``if ...: raise`` blocks) is folded into one
        ``# ... input checks ...`` comment, so the listing shows the computation that teaches.

    Returns
    -------
    SourceListing
        Renders as highlighted Python in Jupyter; ``str()`` gives plain text.

    Raises
    ------
    ValueError
        If ``obj`` has no Python source (a builtin, a C extension, or an instance).

    Examples
    --------
    >>> from mlref import show_source
    >>> listing = show_source(show_source, docstring=False)
    >>> listing.code.splitlines()[0]
    'def show_source(obj, *, docstring: bool = True, checks: bool = True) -> SourceListing:'
    """
    target = _unwrap(obj)
    try:
        lines, first_line = inspect.getsourcelines(target)
        path = pathlib.Path(inspect.getsourcefile(target)).resolve()
    except (TypeError, OSError) as exc:
        raise ValueError(
            f"obj has no Python source to show ({type(obj).__name__!s} {obj!r:.60}); pass a "
            "function, class, method or module defined in Python, not an instance or a builtin"
        ) from exc
    code = textwrap.dedent("".join(lines))
    if not docstring:
        code = _strip_docstring(code)
    if not checks:
        code = _fold_checks(code)
    if not code.endswith("\n"):
        code += "\n"
    first_line = max(first_line, 1)
    last_line = first_line + len(lines) - 1
    return SourceListing(
        qualname=_qualname(target),
        location=f"{_relative(path)}, lines {first_line}-{last_line}",
        code=code,
    )


def _unwrap(obj):
    if isinstance(obj, property):
        return obj.fget
    func = getattr(obj, "func", None)  # functools.partial
    if func is not None and callable(func):
        return func
    return inspect.unwrap(obj) if callable(obj) else obj


def _qualname(obj) -> str:
    if inspect.ismodule(obj):
        return obj.__name__
    return f"{obj.__module__}.{obj.__qualname__}"


def _relative(path: pathlib.Path) -> str:
    try:
        return path.relative_to(_PACKAGE_ROOT.parent).as_posix()
    except ValueError:
        return path.name


def _strip_docstring(code: str) -> str:
    tree = ast.parse(code)
    node = tree.body[0] if tree.body and not isinstance(tree.body[0], ast.Expr) else tree
    body = getattr(node, "body", [])
    if not (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return code
    lines = code.splitlines(keepends=True)
    after = body[0].end_lineno
    if after < len(lines) and not lines[after].strip():
        after += 1
    return "".join(lines[: body[0].lineno - 1] + lines[after:])


def _is_check(statement: ast.stmt) -> bool:
    """A validation statement: a call to ``check_*``/``_check_*``, or ``if ...: raise ...``."""
    if isinstance(statement, ast.If):
        return not statement.orelse and all(isinstance(s, ast.Raise) for s in statement.body)
    value = getattr(statement, "value", None)
    if not isinstance(statement, ast.Expr | ast.Assign | ast.AnnAssign) or value is None:
        return False
    calls = value.elts if isinstance(value, ast.Tuple) else [value]
    names = [
        getattr(c.func, "id", getattr(c.func, "attr", "")) for c in calls if isinstance(c, ast.Call)
    ]
    return len(names) == len(calls) and all(n.lstrip("_").startswith("check_") for n in names)


def _fold_checks(code: str) -> str:
    tree = ast.parse(code)
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return code
    lines = code.splitlines(keepends=True)
    runs: list[list[ast.stmt]] = []
    for statement in function.body:
        if _is_check(statement):
            if runs and runs[-1][-1].end_lineno == statement.lineno - 1:
                runs[-1].append(statement)
            else:
                runs.append([statement])
    for run in reversed(runs):
        first, last = run[0].lineno - 1, run[-1].end_lineno
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        n_lines = last - first
        folded = f"{indent}# ... input checks ({n_lines} line{'s' if n_lines > 1 else ''}) ...\n"
        lines[first:last] = [folded]
    return "".join(lines)
