"""Domain registry. A domain is one folder here, registered by one line below.

Third-party packages register through the ``simengine.domains`` entry-point group.
"""

from simengine.registry import Registry

__all__ = ["DOMAINS"]

DOMAINS: Registry = Registry("domain", group="simengine.domains")

DOMAINS.register(
    "driving",
    "simengine.domains.driving.domain:DrivingDomain",
    description="Traffic near-misses on a batched Numba kernel: IDM, triggered actions, AEB.",
)

DOMAINS.register(
    "maintenance",
    "simengine.domains.maintenance.domain:MaintenanceDomain",
    description="Fleets that wear out and get repaired: simpy plant, degradation physics, "
    "crews and spares, labeled sensor time series.",
)

DOMAINS.register(
    "fraud",
    "simengine.domains.fraud.domain:FraudDomain",
    description="Banks with fraud and laundering campaigns: ledger-consistent transactions, "
    "typologies with phases, alerts and investigators, late and noisy observed labels.",
)
