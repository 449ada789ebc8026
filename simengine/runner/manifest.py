"""``manifest.json``: what a corpus is, how it was made, and a checksum of every file.

It is rewritten atomically after every finished shard (``complete: false``) and last of all when
the run completes, so an interrupted run always leaves a manifest that ``--resume`` can trust.
It holds no timestamps or worker counts: the same command gives the same manifest.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from simengine import __version__
from simengine.errors import CorpusError

__all__ = ["MANIFEST", "Manifest", "ShardReceipt", "package_versions"]

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ShardReceipt:
    """What one finished shard wrote."""

    index: int
    runs: tuple[int, int]
    rows: int
    files: dict[str, str]
    labels: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["runs"] = list(self.runs)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ShardReceipt:
        return cls(d["index"], tuple(d["runs"]), d["rows"], dict(d["files"]),
                   {k: dict(v) for k, v in d.get("labels", {}).items()})


def package_versions() -> dict[str, str]:
    """Versions that bit-identical output depends on (numpy streams, Parquet writer...)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "machine": platform.machine()}
    for name in ("numpy", "scipy", "numba", "pyarrow", "pydantic", "simpy", "pybullet"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


@dataclass
class Manifest:
    """The corpus manifest."""

    scenario: str
    scenario_sha256: str
    seed: int
    n_runs: int
    shard_size: int
    outputs: list[dict[str, Any]]
    shards: dict[int, ShardReceipt] = field(default_factory=dict)
    finalized: dict[str, dict[str, str]] = field(default_factory=dict)
    renders: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = False
    engine_version: str = __version__
    packages: dict[str, str] = field(default_factory=package_versions)
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> str:
        body = {
            "schema_version": self.schema_version,
            "engine_version": self.engine_version,
            "packages": self.packages,
            "scenario": self.scenario,
            "scenario_sha256": self.scenario_sha256,
            "seed": self.seed,
            "n_runs": self.n_runs,
            "shard_size": self.shard_size,
            "complete": self.complete,
            "outputs": self.outputs,
            "shards": [self.shards[i].to_json() for i in sorted(self.shards)],
            "finalized": self.finalized,
            "renders": self.renders,
        }
        return json.dumps(body, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, *, where: str = MANIFEST) -> Manifest:
        try:
            d = json.loads(text)
            shards = {s["index"]: ShardReceipt.from_json(s) for s in d["shards"]}
            return cls(
                scenario=d["scenario"],
                scenario_sha256=d["scenario_sha256"],
                seed=int(d["seed"]),
                n_runs=int(d["n_runs"]),
                shard_size=int(d["shard_size"]),
                outputs=list(d.get("outputs", [])),
                shards=shards,
                finalized=dict(d.get("finalized", {})),
                renders=list(d.get("renders", [])),
                complete=bool(d["complete"]),
                engine_version=d.get("engine_version", "?"),
                packages=dict(d.get("packages", {})),
                schema_version=int(d.get("schema_version", 0)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"manifest is damaged ({exc}); use --force to start over",
                              file=where) from None

    @property
    def runs_done(self) -> int:
        return sum(r.runs[1] - r.runs[0] for r in self.shards.values())

    def all_files(self) -> dict[str, str]:
        files: dict[str, str] = {}
        for i in sorted(self.shards):
            files.update(self.shards[i].files)
        for out in self.finalized.values():
            files.update(out)
        return files
