"""Sampling: seeding keys, the nominal sampler, and (later) proposals for rare events."""
