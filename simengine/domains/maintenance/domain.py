"""The maintenance domain: fleets that wear out, fail and get repaired, with labeled sensors.

One run is one plant over ``duration_s``. Outcomes (one row per run):

- ``failures`` (count of failures, all unplanned), ``any_failure`` (bool; margin
  ``failure_margin_h``), ``first_failure_h`` (realised, or projected beyond the horizon from the
  parts' remaining effective life at the horizon's ageing rate; capped at 1e9),
  ``failure_margin_h`` = horizon − first_failure_h (> 0 exactly when a failure happened);
- ``preventive_actions`` (condition-based, age-based and opportunistic replacements),
  ``false_alarms`` (alarms whose diagnosed part showed no fault: inspected, nothing replaced),
  ``downtime_h`` (machine-hours down), ``availability``, ``production_loss`` (units not produced:
  downtime × ``production_per_h``), ``wait_crew_h``, ``wait_spare_h``,
  ``max_concurrent_repairs``;
- ``min_health`` (lowest part health reached, 0 = failed), ``overheat_h`` (machine-hours running
  above ``thermal.max_temperature_c``), ``max_ambient_c``.

Streams:

- ``timeseries`` — one row per machine and step: ``run``, ``machine``, ``split`` (per machine),
  ``t_h``, ``running``, ``regime``, the regimes' operating settings, ``ambient_c``, the
  channels (unit in the name's suffix, see :data:`streams.UNITS`), and labels: ``health`` (worst
  part, 0..1), ``health_<part>``, ``fault_mode`` (fault of the worst part once its health is
  below its ``onset_health``, else ``none``), ``fault_onset`` (first row of a fault), ``rul_h``
  (hours to the failure of the first part to fail on the realised path; ``rul_censored`` when
  that part is replaced first or outlives the run and the value is projected), closed-form RUL
  of the worst part given its state (``rul_mean_h``, ``rul_p10_h``, ``rul_p50_h``,
  ``rul_p90_h``; Weibull residual life at its virtual age, inverse Gaussian first passage
  for Wiener wear, Gamma-process first passage for Gamma wear, exact for deterministic
  models; effective hours at the current ageing rate), ``sensor_fault`` (none, drift,
  stuck, dropout, spike) and ``sensor_fault_channel``. ``machine``, ``split``, ``regime``,
  ``fault_mode``, ``sensor_fault`` and ``sensor_fault_channel`` are categorical (Parquet
  dictionary) columns whose categories are every value the scenario can produce; the stream
  comes in chunks of whole machines (about 131,072 rows), machine after machine, each in time
  order;
- ``events`` — failures, alarms, age limits, restarts, cascade starts and ends;
- ``maintenance_log`` — one row per part maintained or inspected (action: corrective,
  condition_based, time_based, opportunistic, false_alarm; request/start/end, waits, repair
  time, virtual age and damage before and after, alarm channel and reading);
- ``vibration`` — kHz accelerometer windows of machines with ``vibration:`` (``accel_g`` is a
  (windows, samples) array: a fixed-size list column), with health, fault mode and RUL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from simengine.domains.base import OUTCOMES, Chunk, Columns, Domain, StreamSpec
from simengine.domains.maintenance.model import MaintenanceLabels, MaintenanceWorld
from simengine.sampling.keys import RunKeys
from simengine.scenario.expressions import ColumnInfo

__all__ = ["MaintenanceDomain"]

INTS = ("failures", "preventive_actions", "false_alarms", "max_concurrent_repairs")


class MaintenanceDomain(Domain):
    name = "maintenance"
    description = ("Fleets that wear out and get repaired: simpy plant, degradation physics, "
                   "crews and spares, labeled sensor time series.")
    world_model = MaintenanceWorld
    labels_model = MaintenanceLabels
    streams = {
        "timeseries": StreamSpec("timeseries", "one row per machine and step: channels, state, "
                                 "health, fault mode, RUL, sensor-fault labels"),
        "events": StreamSpec("events", "failures, alarms, restarts, cascades", default=True),
        "maintenance_log": StreamSpec("maintenance_log", "one row per part maintained",
                                      default=True),
        "vibration": StreamSpec("vibration", "kHz bearing vibration windows (list column)"),
    }
    shard_size = 20

    def outcome_columns(self, scenario) -> Mapping[str, ColumnInfo]:
        number = ColumnInfo("number")
        return {
            "failures": number,
            "any_failure": ColumnInfo("bool", margin="failure_margin_h"),
            "failure_margin_h": number,
            "first_failure_h": number,
            "preventive_actions": number,
            "false_alarms": number,
            "downtime_h": number,
            "availability": number,
            "production_loss": number,
            "wait_crew_h": number,
            "wait_spare_h": number,
            "max_concurrent_repairs": number,
            "min_health": number,
            "overheat_h": number,
            "max_ambient_c": number,
        }

    def ignored_weather(self) -> tuple[str, ...]:
        return ("road", "visibility_m", "rain_mm_h", "snow_mm_h", "sun_elevation_deg",
                "wind_mps")

    def simulate(self, scenario, params: Columns, keys: RunKeys,
                 record: frozenset[str]) -> Iterator[Chunk]:
        from simengine.domains.maintenance.compile import layout_of
        from simengine.domains.maintenance.simulate import machine_splits, simulate_run
        from simengine.domains.maintenance.streams import (
            event_table,
            log_table,
            timeseries_chunks,
            vibration_table,
        )
        from simengine.weather import weather_state

        n = len(keys)
        layout = layout_of(scenario)
        weather = weather_state(params, n, scenario.spec.weather)
        splits = machine_splits(scenario.spec.split, keys, layout.machines)
        split_names = tuple(scenario.spec.split)
        rows: list[dict[str, float]] = []
        for r in range(n):
            run = int(keys.runs[r])
            res = simulate_run(scenario, layout, params, keys, r, weather)
            rows.append(res.outcomes)
            if "timeseries" in record:
                for columns in timeseries_chunks(scenario, layout, res, keys, r, splits[r],
                                                 split_names, params):
                    yield Chunk("timeseries", columns)
            if "events" in record:
                yield Chunk("events", event_table(scenario, layout, res, run))
            if "maintenance_log" in record:
                yield Chunk("maintenance_log", log_table(scenario, layout, res, run))
            if "vibration" in record:
                table = vibration_table(scenario, layout, res, run, keys)
                if table is not None:
                    yield Chunk("vibration", table)
        out: dict[str, np.ndarray] = {"run": keys.runs}
        for name in self.outcome_columns(scenario):
            values = [row[name] for row in rows]
            dtype = (np.int64 if name in INTS else bool if name == "any_failure"
                     else np.float64)
            out[name] = np.asarray(values, dtype=dtype)
        yield Chunk(OUTCOMES, out)
