"""README promises: two set-up commands, the Binder badge, and a notebook table that is true."""

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def _shell_blocks(section: str):
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def test_setup_section_has_exactly_two_one_line_commands():
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    blocks = _shell_blocks(setup)
    assert len(blocks) == 2, blocks
    assert all(block.count("\n") == 1 for block in blocks), "each command must be one line"
    open_course, run_tests = (b.strip() for b in blocks)
    assert (
        "pip install -e ." in open_course and "jupyter lab notebooks/00_start_here" in open_course
    )
    assert 'pip install -e ".[test]"' in run_tests and run_tests.endswith("pytest --nbval")


def test_ci_runs_the_readme_test_command():
    extracted = subprocess.run(
        ["bash", "-c", "sed -n '/<!-- test-command -->/,/^```$/p' README.md | sed -n '3p'"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert extracted.endswith("pytest --nbval")
    assert extracted in README
    assert "test-command" in (ROOT / ".ci" / "run").read_text()


def test_binder_badge_opens_jupyterlab_at_the_first_notebook():
    badge = re.search(r"https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/HEAD\?urlpath=(\S+)\)", README)
    assert badge is not None
    assert badge.group(1) == "lab/tree/notebooks/00_start_here.ipynb"
    assert "00_start_here.ipynb" in NOTEBOOKS


def test_notebook_table_links_every_notebook_and_nothing_else():
    linked = re.findall(r"\]\(notebooks/([\w.-]+\.ipynb)\)", README)
    assert sorted(linked) == NOTEBOOKS
    rows = re.findall(
        r"^\| \[?(\w+?)\]?(?:\(notebooks/\S+\))? \|.*\| (ready|planned) \|$", README, re.M
    )
    # 00, 01-10 with sections 4, 6, 7 and 9 in two (04a/b, 06a/b, 07a/b, 09a/b), A1-A4
    assert len(rows) == 19
    for stem, status in rows:
        assert (status == "ready") == (f"{stem}.ipynb" in NOTEBOOKS), stem
