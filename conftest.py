"""Repository-wide pytest set-up, found from any working directory.

- nbval's sanitize file is resolved against the repository root, so ``pytest --nbval`` works from
  any folder (nbval itself resolves the path against the current directory).
- The dataset fetchers read ``../shared/data`` as a local mirror when it sits beside the
  repository and ``MLREF_DATA_MIRROR`` is not set, so tests and notebooks need no network.
- BLAS runs on one thread, in this process and in the notebook kernels it starts (they inherit the
  environment): the course's matrices are small, so threads only add contention, and one thread
  fixes the order of floating-point sums, so the notebooks' printed numbers are reproducible.
- Under CI (``CI`` set, as ``.ci/run`` does) Hypothesis draws the same examples every run, so a
  red build is reproducible; local runs keep exploring new examples.
"""

import os
import pathlib

from hypothesis import settings
from threadpoolctl import threadpool_limits

ROOT = pathlib.Path(__file__).resolve().parent
SANITIZE_FILE = ROOT / "nbval_sanitize.cfg"
SHARED_DATA = ROOT.parent / "shared" / "data"
SINGLE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)
    if "MLREF_DATA_MIRROR" not in os.environ and SHARED_DATA.is_dir():
        os.environ["MLREF_DATA_MIRROR"] = str(SHARED_DATA)
    for variable in SINGLE_THREAD:
        os.environ.setdefault(variable, "1")
    threadpool_limits(limits=1)
