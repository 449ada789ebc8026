"""The fraud domain: one simulated bank per run, with fraud and laundering campaigns.

One run is one bank over ``duration_s``: legitimate card, transfer, ATM, deposit, refund and
salary traffic of a segmented population with several cards per account, following a declared
calendar rhythm (hour, weekday, part of month, season); campaigns composed from typologies (card
testing, account takeover with mules, APP scams with a trust phase, friendly fraud, bust-out,
merchant collusion with refund fraud, laundering by structuring and layering), each campaign a
group of simpy processes deciding who acts and when (:mod:`actors`); chargebacks that
move disputed money back from the merchant; a ledger that keeps every balance consistent; and
an alert pipeline that decides what the bank observes and when. Outcomes are listed in
:mod:`outcomes`; streams:

- ``transactions`` — one row per payment: ids, time, amount, channel, MCC, both sides' balances
  before and after, and labels (:data:`streams.LABEL_COLUMNS`);
- ``accounts`` — one row per account with its role (normal, victim, accomplice, mule,
  fraudster);
- ``campaigns`` — one row per campaign: typology, phases, start/end, amounts, accounts,
  detection, and when and why the bank stopped it (``blocked_s``, ``blocked_by``; with
  ``alerts.block_on_detection``);
- ``alerts`` — one row per alert: rule, review times, outcome, truth.

For rendering (table renderers such as ``table_csv``: the ``transactions-csv`` preset) the
domain's ``scenes`` are the transaction rows of the selected runs: every ``transactions``
column plus ``t_s``, the payment's exact time in seconds; ``frames_if`` may use any transaction
column (``frames_if: is_fraud`` keeps the fraudulent rows).

:func:`simengine.domains.fraud.edges.edge_list` turns transactions into a graph edge list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from simengine.domains.base import OUTCOMES, SCENES, Chunk, Columns, Domain, StreamSpec
from simengine.domains.fraud.model import FraudLabels, FraudWorld
from simengine.sampling.keys import RunKeys
from simengine.scenario.expressions import ColumnInfo

__all__ = ["FraudDomain"]


class FraudDomain(Domain):
    name = "fraud"
    description = ("Banks with fraud and laundering campaigns: segmented customers, "
                   "ledger-consistent transactions, typologies with phases, alerts and "
                   "investigators, late and noisy observed labels.")
    world_model = FraudWorld
    labels_model = FraudLabels
    streams = {
        "transactions": StreamSpec("transactions", "one row per payment with balances, true "
                                   "and observed labels",
                                   keys=("txn_id",),
                                   identifiers=("src_account", "dst_account", "card_id",
                                                "campaign_id", "parent_txn_id"),
                                   ordered=("timestamp_s",)),
        "accounts": StreamSpec("accounts", "one row per account with its role", default=True,
                               keys=("account_id",)),
        "campaigns": StreamSpec("campaigns", "one row per fraud campaign", default=True),
        "alerts": StreamSpec("alerts", "one row per monitoring alert and its review",
                             default=True, keys=("alert_id",), identifiers=("txn_id",)),
    }
    shard_size = 4

    def outcome_columns(self, scenario) -> Mapping[str, ColumnInfo]:
        from simengine.domains.fraud.outcomes import outcome_names

        labels = tuple(c.label for c in scenario.spec.world.campaigns)
        out = {name: ColumnInfo("number") for name in outcome_names(labels)}
        out["any_undetected"] = ColumnInfo("bool", margin="undetected_loss")
        return out

    def frame_columns(self, scenario) -> tuple[str, ...]:
        from simengine.domains.fraud.streams import TRANSACTION_COLUMNS

        return (*TRANSACTION_COLUMNS, "t_s")

    def ignored_weather(self) -> tuple[str, ...]:
        return ("road", "visibility_m", "rain_mm_h", "snow_mm_h", "temperature_c",
                "humidity_pct", "sun_elevation_deg", "wind_mps")

    def simulate(self, scenario, params: Columns, keys: RunKeys,
                 record: frozenset[str]) -> Iterator[Chunk]:
        from simengine.domains.fraud.outcomes import INTS, campaign_columns
        from simengine.domains.fraud.simulate import ledger, simulate_run
        from simengine.domains.fraud.streams import (
            account_table,
            alert_table,
            campaign_table,
            transaction_table,
        )

        rows = []
        row_tables = "transactions" in record or SCENES in record
        for r in range(len(keys)):
            res = simulate_run(scenario, params, keys, r, keep_windows=row_tables)
            rows.append(res.outcomes)
            prep, run = res.prep, int(keys.runs[r])
            if row_tables:
                windows = (res.cached if res.cached is not None
                           else (p for p, _, _ in ledger(prep, keys)))
                for p in windows:
                    if not len(p):
                        continue
                    table = transaction_table(run, p, prep.pop, prep.plan.events,
                                              prep.plan.campaign_id, res.observed_s,
                                              res.fp_ids, res.fp_time_s, res.fp_at_s)
                    if "transactions" in record:
                        yield Chunk("transactions", table)
                    if SCENES in record:
                        yield Chunk(SCENES, {**table, "t_s": p.t_s})
            if "accounts" in record:
                yield Chunk("accounts", account_table(run, prep.pop, prep.plan.roles,
                                                      res.closing_cents))
            if "campaigns" in record:
                yield Chunk("campaigns", campaign_table(run, campaign_columns(res)))
            if "alerts" in record:
                a, rv = res.alerts, res.reviews
                yield Chunk("alerts", alert_table(run, res.alert_id, a["txn"], a["rule"],
                                                  a["t"], rv.start_s, rv.end_s, rv.outcome,
                                                  a["event"] >= 0))
        out: dict[str, np.ndarray] = {"run": keys.runs}
        for name in self.outcome_columns(scenario):
            dtype = (np.int64 if name in INTS or name.startswith("campaigns_") else
                     bool if name == "any_undetected" else np.float64)
            out[name] = np.asarray([row[name] for row in rows], dtype=dtype)
        yield Chunk(OUTCOMES, out)
