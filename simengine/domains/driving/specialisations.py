"""``run_batch`` and the functions it calls, with their argument types.

On a cold Numba cache the runner compiles ``run_batch`` (:data:`KERNELS`) while a child process
compiles its callees (:data:`KERNEL_HELPERS`, last first; :class:`simengine.jit.BackgroundCompile`)
— the compile then uses both cores. The sampler's ``uniforms`` is among the helpers: the parent
compiles the kernel before it samples anything, so the child has time to reach it. The helpers
are in the order ``run_batch`` first meets them. ``tests/domains/driving/test_specialisations.py``
runs one run on an empty cache and checks that these lists are exactly what it compiled;
regenerate them from that test's message when a signature changes. A stale entry costs time,
never correctness.
"""

from __future__ import annotations

from simengine.jit import Specialisation

__all__ = ["KERNELS", "KERNEL_HELPERS"]

_KERNEL = "simengine.domains.driving.kernel"
_GEOMETRY = "simengine.domains.driving.geometry"
_METRICS = "simengine.domains.driving.metrics"
_EPISODE = "simengine.domains.driving.episode"
_SAMPLING = "simengine.sampling._philox_numba"
_WEATHER = "simengine.weather.events"

_TYPES = {"f": "float64", "i": "int64", "a": "float64[::1]", "m": "float64[:, ::1]",
          "s": "float64[:, :, ::1]", "r": "float64[:, :, :, ::1]", "n": "int64[::1]",
          "k": "int64[:, ::1]", "b": "boolean[::1]", "t": "boolean", "o": "none"}


def _spec(module: str, function: str, args: str) -> Specialisation:
    """``args`` in shorthand: one letter per argument type (``f`` float64, ``i`` int64, ``a``
    1-D float64 array, ``m``, ``s``, ``r`` 2-, 3-, 4-D float64 arrays, ``n``, ``k`` 1-, 2-D int64
    arrays, ``b`` 1-D bool array, ``t`` bool, ``o`` None),
    a count after a letter repeating it: ``"i2 a4 f"`` is two ints, four arrays, a float."""
    types = []
    for token in args.split():
        types += [_TYPES[token[0]]] * int(token[1:] or 1)
    trailing = "," if len(types) == 1 else ""  # "(float64,)": a tuple of one type
    return Specialisation(module, function, f"({', '.join(types)}{trailing})")


KERNELS: tuple[Specialisation, ...] = (
    _spec(_KERNEL, "run_batch",
          "k m14 b m3 s n2 m4 n a n4 m a3 m5 f i f2 i m n t r2 m i2 t o4 f"),
)
"""What a run calls: the runner compiles these itself, first."""

KERNEL_HELPERS: tuple[Specialisation, ...] = (
    _spec(_SAMPLING, "uniforms", "n i4"),
    _spec(_EPISODE, "reset_run", "i m6 a8 n2 b4 m3 b a"),
    _spec(_KERNEL, "_idm_root", "f2"),
    _spec(_KERNEL, "_half_extent_x", "f3"),
    _spec(_KERNEL, "_half_extent_y", "f3"),
    _spec(_KERNEL, "_extents", "a5"),
    _spec(_KERNEL, "_sort_by_x", "a n2 a"),
    _spec(_KERNEL, "_ahead_gap", "i2 a4 f"),
    _spec(_GEOMETRY, "_radius_on_axis", "f6"),
    _spec(_GEOMETRY, "_axis_overlap", "f12"),
    _spec(_GEOMETRY, "_corner", "f6 i"),
    _spec(_GEOMETRY, "_point_box_distance", "f8"),
    _spec(_GEOMETRY, "box_signed_distance", "f10"),
    _spec(_METRICS, "ttc", "f2"),
    _spec(_KERNEL, "_trigger_values", "a n3 f i a9 m"),
    _spec(_KERNEL, "_eval", "n a i2 a"),
    _spec(_EPISODE, "_arc_zone", "i m f7"),
    _spec(_EPISODE, "start_action", "i2 f2 a5 n a2 b a4 b2 a5 m f"),
    _spec(_KERNEL, "_hi", "f2"),
    _spec(_KERNEL, "_lo", "f2"),
    _spec(_KERNEL, "_path_leader", "i a6 f"),
    _spec(_KERNEL, "_idm", "f9"),
    _spec(_KERNEL, "_own_path_accel", "f i f2 t f13"),
    _spec(_WEATHER, "local_visibility_m", "f3 a5"),
    _spec(_GEOMETRY, "segment_hits_box", "f9"),
    _spec(_KERNEL, "_cos0", "f"),
    _spec(_KERNEL, "_neighbours", "i f a4 n2 a f"),
    _spec(_KERNEL, "_accel", "i2 f i a m4 a m"),
    _spec(_KERNEL, "_mobil", "i2 a5 m4 a m2 i f b a4 n2 a f"),
    _spec(_KERNEL, "_drive_own_path", "i f a3 b a4"),
    _spec(_KERNEL, "_apart", "f3"),
    _spec(_KERNEL, "_static_contacts", "i2 s a7 b f6"),
    _spec(_METRICS, "mttc", "f3"),
    _spec(_METRICS, "time_headway", "f2"),
    _spec(_METRICS, "drac", "f2"),
    _spec(_METRICS, "conflict_type", "f2"),
    _spec(_GEOMETRY, "box_overlaps_rect", "f9"),
    _spec(_KERNEL, "_zone_times", "i m a5 m2 f"),
    _spec(_EPISODE, "record_step", "i2 a5 r"),
    _spec(_EPISODE, "finish_run", "a m2 f14"),
)
