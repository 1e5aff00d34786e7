"""The Binder environment and the pip package declare the same packages."""

import pathlib
import re
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
# PyPI's xgboost wheel for Linux drags in CUDA libraries; xgboost-cpu is the same module.
# DuckDB's Python package is python-duckdb on conda-forge.
PIP_TO_CONDA = {"xgboost-cpu": "xgboost", "duckdb": "python-duckdb"}


def _name(requirement: str) -> str:
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower()
    return PIP_TO_CONDA.get(name, name)


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_and_pyproject_declare_the_same_packages():
    project = _pyproject()["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for r in project["optional-dependencies"]["test"]}
    env = _environment()
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    conda |= {_name(d) for d in _pip_section(env) if d != "-e ."}
    assert conda - {"python", "pip"} == declared, (
        "environment.yml and pyproject.toml disagree: only in environment.yml: "
        f"{sorted(conda - {'python', 'pip'} - declared)}, only in pyproject.toml: "
        f"{sorted(declared - conda)}"
    )


def _pip_section(env):
    sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert len(sections) == 1, "environment.yml needs exactly one pip: section"
    return sections[0]


def test_environment_yml_installs_mlref_itself_and_pins_python():
    env = _environment()
    assert env["channels"] == ["conda-forge"]
    assert _pip_section(env)[0] == "-e ."
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python"]
    assert pythons == ["python=3.11"]
    assert _pyproject()["project"]["requires-python"] == ">=3.11"


def test_pip_and_conda_lower_bounds_agree():
    project = _pyproject()["project"]
    pip_bounds = {
        _name(r): re.search(r">=\s*([\d.]+)", r).group(1)
        for r in project["dependencies"] + project["optional-dependencies"]["test"]
    }
    env = _environment()
    conda_bounds = {
        _name(d): re.search(r">=\s*([\d.]+)", d).group(1)
        for d in [*env["dependencies"], *_pip_section(env)]
        if isinstance(d, str) and ">=" in d
    }
    assert conda_bounds == pip_bounds
