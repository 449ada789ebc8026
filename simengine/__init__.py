"""simengine: declarative scenarios → Monte Carlo simulation → labeled corpora.

Importing the package is light on purpose (no pyarrow, numba, pybullet, cv2 or dask): the heavy
modules load only when a run needs them. The public Python API lives in :mod:`simengine.api`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simengine")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
