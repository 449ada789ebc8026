"""Campaigns as simpy processes: phase order, stopping a known campaign, and determinism."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from simengine.domains.fraud.codes import BLOCK_CAUSES, LOSS_PHASES, PHASES
from simengine.domains.fraud.simulate import Prepared, prepare
from simengine.errors import ScenarioError
from simengine.sampling.keys import RunKeys
from simengine.sampling.sampler import NominalSampler
from tests.domains.fraud.helpers import SEED, SMALL, scenario, simulate, small_bank

BLOCKING = SMALL.replace("    false_positive_rate: 0.1\n",
                         "    false_positive_rate: 0.1\n    block_on_detection: true\n")
HORIZON_S = 1728000.0
CHARGEBACK = PHASES.index("chargeback")

STOP = """
schema_version: 1
name: stop-on-report
domain: fraud
duration_s: 1728000           # 20 days
world:
  population:
    customers: {count: 1500, segments: {retirees: 0.5, families: 0.5}}
    merchants: {count: 100}
  campaigns:
    - {typology: app_scam, count: 6, trust_days: {uniform: [1, 3]}, scam_payments: 4,
       scam_amount: {lognormal: {median: 600, sigma: 0.5}}}
    - {typology: account_takeover, count: 6, within_h: {uniform: [24, 72]}}
  alerts:
    report_probability: 1.0
    report_delay_h: 12
"""
"""Every victim reports 12 h after its first loss; scams pay 4 times ~30 h apart and drains are
spread over 1-3 days, so a report usually comes before most of the money is taken."""


@lru_cache(maxsize=4)
def _plans(text: str, runs: int = 2, seed: int = SEED) -> list[Prepared]:
    """The prepared runs (population and campaign world, before the ledger)."""
    scn = scenario(text)
    keys = RunKeys.range(seed, 0, runs)
    params, _ = NominalSampler().sample(scn.space, keys)
    return [prepare(scn, params, keys, r) for r in range(runs)]


@lru_cache(maxsize=2)
def _blocking_bank():
    return simulate(BLOCKING)


def test_block_on_detection_is_off_by_default_and_validated() -> None:
    for prep in _plans(SMALL):
        plan = prep.plan
        assert np.isnan(plan.blocked_s).all() and (plan.blocked_by == 0).all()
        assert np.isfinite(plan.report_s).any()  # reports are still decided
    with pytest.raises(ScenarioError, match=r"block_on_detection: expected true or false"):
        scenario(SMALL.replace("    false_positive_rate: 0.1\n",
                               "    false_positive_rate: 0.1\n    block_on_detection: maybe\n"))


def test_phases_are_ordered_in_time_per_campaign() -> None:
    checked = set()
    for prep in _plans(BLOCKING):
        ev, plan = prep.plan.events, prep.plan
        assert (np.diff(ev.t_s) >= 0).all() and (ev.t_s < HORIZON_S).all()
        has_parent = ev.parent >= 0
        assert (ev.t_s[ev.parent[has_parent]] <= ev.t_s[has_parent]).all()
        assert (ev.campaign[ev.parent[has_parent]] == ev.campaign[has_parent]).all()
        for k, row in enumerate(plan.rows):
            m = (ev.campaign == k) & (ev.phase != CHARGEBACK)
            typology = prep.world.campaigns[int(plan.entry[k])].typology
            assert (ev.t_s[m] >= plan.start_s[k]).all()
            first = [ev.t_s[m & (ev.phase == PHASES.index(p))].min(initial=np.inf)
                     for p in row["phases"] if p != "chargeback"]
            seen = [t for t in first if np.isfinite(t)]
            assert seen == sorted(seen), (typology, row["phases"], first)
            if typology == "app_scam":  # the whole trust phase precedes the first scam payment
                trust = ev.t_s[m & (ev.phase == PHASES.index("trust"))]
                scam = ev.t_s[m & (ev.phase == PHASES.index("scam"))]
                assert trust.max(initial=-1) < scam.min(initial=np.inf)
            if typology == "bust_out":
                build = ev.t_s[m & (ev.phase == PHASES.index("build"))]
                bust = ev.t_s[m & (ev.phase == PHASES.index("bust"))]
                assert build.max(initial=-1) <= bust.min(initial=np.inf)
            if len(seen) > 1:
                checked.add(typology)
    assert checked == {"card_testing", "account_takeover", "app_scam", "bust_out",
                       "merchant_collusion", "laundering"}


def test_a_stopped_campaign_adds_nothing_after_the_report_or_dispute_that_stopped_it() -> None:
    causes = set()
    late_chargebacks = 0
    for prep in _plans(BLOCKING):
        ev, plan = prep.plan.events, prep.plan
        for k in np.flatnonzero(~np.isnan(plan.blocked_s)):
            t_block = plan.blocked_s[k]
            cause = BLOCK_CAUSES[plan.blocked_by[k]]
            causes.add(cause)
            mine = ev.campaign == k
            assert not (mine & (ev.t_s > t_block) & (ev.phase != CHARGEBACK)).any()
            cb = ev.t_s[mine & (ev.phase == CHARGEBACK)]
            if cause == "report":  # takeovers and scams: no card payments to dispute
                assert plan.report_s[k] == t_block and cb.size == 0
            else:  # the first dispute filed stopped it
                assert cause == "chargeback" and cb.min() == t_block
                assert plan.report_s[k] == np.inf
                # disputes of earlier payments are the victims': they still post
                late_chargebacks += int((cb > t_block).sum())
        unblocked = np.isnan(plan.blocked_s)
        assert (plan.blocked_by[unblocked] == 0).all()
        # nothing revealed the others: no report, no dispute within the horizon
        assert np.isinf(plan.report_s[unblocked]).all()
        assert not np.isin(np.flatnonzero(unblocked), ev.campaign[ev.phase == CHARGEBACK]).any()
    assert causes == {"report", "chargeback"} and late_chargebacks > 0


def test_a_report_comes_its_declared_delay_after_the_first_loss() -> None:
    plans = _plans(STOP + "    block_on_detection: true\n", runs=3, seed=5)
    loss = np.isin(np.arange(len(PHASES)), [PHASES.index(p) for p in LOSS_PHASES])
    reported = 0
    for prep in plans:
        ev, plan = prep.plan.events, prep.plan
        for k in range(plan.entry.size):
            t_loss = ev.t_s[(ev.campaign == k) & loss[ev.phase]].min(initial=np.inf)
            if t_loss + 12 * 3600.0 < HORIZON_S:  # report_probability 1, report_delay_h 12
                assert np.isclose(plan.report_s[k], t_loss + 12 * 3600.0, rtol=0, atol=1e-6)
                assert plan.blocked_s[k] == plan.report_s[k]
                reported += 1
            else:
                assert np.isinf(plan.report_s[k]) and np.isnan(plan.blocked_s[k])
    assert reported >= 25


def test_what_the_bank_observes_agrees_with_the_campaign_world() -> None:
    _, _, s = _blocking_bank()
    camp, tx = s["campaigns"], s["transactions"]
    blocked = ~np.isnan(camp["blocked_s"])
    assert blocked.sum() >= 10
    assert set(camp["blocked_by"][blocked]) == {"report", "chargeback"}
    assert (camp["blocked_by"][~blocked] == "none").all()
    # a stopped campaign is detected, no later than it was stopped ...
    assert camp["detected"][blocked].all()
    assert (camp["detected_s"][blocked] <= camp["blocked_s"][blocked]).all()
    # ... and a report reveals the whole campaign: every row is known by max(its time, report)
    for run, cid, t_block in zip(camp["run"][camp["blocked_by"] == "report"],
                                 camp["campaign_id"][camp["blocked_by"] == "report"],
                                 camp["blocked_s"][camp["blocked_by"] == "report"], strict=True):
        rows = (tx["run"] == run) & (tx["campaign_id"] == cid)
        assert (tx["observed_time_s"][rows] <= np.maximum(tx["timestamp_s"][rows] + 1,
                                                          t_block)).all()
        # the campaign's last own payment is no later than the block (in whole seconds)
        own = rows & (tx["phase"] != "chargeback")
        assert tx["timestamp_s"][own].max() <= t_block
    # without blocking the same reports are handed over: a reported campaign is detected no
    # later than its victim's report
    c0 = small_bank()[2]["campaigns"]
    n_reported = 0
    for r, prep in enumerate(_plans(SMALL)):
        rep = prep.plan.report_s
        detected_s = c0["detected_s"][c0["run"] == r]
        assert (detected_s[np.isfinite(rep)] <= rep[np.isfinite(rep)]).all()
        n_reported += int(np.isfinite(rep).sum())
    assert n_reported >= 4


def test_stopping_known_campaigns_cuts_losses() -> None:
    _, ep_free, s_free = simulate(STOP, runs=10, seed=5)
    _, ep_stop, s_stop = simulate(STOP + "    block_on_detection: true\n", runs=10, seed=5)
    # the same campaigns start (counts and start times are drawn before any campaign acts)
    assert np.array_equal(s_free["campaigns"]["start_s"], s_stop["campaigns"]["start_s"])
    free, stop = ep_free["losses"].sum(), ep_stop["losses"].sum()
    # a scam's report comes 12 h after its first payment: the next payment (~30 h apart)
    # beats it with probability 1 - exp(-12/30) = 0.33, so about 1.4 of 4 payments are made;
    # a takeover's report comes 12 h after its probe while the drains last 1-3 days. Expected
    # losses fall to about 0.4 of the unstopped ones; 0.6 leaves room for sampling.
    assert 0 < stop < 0.6 * free
    blocked = ~np.isnan(s_stop["campaigns"]["blocked_s"])
    assert blocked.mean() > 0.8 and (s_stop["campaigns"]["blocked_by"][blocked] == "report").all()
    assert ep_stop["blocked_campaigns"].sum() == blocked.sum()
    assert (ep_free["blocked_campaigns"] == 0).all()


def _sha(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.parquet"))}


def test_same_scenario_and_seed_give_identical_files(tmp_path: Path) -> None:
    from simengine import api

    scn = scenario(BLOCKING + "outputs: [transactions, accounts, campaigns, alerts]\n")
    api.run(scn, out=tmp_path / "a", runs=2, seed=SEED, workers=1)
    api.run(scn, out=tmp_path / "b", runs=2, seed=SEED, workers=1)
    a, b = _sha(tmp_path / "a"), _sha(tmp_path / "b")
    assert {Path(name).parts[0] for name in a} == {"episodes", "transactions", "campaigns",
                                                    "accounts", "alerts"}
    assert a == b
