"""Equipment failure: a simpy plant with degradation physics, maintenance logistics and labeled
sensor time series (see :mod:`simengine.domains.maintenance.domain`)."""
