"""A test-only renderer: one tiny grey PGM image per selected frame, plus a corpus index.

It exercises the whole renderer contract: options validated from a preset, ``setup`` once per
worker, randomness only from the rendering key, per-shard partial artefacts and a ``finalize``
that merges them deterministically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import Field

from simengine.renderers.base import Artefact, Renderer
from simengine.sampling.keys import RunKeys
from simengine.scenario.models import StrictModel


class ThumbOptions(StrictModel):
    width_px: int = Field(default=8, gt=0, le=64, description="Image width.")
    height_px: int = Field(default=6, gt=0, le=64, description="Image height.")
    noise: float = Field(default=4.0, ge=0, description="Pixel noise (grey levels).")


class DummyRenderer(Renderer):
    name = "dummy-image"
    description = "Test-only: grey thumbnails whose brightness is the gap."
    options_model = ThumbOptions

    def setup(self) -> None:
        self.ready = True

    def render(self, scenes: Mapping[str, np.ndarray], keys: RunKeys) -> list[Artefact]:
        assert getattr(self, "ready", False), "setup() was not called"
        o = self.options
        out: list[Artefact] = []
        index = []
        runs = np.asarray(scenes["run"])
        for run in np.unique(runs):
            rows = np.flatnonzero(runs == run)
            for i in rows:
                rng = keys.frame_generator(int(run), int(round(scenes["t_s"][i] * 1000)))
                level = float(np.clip(scenes["gap_m"][i] * 4, 0, 255))
                img = np.clip(level + rng.normal(0, o.noise, (o.height_px, o.width_px)), 0, 255)
                t_ms = int(round(float(scenes["t_s"][i]) * 1000))
                path = f"images/r{int(run):07d}_t{t_ms:07d}.pgm"
                header = f"P5 {o.width_px} {o.height_px} 255\n".encode()
                out.append(Artefact(path, data=header + img.astype(np.uint8).tobytes()))
                index.append({"file": path, "run": int(run), "t_s": float(scenes["t_s"][i])})
        out.append(Artefact("index.json", data=json.dumps(index).encode(), partial=True))
        return out

    def finalize(self, parts: Sequence[Sequence[Artefact]], *,
                 info: Mapping[str, str] | None = None) -> list[Artefact]:
        merged = []
        for shard in parts:
            for art in shard:
                merged.extend(json.loads(art.data or b"[]"))
        merged.sort(key=lambda r: (r["run"], r["t_s"]))
        body = json.dumps({"frames": merged, "count": len(merged)}, indent=1).encode()
        return [Artefact("index.json", data=body)]
