"""What a campaign entry of ``world.campaigns`` may say: one model per typology.

Every entry has a run-scope ``count`` (hoisted: ``world.campaigns.0.count`` is an episode column),
an optional ``name``, a time window and victim segments; the rest are the typology's own
parameters — entity values drawn inside the simulation, as often as it needs them (amounts,
delays, degrees), so the illicit marginals overlap normal traffic rather than being fixed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simengine.scenario.models import OneOf, StrictModel
from simengine.scenario.values import value_field

__all__ = [
    "AccountTakeover",
    "AppScam",
    "BustOut",
    "CampaignSpec",
    "CardTesting",
    "EPos",
    "FriendlyFraud",
    "Laundering",
    "Layer",
    "MerchantCollusion",
    "Structuring",
]

Count = value_field(kind="integer", ge=0)
EPos = value_field(scope="entity", gt=0)
EInt = value_field(scope="entity", kind="integer", ge=1)
EFrac = value_field(scope="entity", ge=0, le=1)


class _Campaign(StrictModel):
    count: Count = Field(description="Campaigns per run (run scope: an episode column).")  # type: ignore[valid-type]
    name: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$",
                             description="Name for drift weights and outcome columns; default: the "
                             "typology.")
    start_s: float = Field(default=0.0, ge=0, description="Campaigns start after this time.")
    end_s: float | None = Field(default=None, gt=0,
                                description="…and before this time (default: the horizon).")
    target_segments: dict[str, float] = Field(
        default_factory=dict, description="Victim segment → relative weight (default: equal).")

    @property
    def label(self) -> str:
        return self.name or self.typology  # type: ignore[attr-defined]


class CardTesting(_Campaign):
    """Stolen card numbers tested with tiny online payments, then (phase ``burst``) a burst of
    card-not-present purchases on the cards that worked."""

    typology: Literal["card_testing"] = Field(description="Typology.")
    cards: EInt = Field(default={"integers": [3, 15]}, description="Cards per campaign.")  # type: ignore[valid-type]
    tests_per_card: EInt = Field(default={"integers": [1, 3]}, description="Tests per card.")  # type: ignore[valid-type]
    test_amount: EPos = Field(default={"uniform": [1, 10]}, description="Test payment amount.")  # type: ignore[valid-type]
    test_gap_s: EPos = Field(default={"exponential": {"mean": 90}},  # type: ignore[valid-type]
                             description="Gap between tests.")
    burst_probability: float = Field(default=0.7, ge=0, le=1,
                                     description="Share of tested cards used in the burst.")
    burst_delay_h: EPos = Field(default={"lognormal": {"median": 8, "sigma": 0.8}},  # type: ignore[valid-type]
                                description="Delay from test to burst.")
    burst_purchases: EInt = Field(default={"integers": [1, 5]}, description="Purchases per card.")  # type: ignore[valid-type]
    burst_amount: EPos = Field(default={"lognormal": {"median": 60, "sigma": 0.9}},  # type: ignore[valid-type]
                               description="Burst purchase amount.")
    burst_gap_s: EPos = Field(default={"exponential": {"mean": 1200}},  # type: ignore[valid-type]
                              description="Gap between burst purchases.")


class AccountTakeover(_Campaign):
    """A victim's online banking is taken over from a new device (phase ``takeover``: a small
    probe transfer), drained to mules in chunks (``drain``) who withdraw cash (``cash_out``)."""

    typology: Literal["account_takeover"] = Field(description="Typology.")
    mules: EInt = Field(default={"integers": [2, 5]}, description="Mules per campaign.")  # type: ignore[valid-type]
    mule_reuse_probability: float = Field(default=0.3, ge=0, le=1,
                                          description="Chance a mule slot reuses an earlier mule.")
    drain_fraction: EFrac = Field(default={"uniform": [0.5, 0.95]},  # type: ignore[valid-type]
                                  description="Share of the available balance taken.")
    chunk_max: float = Field(default=2000.0, gt=0, description="Largest single drain transfer.")
    within_h: EPos = Field(default={"uniform": [1, 24]}, description="Drain duration.")  # type: ignore[valid-type]
    probe_delay_h: EPos = Field(default={"uniform": [0.1, 2]},  # type: ignore[valid-type]
                                description="From the probe transfer to the first drain.")
    cash_out_delay_h: EPos = Field(default={"lognormal": {"median": 6, "sigma": 0.5}},  # type: ignore[valid-type]
                                   description="From a drain transfer to the mule's withdrawal.")
    mule_keep: float = Field(default=0.1, ge=0, lt=1, description="Share a mule keeps.")


class AppScam(_Campaign):
    """Authorised push payment scam: a trust phase of small payments between scammer and victim,
    then the victim pushes larger payments (``scam``), which the scammer moves out
    (``cash_out``)."""

    typology: Literal["app_scam"] = Field(description="Typology.")
    kind: Literal["romance", "investment", "impersonation"] = Field(
        default="romance", description="Story (romance: victim sends gifts; investment: the "
        "scammer pays small 'returns' first).")
    trust_days: EPos = Field(default={"uniform": [5, 25]}, description="Trust phase length.")  # type: ignore[valid-type]
    trust_payments: EInt = Field(default={"integers": [2, 5]}, description="Trust payments.")  # type: ignore[valid-type]
    trust_amount: EPos = Field(default={"lognormal": {"median": 40, "sigma": 0.6}},  # type: ignore[valid-type]
                               description="Trust payment amount.")
    scam_payments: EInt = Field(default={"integers": [1, 4]}, description="Scam payments.")  # type: ignore[valid-type]
    scam_amount: EPos = Field(default={"lognormal": {"median": 900, "sigma": 0.8}},  # type: ignore[valid-type]
                              description="Requested scam payment (capped by what is available).")
    scam_gap_h: EPos = Field(default={"exponential": {"mean": 30}},  # type: ignore[valid-type]
                             description="Gap between scam payments.")
    cash_out_delay_h: EPos = Field(default={"lognormal": {"median": 4, "sigma": 0.6}},  # type: ignore[valid-type]
                                   description="From a scam payment to moving it out.")


class FriendlyFraud(_Campaign):
    """First-party fraud: a customer buys online and later disputes the payments."""

    typology: Literal["friendly_fraud"] = Field(description="Typology.")
    purchases: EInt = Field(default={"integers": [1, 3]}, description="Disputed purchases.")  # type: ignore[valid-type]
    amount: EPos = Field(default={"lognormal": {"median": 80, "sigma": 0.8}},  # type: ignore[valid-type]
                         description="Purchase amount.")
    gap_h: EPos = Field(default={"exponential": {"mean": 48}}, description="Between purchases.")  # type: ignore[valid-type]


class Structuring(StrictModel):
    """Placement: split the total into cash deposits drawn from U(α·T, T − ε), spread over
    ``accounts`` and ``days``."""

    threshold: float = Field(default=10000.0, gt=0, description="T, the reporting threshold.")
    alpha: tuple[float, float] = Field(default=(0.8, 0.95), description="α range (low, high).")
    epsilon: float = Field(default=1.0, gt=0, description="ε: deposits stay ≤ T − ε.")
    accounts: EInt = Field(default={"integers": [1, 3]}, description="Depositing accounts.")  # type: ignore[valid-type]
    days: EPos = Field(default={"uniform": [3, 10]}, description="Span of the deposits.")  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _alpha(self) -> Structuring:
        lo, hi = self.alpha
        if not 0 < lo <= hi < 1:
            raise ValueError(f"alpha must satisfy 0 < low <= high < 1; found [{lo}, {hi}]")
        return self


class Layer(OneOf):
    """One layering step; exactly one key. Degrees are entity values."""

    choice = "a layer"

    fan_out: EInt | None = Field(default=None, description="Send to this many accounts.")  # type: ignore[valid-type]
    fan_in: bool | None = Field(default=None, description="Gather to one collector.")
    cycle: EInt | None = Field(  # type: ignore[valid-type]
        default=None, description="Pass around a cycle of this length back to the first holder.")
    scatter_gather: EInt | None = Field(default=None, description="Fan out to k, fan in to one.")  # type: ignore[valid-type]
    gather_scatter: EInt | None = Field(default=None, description="Fan in to one, fan out to k.")  # type: ignore[valid-type]
    bipartite: EInt | None = Field(default=None, description="Every holder pays each of k.")  # type: ignore[valid-type]
    stack: EInt | None = Field(default=None, description="Bipartite layers of this depth "
                               "(width 3, splits ⅓ / ⅓ / rest).")  # type: ignore[valid-type]


class Laundering(_Campaign):
    """AML: placement (structured cash deposits), layering (composed steps: fan-out, cycle,
    fan-in, …, each hop keeping a margin) and integration (cash out or leave the bank)."""

    typology: Literal["laundering"] = Field(description="Typology.")
    amount: EPos = Field(default={"lognormal": {"median": 30000, "sigma": 0.5}},  # type: ignore[valid-type]
                         description="Total placed per campaign.")
    structuring: Structuring = Field(default_factory=Structuring, description="Placement.")
    layers: tuple[Layer, ...] = Field(min_length=1, description="Layering steps, in order.")
    margin: float = Field(default=0.1, ge=0, lt=1, description="m: each hop forwards (1 − m)·in.")
    hop_delay_h: EPos = Field(default={"lognormal": {"median": 20, "sigma": 0.7}},  # type: ignore[valid-type]
                              description="Delay of each hop after its funds arrived.")
    integration: Literal["cash_out", "external", "none"] = Field(
        default="external", description="How the funds leave at the end.")


class BustOut(_Campaign):
    """First-party bust-out: a customer opens a credit line, builds a good history with small
    purchases repaid on time (phase ``build``), then maxes the line out in a short burst of
    purchases (``bust``) and vanishes — no payment of its own after the bust."""

    typology: Literal["bust_out"] = Field(description="Typology.")
    credit_limit: EPos = Field(default={"uniform": [2000, 8000]},  # type: ignore[valid-type]
                               description="Credit line (overdraft) the account is opened with.")
    build_days: EPos = Field(default={"uniform": [30, 90]},  # type: ignore[valid-type]
                             description="Length of the history-building phase.")
    build_purchases_per_week: float = Field(default=3.0, gt=0, le=100,
                                            description="Purchases per week while building.")
    build_amount: EPos = Field(default={"lognormal": {"median": 60, "sigma": 0.6}},  # type: ignore[valid-type]
                               description="Purchase amount while building.")
    repay_every_days: float = Field(default=7.0, gt=0,
                                    description="The build purchases are repaid (cash deposit "
                                    "of what was spent) this often.")
    bust_h: EPos = Field(default={"uniform": [6, 72]}, description="Length of the bust.")  # type: ignore[valid-type]
    bust_purchases: EInt = Field(default={"integers": [4, 12]},  # type: ignore[valid-type]
                                 description="Purchases that together take everything available.")


class MerchantCollusion(_Campaign):
    """A colluding merchant charges compromised cards with fake sales (phase ``fake_sale``),
    refunds a share of the takings to cards of the ring that never bought there (``refund``),
    and the ring's card holders withdraw the refunds at ATMs (``cash_out``). Victims dispute
    fake sales like any card fraud (chargebacks)."""

    typology: Literal["merchant_collusion"] = Field(description="Typology.")
    cards: EInt = Field(default={"integers": [5, 30]},  # type: ignore[valid-type]
                        description="Compromised cards charged.")
    sale_amount: EPos = Field(default={"lognormal": {"median": 120, "sigma": 0.7}},  # type: ignore[valid-type]
                              description="Fake sale amount.")
    sales_days: EPos = Field(default={"uniform": [3, 14]},  # type: ignore[valid-type]
                             description="Span of the fake sales.")
    accomplices: EInt = Field(default={"integers": [2, 5]},  # type: ignore[valid-type]
                              description="Ring members whose cards receive the refunds.")
    refund_share: float = Field(default=0.8, gt=0, le=1,
                                description="Share of each fake sale refunded to the ring.")
    refund_delay_h: EPos = Field(default={"lognormal": {"median": 24, "sigma": 0.6}},  # type: ignore[valid-type]
                                 description="From a fake sale to its refund.")
    cash_out_delay_h: EPos = Field(default={"lognormal": {"median": 6, "sigma": 0.5}},  # type: ignore[valid-type]
                                   description="From a refund to the ATM withdrawal.")


CampaignSpec = Annotated[
    CardTesting | AccountTakeover | AppScam | FriendlyFraud | BustOut | MerchantCollusion
    | Laundering,
    Field(discriminator="typology"),
]
