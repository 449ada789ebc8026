"""What a fraud scenario's ``world:`` and ``labels:`` may say.

A run is one simulated bank over the scenario's ``duration_s``: customers in segments with
spending profiles, merchants with MCC categories, accounts at several banks and cards on them,
a ledger that keeps every balance consistent, fraud and laundering *campaigns* (each a typology
with phases; their specs are in :mod:`campaign_specs`), an alert pipeline with investigators,
chargebacks that move money back, a calendar rhythm of legitimate spending (:mod:`rhythm`) and
scheduled drift. Money is in the bank's currency unit (columns ``amount``, ``*_balance_*``);
times are seconds into the run (``*_s``) or hours for delays (``*_h``).

Campaign counts are run-scope values (hoisted: ``world.campaigns.0.count`` is an episode column);
everything drawn per campaign, victim or transaction (amounts, delays, degrees) is an entity
value drawn inside the simulation.
"""

from __future__ import annotations

from pydantic import Field, field_serializer, field_validator, model_validator

from simengine.domains.fraud.campaign_specs import (
    AccountTakeover,
    AppScam,
    BustOut,
    CampaignSpec,
    CardTesting,
    EPos,
    FriendlyFraud,
    Laundering,
    Layer,
    MerchantCollusion,
    Structuring,
)
from simengine.domains.fraud.rhythm import RhythmSpec
from simengine.scenario.models import OneOf, StrictModel

__all__ = [
    "AccountTakeover",
    "AlertSpec",
    "AppScam",
    "BustOut",
    "CampaignSpec",
    "CardTesting",
    "DriftSpec",
    "FraudLabels",
    "FraudWorld",
    "FriendlyFraud",
    "Laundering",
    "Layer",
    "MerchantCollusion",
    "PopulationSpec",
    "RhythmSpec",
    "SegmentSpec",
    "Structuring",
]

MAX_CARDS = 8


class SegmentSpec(StrictModel):
    """A customer segment: how often and how much its members spend, earn and hold."""

    card_per_day: float = Field(default=1.0, ge=0, description="Card payments per day.")
    online_share: float = Field(default=0.35, ge=0, le=1,
                                description="Share of card payments not present (online).")
    transfers_per_day: float = Field(default=0.08, ge=0, description="Outgoing transfers per day.")
    atm_per_day: float = Field(default=0.06, ge=0, description="ATM withdrawals per day.")
    deposits_per_day: float = Field(default=0.01, ge=0, description="Cash deposits per day.")
    refunds_per_day: float = Field(default=0.01, ge=0,
                                   description="Refunds from merchants to the customer's cards "
                                   "per day.")
    amount_scale: float = Field(default=1.0, gt=0, description="Multiplies every spend amount.")
    income: float = Field(default=2500.0, ge=0, description="Median monthly salary.")
    balance: float = Field(default=1500.0, ge=0, description="Median opening balance.")
    overdraft: float = Field(default=0.0, ge=0,
                             description="Declared overdraft limit (balances may go this low).")
    age_bands: dict[str, float] = Field(default_factory=lambda: {"25-44": 1.0},
                                        description="Age band → weight.")


DEFAULT_SEGMENTS: dict[str, SegmentSpec] = {
    "students": SegmentSpec(card_per_day=0.8, online_share=0.5, transfers_per_day=0.05,
                            atm_per_day=0.04, amount_scale=0.45, income=900, balance=400,
                            overdraft=200,
                            age_bands={"18-24": 0.9, "25-44": 0.1}),
    "families": SegmentSpec(card_per_day=1.0, online_share=0.35, transfers_per_day=0.06,
                            amount_scale=1.1, income=3200,
                            balance=2500, overdraft=500,
                            age_bands={"25-44": 0.6, "45-64": 0.4}),
    "retirees": SegmentSpec(card_per_day=0.6, online_share=0.15, transfers_per_day=0.03,
                            atm_per_day=0.1, amount_scale=0.9, income=1800, balance=9000,
                            age_bands={"65+": 1.0}),
    "professionals": SegmentSpec(card_per_day=1.2, online_share=0.45, transfers_per_day=0.1,
                                 amount_scale=1.6, income=5200, balance=6000, overdraft=1500,
                                 age_bands={"25-44": 0.5, "45-64": 0.5}),
    "small_business": SegmentSpec(card_per_day=1.0, online_share=0.4, transfers_per_day=0.25,
                                  deposits_per_day=0.15, amount_scale=2.0, income=6000,
                                  balance=12000, overdraft=5000,
                                  age_bands={"25-44": 0.5, "45-64": 0.5}),
}
"""Built-in segments; ``world.segments`` adds or replaces them by name."""


class CustomersSpec(StrictModel):
    count: int = Field(ge=10, le=20_000_000, description="Customers (one account each).")
    segments: dict[str, float] = Field(
        default_factory=lambda: {"families": 1.0}, description="Segment name → share.")
    regions: int = Field(default=8, ge=1, le=1000, description="Regions customers live in.")
    local_share: float = Field(default=0.85, ge=0, le=1,
                               description="Share of in-person payments in the home region.")


class MerchantsSpec(StrictModel):
    count: int = Field(default=2000, ge=30, le=5_000_000, description="Merchants.")


class PopulationSpec(StrictModel):
    """Who banks here."""

    customers: CustomersSpec = Field(description="Customers and their segments.")
    merchants: MerchantsSpec = Field(default_factory=MerchantsSpec, description="Merchants.")
    banks: int = Field(default=3, ge=1, le=100, description="Banks holding the accounts.")
    cards_per_customer: dict[int, float] = Field(
        default_factory=lambda: {1: 0.6, 2: 0.3, 3: 0.1},
        description="Number of cards on a customer's account → weight (cards have their own "
        f"random ids; 1 to {MAX_CARDS} cards).")
    device_change_per_day: float = Field(
        default=0.003, ge=0, le=1,
        description="Probability per payment that a legitimate customer uses a new device.")

    @field_validator("cards_per_customer")
    @classmethod
    def _cards(cls, v: dict[int, float]) -> dict[int, float]:
        bad = [k for k in v if not 1 <= k <= MAX_CARDS]
        if bad:
            raise ValueError(f"cards per customer must be 1 to {MAX_CARDS}; found {bad[0]}")
        if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("card weights must be ≥ 0 with at least one above 0; found "
                             f"{dict(v)}")
        return v

    @field_serializer("cards_per_customer")
    def _cards_out(self, v: dict[int, float]) -> dict[str, float]:
        # scenario files have string keys (the resolved scenario is written back as one)
        return {str(k): w for k, w in v.items()}


class RuleSpec(OneOf):
    """A monitoring rule; exactly one key."""

    choice = "a rule"

    amount_above: float | None = Field(default=None, gt=0,
                                       description="Outgoing payments above this amount.")
    new_device_and_transfer: bool | None = Field(
        default=None, description="A transfer made from a device the customer never used.")
    deposit_near_threshold: tuple[float, float] | None = Field(
        default=None, description="[low, high): cash deposits in this band (structuring).")
    small_online_burst: int | None = Field(
        default=None, ge=2, description="This many online payments under 10 on one card "
        "within an hour (card testing).")


class AlertSpec(StrictModel):
    """Monitoring, review and chargebacks: what the bank gets to observe, and when."""

    rules: tuple[RuleSpec, ...] = Field(default=(), description="Monitoring rules.")
    investigators: int = Field(default=4, ge=1, le=10000, description="Reviewers (capacity).")
    review_h: EPos = Field(default={"lognormal": {"median": 0.75, "sigma": 0.5}},  # type: ignore[valid-type]
                           description="Work time of one review.")
    min_review_h: float = Field(default=0.1, gt=0, description="Reviews take at least this long.")
    expire_h: float = Field(default=168.0, gt=0,
                            description="Alerts still queued after this are closed unreviewed.")
    recall: float = Field(default=0.85, ge=0, le=1,
                          description="P(reviewer confirms | the alerted payment is fraud).")
    false_positive_rate: float = Field(default=0.03, ge=0, le=1,
                                       description="P(reviewer confirms | it is not fraud).")
    chargeback_probability: float = Field(
        default=0.6, ge=0, le=1, description="P(a victim disputes a fraudulent card payment); "
        "the chargeback moves the amount back from the merchant.")
    chargeback_delay_h: EPos = Field(default={"lognormal": {"median": 96, "sigma": 0.7}},  # type: ignore[valid-type]
                                     description="From the payment to the dispute.")
    report_probability: float = Field(
        default=0.7, ge=0, le=1, description="P(a takeover or scam victim reports it).")
    report_delay_h: EPos = Field(default={"lognormal": {"median": 48, "sigma": 0.8}},  # type: ignore[valid-type]
                                 description="From the first loss to the report.")
    block_on_detection: bool = Field(
        default=False, description="Stop a campaign when the bank learns of it from a victim's "
        "report or a dispute: it makes no payment after that (chargebacks of earlier payments "
        "still post).")


class DriftSpec(StrictModel):
    """A scheduled change from ``at_s`` on: campaign mix and customer behaviour."""

    at_s: float = Field(ge=0, description="When the change happens (s into the run).")
    campaign_weight: dict[str, float] = Field(
        default_factory=dict, description="Campaign name → multiplier of its start rate.")
    online_share_delta: float = Field(default=0.0, ge=-1, le=1,
                                      description="Added to every segment's online share.")
    spend_scale: float = Field(default=1.0, gt=0, description="Multiplies spend amounts.")


class FraudWorld(StrictModel):
    """Population, custom segments, campaigns, alert pipeline and drift."""

    population: PopulationSpec = Field(description="Customers, merchants and banks.")
    segments: dict[str, SegmentSpec] = Field(default_factory=dict,
                                             description="Segments added to the built-in ones.")
    campaigns: tuple[CampaignSpec, ...] = Field(default=(), description="Fraud campaigns.")
    alerts: AlertSpec = Field(default_factory=AlertSpec, description="Alert pipeline.")
    drift: tuple[DriftSpec, ...] = Field(default=(), description="Scheduled changes, by time.")
    rhythm: RhythmSpec = Field(default_factory=RhythmSpec,
                               description="Calendar rhythm of legitimate spending.")

    @model_validator(mode="after")
    def _references(self) -> FraudWorld:
        known = {**DEFAULT_SEGMENTS, **self.segments}
        for name in self.population.customers.segments:
            if name not in known:
                raise ValueError(f"unknown segment {name!r}; known: {', '.join(sorted(known))}")
        for c in self.campaigns:
            for name in c.target_segments:
                if name not in self.population.customers.segments:
                    raise ValueError(f"campaign {c.label!r}: target segment {name!r} is not in "
                                     "population.customers.segments")
        labels = [c.label for c in self.campaigns]
        for d in self.drift:
            for name in d.campaign_weight:
                if name not in labels:
                    raise ValueError(f"drift: unknown campaign {name!r}; campaigns: "
                                     f"{', '.join(labels) or 'none'}")
        times = [d.at_s for d in self.drift]
        if times != sorted(times):
            raise ValueError("drift entries must be in time order (at_s ascending)")
        return self

    def segment(self, name: str) -> SegmentSpec:
        return self.segments.get(name) or DEFAULT_SEGMENTS[name]


class FraudLabels(StrictModel):
    """Label settings."""

    intended_signals: tuple[str, ...] = Field(
        default=(), description="Transaction columns the leak audit may find predictive "
        "(single-column AUC above 0.95 is then not a failure).")
