"""Bearing kinematics and the envelope spectrum of simulated vibration windows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, hilbert, sosfiltfilt

from simengine.domains.maintenance.vibration import bearing_frequencies_hz, window

SHAFT_HZ = 1797 / 60


def test_cwru_6205_defect_frequencies() -> None:
    f = bearing_frequencies_hz(SHAFT_HZ)
    assert f["bpfo"] == pytest.approx(107.4, abs=0.1)
    assert f["bpfi"] == pytest.approx(162.2, abs=0.1)
    assert f["bpfo"] / SHAFT_HZ == pytest.approx(3.585, abs=0.001)
    assert f["bpfi"] / SHAFT_HZ == pytest.approx(5.415, abs=0.001)


def _envelope_peak_hz(x: np.ndarray, rate_hz: float) -> float:
    sos = butter(4, [2000, 4000], btype="band", fs=rate_hz, output="sos")
    env = np.abs(hilbert(sosfiltfilt(sos, x.astype(np.float64))))
    env -= env.mean()
    n = env.size * 8
    spec = np.abs(np.fft.rfft(env * np.hanning(env.size), n))
    freq = np.fft.rfftfreq(n, 1 / rate_hz)
    band = (freq > 50) & (freq < 400)
    return float(freq[band][np.argmax(spec[band])])


@pytest.mark.parametrize(("fault", "key"), [("outer_race", "bpfo"), ("inner_race", "bpfi")])
def test_envelope_spectrum_peaks_at_the_defect_frequency(fault: str, key: str) -> None:
    f = bearing_frequencies_hz(SHAFT_HZ)
    for seed in range(3):
        x = window(np.random.default_rng(seed), rate_hz=12000, window_s=1.0, t0_s=3600.0 * seed,
                   shaft_hz=SHAFT_HZ, faults=[(fault, 0.4, None)], resonance_hz=3000,
                   damping=0.05, impulse_g=2.0, slip=0.015, noise_g=0.1)
        assert abs(_envelope_peak_hz(x, 12000) / f[key] - 1) < 0.01


def test_a_healthy_bearing_has_no_defect_impulses() -> None:
    kw = dict(rate_hz=12000, window_s=0.5, t0_s=0.0, shaft_hz=SHAFT_HZ, resonance_hz=3000,
              damping=0.05, impulse_g=2.0, slip=0.015, noise_g=0.05)
    healthy = window(np.random.default_rng(1), faults=[("outer_race", 0.0, None)], **kw)
    worn = window(np.random.default_rng(1), faults=[("outer_race", 0.8, None)], **kw)
    assert np.sqrt(np.mean(worn.astype(float) ** 2)) > 3 * np.sqrt(np.mean(healthy ** 2))
