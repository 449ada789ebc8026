"""Driving domain: batched Numba traffic simulation with criticality labels."""
