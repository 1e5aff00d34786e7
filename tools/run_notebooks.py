"""Re-execute course notebooks in place, the way ``pytest --nbval`` will run them.

Usage (from anywhere, in the environment the tests use)::

    python tools/run_notebooks.py                 # every notebook in notebooks/
    python tools/run_notebooks.py 00 02_evaluation_metrics.ipynb   # by prefix or file name

Each notebook runs top to bottom in a fresh kernel of *this* Python interpreter, with the
notebook's folder as working directory and the data mirror set as the tests set it. As
``.ci/run`` does, a throw-away ``redis-server`` (if installed and ``MLREF_REDIS_URL`` is unset) is
started on a free loopback port for notebook 07b's online store, and stopped at the end. Outputs
are written back with clean metadata (kernelspec and language only, no execution timestamps), and
``notebooks/outputs_made_with.txt`` records the package versions that produced them.
"""

import argparse
import importlib.metadata
import json
import os
import pathlib
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SHARED_DATA = ROOT.parent / "shared" / "data"
VERSIONS_FILE = NOTEBOOKS / "outputs_made_with.txt"
RECORDED_PACKAGES = (
    "mlref", "numpy", "pandas", "scipy", "scikit-learn", "xgboost", "xgboost-cpu", "shap",
    "matplotlib", "ipykernel", "ipywidgets", "nbval", "nbclient", "pytest",
)  # fmt: skip

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
CELL_METADATA_KEPT = ("tags",)


def select(names):
    every = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        stem = pathlib.Path(name).name.removesuffix(".ipynb")
        hits = [p for p in every if p.stem == stem or p.stem.startswith(stem + "_")]
        if len(hits) != 1:
            known = ", ".join(p.stem for p in every)
            raise SystemExit(f"notebook {name!r} matches {len(hits)} notebooks; known: {known}")
        chosen.extend(hits)
    return chosen


def clean(nb):
    nb.metadata = nbformat.NotebookNode(
        kernelspec=nbformat.NotebookNode(KERNELSPEC),
        language_info=nbformat.NotebookNode(LANGUAGE_INFO),
    )
    for cell in nb.cells:
        kept = {k: v for k, v in cell.metadata.items() if k in CELL_METADATA_KEPT and v}
        cell.metadata = nbformat.NotebookNode(kept)
        for output in cell.get("outputs", []):
            if "metadata" in output:
                output.metadata = nbformat.NotebookNode(
                    {k: v for k, v in output.metadata.items() if k != "execution"}
                )
    return nb


def current_env_kernel(folder: pathlib.Path) -> None:
    """Make ``python3`` mean this interpreter, whatever kernels the user has installed."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (ipykernel)", "language": "python"})
    )
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(folder), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    )


def record_versions() -> None:
    lines = [f"python {platform.python_version()}"]
    for name in RECORDED_PACKAGES:
        try:
            lines.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    VERSIONS_FILE.write_text(
        "# Package versions that produced the stored notebook outputs (tools/run_notebooks.py)\n"
        + "\n".join(lines)
        + "\n"
    )


def start_redis(folder: pathlib.Path):
    """A redis-server on a free 127.0.0.1 port, exported as MLREF_REDIS_URL; None if absent."""
    if "MLREF_REDIS_URL" in os.environ or shutil.which("redis-server") is None:
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    else:  # never answered: run without it (07b then uses its in-memory store)
        server.terminate()
        print("redis-server did not start; notebooks use the in-memory online store")
        return None
    os.environ["MLREF_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    print(f"redis-server on {os.environ['MLREF_REDIS_URL']}")
    return server


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook file names or numeric prefixes")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    if "MLREF_DATA_MIRROR" not in os.environ and SHARED_DATA.is_dir():
        os.environ["MLREF_DATA_MIRROR"] = str(SHARED_DATA)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")  # as conftest.py: the tests' kernels use one thread
    with tempfile.TemporaryDirectory() as jupyter_dir:
        current_env_kernel(pathlib.Path(jupyter_dir))
        redis = start_redis(pathlib.Path(jupyter_dir))
        try:
            run(select(args.names), args.timeout)
        finally:
            if redis is not None:
                redis.terminate()
                redis.wait(timeout=10)
                del os.environ["MLREF_REDIS_URL"]
    record_versions()
    return 0


def run(paths, timeout: int) -> None:
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        start = time.perf_counter()
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        nbformat.validate(nb)
        nbformat.write(clean(nb), path)
        print(f"{path.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
