"""Every notebook is stored executed, in order, error-free, with clean metadata.

nbval compares stored outputs with fresh ones; these checks make sure the stored side is
something a reader can trust: a notebook saved half-run, with an error, or with another
kernel's metadata would otherwise slip through.
"""

import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALLOWED_TAGS = {"nbval-ignore-output"}  # the tag nbval reads (comment form: # NBVAL_IGNORE_OUTPUT)
FORBIDDEN_MARKERS = ("NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION", "NBVAL_CHECK_OUTPUT")
MACHINE_PATHS = re.compile(r"(/work/|/root/|/home/|/tmp/|/Users/|site-packages)")
UNSTABLE_REPRS = re.compile(r"<(?!Figure size)[\w.]+ (object )?at 0x|<matplotlib\.")


def _outputs_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    return "".join(
        "".join(v) if isinstance(v, list) else str(v)
        for k, v in output.get("data", {}).items()
        if k.startswith("text/")
    )


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_the_course_has_its_start_notebook():
    assert "00_start_here" in {p.stem for p in NOTEBOOKS}


def test_file_name_and_shape(notebook):
    path, nb = notebook
    # sections 4, 6, 7 and 9 come in two notebooks each (04a/04b, 06a/06b, 07a/07b, 09a/09b)
    assert re.fullmatch(r"(\d\d[ab]?|A\d)_[a-z0-9_]+\.ipynb", path.name)
    nbformat.validate(nb)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    headings = {
        line for c in nb.cells if c.cell_type == "markdown" for line in c.source.split("\n")
    }
    for required in ("## Summary", "## Exercises", "## References"):
        assert required in headings, f"{path.name} has no '{required}' section"


def test_clean_metadata(notebook):
    path, nb = notebook
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert nb.metadata.kernelspec.name == "python3"
    assert "version" not in nb.metadata.language_info
    for cell in nb.cells:
        assert set(cell.metadata) <= {"tags"}, (path.name, dict(cell.metadata))
        assert set(cell.metadata.get("tags", [])) <= ALLOWED_TAGS
        for output in cell.get("outputs", []):
            assert "execution" not in output.get("metadata", {})


def test_stored_executed_in_order_without_errors(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    assert all(c.source.strip() for c in code), f"{path.name} has an empty code cell"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name} is not stored as one fresh top-to-bottom run (execution counts {counts}); "
        "refresh it with tools/run_notebooks.py"
    )
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name}: an error stops Run All"
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                f"{path.name}: stderr output (a warning?) in cell {cell.source[:60]!r}"
            )


def test_outputs_are_stable_and_portable(notebook):
    path, nb = notebook
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not any(marker in cell.source for marker in FORBIDDEN_MARKERS), path.name
        for output in cell.outputs:
            text = _outputs_text(output)
            assert not MACHINE_PATHS.search(text), f"{path.name}: machine path in {text[:200]!r}"
            assert not UNSTABLE_REPRS.search(text), f"{path.name}: object repr in {text[:200]!r}"


def test_ignored_output_is_followed_by_a_checked_conclusion(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell, following in zip(code, [*code[1:], None], strict=True):
        ignored = "nbval-ignore-output" in cell.metadata.get("tags", []) or (
            "# NBVAL_IGNORE_OUTPUT" in cell.source
        )
        if ignored:
            assert following is not None and following.outputs, (
                f"{path.name}: a cell whose output is ignored must be followed by a cell that "
                "prints the stable conclusion"
            )
