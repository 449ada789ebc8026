"""What a fraud scenario's ``world:`` and ``labels:`` may say.

A run is one simulated bank over the scenario's ``duration_s``: customers in segments with
spending profiles, merchants with MCC categories, accounts at several banks, a ledger that keeps
every balance consistent, fraud and laundering *campaigns* (each a typology with phases), an
alert pipeline with investigators, chargebacks, and scheduled drift. Money is in the bank's
currency unit (columns ``amount``, ``*_balance_*``); times are seconds into the run (``*_s``) or
hours for delays (``*_h``).

Campaign counts are run-scope values (hoisted: ``world.campaigns.0.count`` is an episode column);
everything drawn per campaign, victim or transaction (amounts, delays, degrees) is an entity
value drawn inside the simulation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simengine.scenario.models import OneOf, StrictModel
from simengine.scenario.values import value_field

__all__ = [
    "AccountTakeover",
    "AlertSpec",
    "AppScam",
    "CampaignSpec",
    "CardTesting",
    "DriftSpec",
    "FraudLabels",
    "FraudWorld",
    "FriendlyFraud",
    "Laundering",
    "PopulationSpec",
    "SegmentSpec",
]

Count = value_field(kind="integer", ge=0)
EPos = value_field(scope="entity", gt=0)
ENonNeg = value_field(scope="entity", ge=0)
EInt = value_field(scope="entity", kind="integer", ge=1)
EFrac = value_field(scope="entity", ge=0, le=1)


class SegmentSpec(StrictModel):
    """A customer segment: how often and how much its members spend, earn and hold."""

    card_per_day: float = Field(default=1.0, ge=0, description="Card payments per day.")
    online_share: float = Field(default=0.35, ge=0, le=1,
                                description="Share of card payments not present (online).")
    transfers_per_day: float = Field(default=0.08, ge=0, description="Outgoing transfers per day.")
    atm_per_day: float = Field(default=0.06, ge=0, description="ATM withdrawals per day.")
    deposits_per_day: float = Field(default=0.01, ge=0, description="Cash deposits per day.")
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
    device_change_per_day: float = Field(
        default=0.003, ge=0, le=1,
        description="Probability per payment that a legitimate customer uses a new device.")


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


CampaignSpec = Annotated[
    CardTesting | AccountTakeover | AppScam | FriendlyFraud | Laundering,
    Field(discriminator="typology"),
]


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
        default=0.6, ge=0, le=1, description="P(a victim disputes a fraudulent card payment).")
    chargeback_delay_h: EPos = Field(default={"lognormal": {"median": 96, "sigma": 0.7}},  # type: ignore[valid-type]
                                     description="From the payment to the dispute.")
    report_probability: float = Field(
        default=0.7, ge=0, le=1, description="P(a takeover or scam victim reports it).")
    report_delay_h: EPos = Field(default={"lognormal": {"median": 48, "sigma": 0.8}},  # type: ignore[valid-type]
                                 description="From the first loss to the report.")


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
