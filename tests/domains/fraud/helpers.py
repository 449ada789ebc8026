"""A small bank with every typology, simulated once per test session."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from simengine.runner.shard import simulate_episodes
from simengine.sampling.keys import RunKeys
from simengine.scenario.scenario import load_scenario_text

SMALL = """
schema_version: 1
name: small-bank
domain: fraud
duration_s: 1728000           # 20 days
world:
  population:
    customers: {count: 3000, segments: {students: 0.3, families: 0.4, retirees: 0.3}}
    merchants: {count: 200}
  campaigns:
    - {typology: card_testing, count: {poisson: 10}}
    - {typology: friendly_fraud, count: 4}
    - {typology: account_takeover, count: 4, chunk_max: 800}
    - {typology: app_scam, count: 4, trust_days: {uniform: [2, 6]}}
    - {typology: bust_out, count: 3, end_s: 432000, build_days: {uniform: [6, 12]},
       build_purchases_per_week: 5, repay_every_days: 3, credit_limit: {uniform: [3000, 6000]}}
    - {typology: merchant_collusion, count: 3, cards: {integers: [4, 8]}, refund_share: 0.75}
    - typology: laundering
      count: 3
      amount: {uniform: [20000, 40000]}
      margin: 0.1
      structuring: {threshold: 10000, alpha: [0.8, 0.95]}
      hop_delay_h: {uniform: [2, 10]}
      layers: [{fan_out: 5}, {cycle: 4}, {fan_in: true}, {bipartite: 2}, {stack: 2}]
  alerts:
    rules: [{amount_above: 1500}, {new_device_and_transfer: true},
            {deposit_near_threshold: [8000, 10000]}, {small_online_burst: 3}]
    investigators: 1
    review_h: {uniform: [0.5, 2]}
    min_review_h: 0.5
    recall: 0.8
    false_positive_rate: 0.1
"""
SEED = 7


def scenario(text: str = SMALL):
    return load_scenario_text(text, file="small-bank.yaml")


class Collect:
    def __init__(self) -> None:
        self.chunks: list[dict] = []

    def write(self, columns) -> None:
        self.chunks.append({k: np.asarray(v) for k, v in columns.items()})

    def table(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate([c[k] for c in self.chunks]) for k in self.chunks[0]}


def simulate(text: str = SMALL, runs: int = 2, seed: int = SEED):
    scn = scenario(text)
    names = frozenset(scn.domain.streams)
    sinks = {s: Collect() for s in names}
    episodes, _ = simulate_episodes(scn, RunKeys.range(seed, 0, runs), names, sinks)
    return scn, episodes, {s: sink.table() for s, sink in sinks.items()}


@lru_cache(maxsize=2)
def small_bank():
    return simulate()
