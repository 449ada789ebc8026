"""A campaign instance as a group of simpy processes that the bank can stop.

The campaign world of a run is one ``simpy.Environment`` (:func:`campaigns.plan_campaigns`):
every campaign instance is a :class:`Campaign`, whose typology planner runs as a process and
starts child processes for parallel activity (a mule's cash-out after its own delay, a burst
of purchases, the legs of a fan-out). A process adds its events at ``env.now``, so events are
added in time order.

Two things the campaign world knows can reveal a campaign to the bank while it runs:

* a **report**: the victim of a takeover or scam (:data:`REPORTING`) reports it with
  ``alerts.report_probability``, ``report_delay_h`` after the first payment taken (or
  attempted) from its account — the campaign's first event in a loss phase
  (:data:`codes.LOSS_PHASES`), whether or not the ledger later approves it;
* a **dispute**: the holder of a disputed card payment files it ``chargeback_delay_h`` after
  the payment; a chargeback row then moves the money back (none when the payment was declined:
  the dispute still reaches the bank).

Both are recorded (:attr:`Campaign.report_s`; the chargeback events) and handed to the alert
world, which uses the same times — nothing about them is drawn twice. With
``alerts.block_on_detection`` the first of them stops the campaign: all its live processes are
interrupted (``simpy.Interrupt``), so it adds no event after that time, and the time and cause
are recorded (:attr:`Campaign.blocked_s`, :attr:`Campaign.blocked_by`) — also when the campaign
had nothing left to do. Disputes and reports are the victims' processes, not the campaign's:
chargebacks of payments made before the block still post.

Determinism: simpy runs events in time order and equal times first-in first-out, processes
draw from the run's generator in the order they run, and nothing iterates over a set or
depends on object ids.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from simengine.domains.fraud.codes import BLOCK_CAUSES, CHARGEBACK, LOSS_PHASES, code
from simengine.domains.fraud.typologies.base import OF_PARENT, PlanContext

__all__ = ["REPORTING", "Campaign"]

REPORTING = ("account_takeover", "app_scam")
"""Typologies whose victims report the campaign to the bank."""


def _stoppable(gen: Generator) -> Generator:
    """Run ``gen``; an interrupt (the campaign was stopped) ends it quietly."""
    try:
        return (yield from gen)
    except simpy.Interrupt:
        return None


class Campaign:
    """One campaign instance: its processes, its events, and whether the bank stopped it.

    ``row`` holds the planner's details for the ``campaigns`` table (victims, mules, phases…),
    filled as the campaign runs — a stopped campaign keeps what it had recruited.
    """

    def __init__(self, ctx: PlanContext, index: int, typology: str) -> None:
        self.ctx = ctx
        self.index = index
        self.typology = typology
        self.row: dict = {"phases": ()}
        self.report_s = math.inf
        self.blocked_s = math.nan
        self.blocked_by = code(BLOCK_CAUSES, "none")
        self._procs: list[simpy.Process] = []
        self._lost = False

    @property
    def now(self) -> float:
        return float(self.ctx.env.now)

    @property
    def blocked(self) -> bool:
        return not math.isnan(self.blocked_s)

    def spawn(self, gen: Generator) -> simpy.Process:
        """Run ``gen`` as a process of this campaign (stopped with it); its value is the
        generator's return value."""
        assert not self.blocked, "a stopped campaign starts nothing"
        proc = self.ctx.env.process(_stoppable(gen))
        self._procs.append(proc)
        return proc

    def add(self, src: int, dst: int, amount: float, *, phase: str, typology: str | None = None,
            **fields) -> int:
        """Add an event of this campaign at the current time (typology: the campaign's unless
        given); returns its index. The first event in a loss phase starts the victim's report
        (:data:`REPORTING` typologies)."""
        assert not self.blocked or phase == "chargeback"
        event = self.ctx.events.add(self.now, src, dst, amount, phase=phase,
                                    typology=typology or self.typology, campaign=self.index,
                                    **fields)
        if not self._lost and self.typology in REPORTING and phase in LOSS_PHASES:
            self._lost = True
            self._decide_report()
        return event

    def dispute(self, event: int, probability: float) -> None:
        """With ``probability`` the holder of card payment ``event`` (made now) disputes it
        ``chargeback_delay_h`` later: a chargeback event moves what the payment actually
        moved from the merchant back to the holder (nothing, and no row, when it was
        declined), and the bank learns of the campaign then."""
        ctx = self.ctx
        if ctx.rng.random() >= probability:
            return
        delay_s = 3600.0 * ctx.draw.one(ctx.alerts.chargeback_delay_h)
        ctx.env.process(self._chargeback(event, delay_s))

    def _chargeback(self, event: int, delay_s: float) -> Generator:
        yield self.ctx.env.timeout(delay_s)
        holder, merchant, card, mcc = (self.ctx.events.get(event, f)
                                       for f in ("src", "dst", "card", "mcc"))
        self.add(merchant, holder, 0.0, mode=OF_PARENT, frac=1.0, parent=event,
                 channel=CHARGEBACK, mcc=mcc, phase="chargeback", card=card)
        self.detect("chargeback")

    def _decide_report(self) -> None:
        ctx = self.ctx
        if ctx.rng.random() >= ctx.alerts.report_probability:
            return
        delay_s = 3600.0 * ctx.draw.one(ctx.alerts.report_delay_h)
        ctx.env.process(self._report(delay_s))

    def _report(self, delay_s: float) -> Generator:
        yield self.ctx.env.timeout(delay_s)
        self.report_s = self.now
        self.detect("report")

    def detect(self, cause: str) -> None:
        """The bank learns of the campaign now (``cause``: ``report`` or ``chargeback``);
        with ``alerts.block_on_detection`` the first detection stops it."""
        if self.blocked or not self.ctx.alerts.block_on_detection:
            return
        self.blocked_s = self.now
        self.blocked_by = code(BLOCK_CAUSES, cause)
        for proc in self._procs:
            if proc.is_alive:
                proc.interrupt(cause)
        self._procs = []
