"""Renderer registry. A renderer is one module here plus one registry line below.

Presets — declarative files saying how a run is recorded — live in the top-level ``renderers/``
folder (shipped as package data) and name a registered renderer. Third-party packages register
through the ``simengine.renderers`` entry-point group.
"""

from simengine.registry import Registry

__all__ = ["RENDERERS"]

RENDERERS: Registry = Registry("renderer", group="simengine.renderers")
RENDERERS.register("camera", "simengine.renderers.camera:CameraRenderer",
                   description="pybullet camera: RGB, depth, segmentation, occlusion-aware labels")
RENDERERS.register("lidar", "simengine.renderers.lidar:LidarRenderer",
                   description="Spinning lidar by ray casting: labeled points, weather dropout")
RENDERERS.register("table_csv", "simengine.renderers.table_csv:TableCsvRenderer",
                   description="Table rows (e.g. fraud transactions) as one CSV file per run")
