"""What the worker fork server loads once, so that every worker forked from it starts warm.

A spawned worker would import numpy, scipy, pyarrow, numba and the runner, and initialise
Numba's compiler target, before its first run: about two seconds of CPU per worker, paid again
by every worker of every job. The fork server pays it once, in the background while the parent
validates the scenario, and each worker is a fork of it. Nothing here may fail the server:
warming is only an optimisation, so errors are left for the worker to meet (and report).
"""

from __future__ import annotations

import contextlib


def warm() -> None:
    """Import the runner's heavy dependencies and load one cached Numba kernel (which
    initialises Numba's compiler target)."""
    import numpy
    import pyarrow.parquet  # noqa: F401
    import scipy.special  # noqa: F401

    import simengine.runner.shard  # noqa: F401
    from simengine.sampling.philox import philox_uniforms

    philox_uniforms(numpy.arange(1), (1, 2), 1, slot=0)


with contextlib.suppress(Exception):  # a worker meets the same error, and reports it
    warm()
