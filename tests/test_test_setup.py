"""The notebook test set-up itself: sanitize config, data mirror and Binder settings."""

import json
import os
import pathlib
import re

from nbval.plugin import get_sanitize_patterns

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_sanitize_file_is_resolved_against_the_repository_root(request):
    configured = pathlib.Path(request.config.option.nbval_sanitize_with)
    assert configured.is_absolute() and configured == ROOT / "nbval_sanitize.cfg"


def test_sanitize_patterns_mask_only_volatile_strings():
    patterns = get_sanitize_patterns((ROOT / "nbval_sanitize.cfg").read_text())
    assert len(patterns) == 4

    def sanitize(text):
        for regex, replacement in patterns:
            text = re.sub(regex, replacement, text)
        return text

    assert sanitize("<Foo at 0x7f18c05f8d90>") == "<Foo at 0xADDRESS>"
    assert sanitize('File "/tmp/ipykernel_4242/123456.py", line 3') == (
        'File "<kernel-cell>", line 3'
    )
    assert sanitize("3.1 ms ± 20.5 µs per loop") == "<duration ± spread> per loop"
    assert sanitize("p99 measured in 12.5 ms") == "p99 measured in <duration>"
    stable = "AUC 0.8125, NDCG@10 0.4431, 15,211 rows, 0x12 is short, 1.5 s budget"
    assert sanitize(stable) == stable


def test_tests_read_the_shared_data_as_a_mirror_when_it_is_beside_the_clone():
    shared = ROOT.parent / "shared" / "data"
    if shared.is_dir():
        assert os.environ["MLREF_DATA_MIRROR"]
        assert pathlib.Path(os.environ["MLREF_DATA_MIRROR"]).is_dir()


def test_binder_post_build_installs_a_valid_jupyterlab_override():
    post_build = (ROOT / "postBuild").read_text()
    assert post_build.startswith("#!/bin/bash") and "set -e" in post_build
    assert os.access(ROOT / "postBuild", os.X_OK)
    source = re.search(r"cp (\S+) ", post_build).group(1)
    settings = json.loads((ROOT / source).read_text())
    assert settings["@jupyterlab/apputils-extension:notification"] == {
        "checkForUpdates": False,
        "fetchNews": "false",
    }
    assert not (ROOT / "binder").exists(), "a binder/ folder would make Binder ignore root files"


def test_blas_runs_on_one_thread_in_tests_kernels_and_binder():
    from threadpoolctl import threadpool_info

    assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"  # inherited by the notebook kernels
    start = (ROOT / "start").read_text()
    assert os.access(ROOT / "start", os.X_OK) and start.rstrip().endswith('exec "$@"')
    assert "OPENBLAS_NUM_THREADS=1" in start
    assert "OPENBLAS_NUM_THREADS" in (ROOT / "tools" / "run_notebooks.py").read_text()


def test_hypothesis_is_derandomized_under_ci():
    from hypothesis import settings

    assert settings.get_profile("ci").derandomize
    if os.environ.get("CI"):
        assert settings.default.derandomize
