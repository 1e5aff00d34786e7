"""Input checks specific to the float32 computations of :mod:`mlref.serving`."""

from __future__ import annotations

import numpy as np

from mlref._validation import as_array, check_array_1d, check_array_2d

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_float32(x, name: str, check=check_array_2d) -> np.ndarray:
    """``check(x, name)`` (finite, non-empty, the right shape) as float32, without overflow.

    Casting a finite value beyond float32's range (about ±3.4e38, e.g. 1e308) to float32 gives
    ``inf`` with only a warning, and the inf would then turn into NaN scores; such a value is
    refused with a message naming ``name``. A float32 input is checked without a copy.
    """
    arr = as_array(x, name, None)
    if arr.dtype == np.float32:
        return check(arr, name, dtype=np.float32)
    arr = check(arr, name, dtype=np.float64)
    if np.abs(arr).max() > _FLOAT32_MAX:
        raise ValueError(
            f"{name} holds values beyond the float32 range (±{_FLOAT32_MAX:.3g}), which this "
            "float32 computation would overflow to inf; rescale it"
        )
    return arr.astype(np.float32)


def as_int64_1d(x, name: str) -> np.ndarray:
    """``check_array_1d(x, name, dtype=np.int64)``, refusing floats beyond the int64 range.

    NumPy casts such a float (e.g. 1e308) to an arbitrary integer with only a warning.
    """
    arr = check_array_1d(x, name, dtype=None)
    if arr.dtype.kind == "f" and np.abs(arr).max() >= 2.0**63:
        raise ValueError(f"{name} holds values beyond the int64 range; pass integer ids")
    return check_array_1d(arr, name, dtype=np.int64)
