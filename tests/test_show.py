import functools
import inspect

import pytest

import mlref
from mlref._validation import check_array_1d, check_bool, check_positive_int
from mlref.show import SourceListing, show_source


def _example(x, *, scale=2):
    """Double a number.

    Not used anywhere but in these tests.
    """
    return x * scale


class _Example:
    """A class with a method and a property."""

    def method(self):
        return 1

    @property
    def prop(self):
        return 2


def test_shows_the_real_source_with_location():
    listing = show_source(_example)
    assert isinstance(listing, SourceListing)
    assert listing.code == inspect.getsource(_example)
    first = inspect.getsourcelines(_example)[1]
    assert listing.location.endswith(f"lines {first}-{first + 5}")
    assert listing.qualname.endswith("test_show._example")


def test_plain_and_markdown_forms_hold_the_code():
    listing = show_source(mlref.show_source)
    assert "def show_source(obj" in repr(listing)
    assert repr(listing).startswith("# mlref.show.show_source  (mlref/show.py, lines ")
    markdown = listing._repr_markdown_()
    assert "```python\n" in markdown and markdown.rstrip().endswith("```")


def test_docstring_can_be_left_out():
    code = show_source(_example, docstring=False).code
    assert "Double a number" not in code and "Not used anywhere" not in code
    assert code == "def _example(x, *, scale=2):\n    return x * scale\n"
    cls_code = show_source(_Example, docstring=False).code
    assert "A class with" not in cls_code and "def method(self):" in cls_code


def test_methods_are_dedented_and_wrappers_unwrapped():
    assert show_source(_Example.method).code.startswith("def method(self):")
    assert show_source(_Example.prop).code.startswith("@property\ndef prop(self):")
    assert show_source(functools.partial(_example, scale=3)).qualname.endswith("_example")

    @functools.wraps(_example)
    def wrapper(*args, **kwargs):
        return _example(*args, **kwargs)

    assert show_source(wrapper).code == inspect.getsource(_example)


@pytest.mark.parametrize("obj", [len, 3, object()])
def test_objects_without_python_source_raise_a_clear_error(obj):
    with pytest.raises(ValueError, match="obj has no Python source"):
        show_source(obj)


def _validated(x, flag=True):
    """A function whose first statements only check its input."""
    x = check_array_1d(x, "x")
    check_bool(flag, "flag")
    if x.size > 10:
        raise ValueError("too long")
    total = x.sum()
    check_positive_int(3, "k")
    return total * 2


def test_checks_false_folds_each_run_of_input_checks_into_one_comment():
    code = show_source(_validated, docstring=False, checks=False).code
    assert code.splitlines() == [
        "def _validated(x, flag=True):",
        "    # ... input checks (4 lines) ...",
        "    total = x.sum()",
        "    # ... input checks (1 line) ...",
        "    return total * 2",
    ]
    full = show_source(_validated, docstring=False).code
    assert "check_bool(flag" in full and "raise ValueError" in full
