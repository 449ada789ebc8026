"""Render a few runs with the dash camera and lay the labeled frames out on one sheet.

    python examples/contact_sheet.py --out out/contact --runs 3

Runs ``pedestrian-occluded-crossing`` (a child steps out from behind a parked van) with the
``dashcam-640`` preset, keeping one frame every 0.5 s while the child is about to cross, then
writes ``contact_sheet.png`` into ``--out``: one row per run, each frame with its modal boxes
(green when the object is labeled visible, red when fog or occlusion hide it), its amodal box
(thin grey), class and visible fraction, and a caption with the run, time and visibility.
The labels are read back from the output's Parquet index, as a user of the corpus would.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from simengine import api

TILE = (320, 240)  # width, height of one frame on the sheet
OUTPUT = ("outputs=[{preset: dashcam-640, every_s: 0.5, "
          "frames_if: 't_s >= 1.5 and t_s <= 5.5'}]")


def _text(image: np.ndarray, text: str, origin: tuple[int, int], colour: tuple) -> None:
    import cv2

    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 2,
                cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.35, colour, 1, cv2.LINE_AA)


def _tile(folder: Path, frame: dict, objects: list[dict]) -> np.ndarray:
    """One frame scaled to TILE with its labels drawn (BGR)."""
    import cv2

    image = cv2.imread(str(folder / frame["file"]))
    scale = TILE[0] / frame["width_px"]
    tile = cv2.resize(image, TILE, interpolation=cv2.INTER_AREA)
    for obj in objects:
        ax, ay = obj["amodal_x_px"] * scale, obj["amodal_y_px"] * scale
        aw, ah = obj["amodal_w_px"] * scale, obj["amodal_h_px"] * scale
        cv2.rectangle(tile, (round(ax), round(ay)), (round(ax + aw), round(ay + ah)),
                      (160, 160, 160), 1)
        has_box = obj["bbox_w_px"] is not None and not math.isnan(obj["bbox_w_px"])
        colour = (60, 220, 60) if obj["visible"] else (40, 40, 230)
        if has_box:
            x, y = obj["bbox_x_px"] * scale, obj["bbox_y_px"] * scale
            w, h = obj["bbox_w_px"] * scale, obj["bbox_h_px"] * scale
            cv2.rectangle(tile, (round(x), round(y)), (round(x + w), round(y + h)), colour, 1)
        label = f"{obj['category']} {obj['visible_fraction']:.2f}"
        _text(tile, label, (round(ax), max(10, round(ay) - 3)), colour)
    visibility = frame["visibility_m"]
    seen = "clear" if visibility >= 1e8 else f"{visibility:.0f} m"
    _text(tile, f"run {frame['run']}  t={frame['t_s']:.2f} s  visibility {seen}", (4, 12),
          (255, 255, 255))
    return tile


def contact_sheet(folder: Path) -> np.ndarray:
    """The sheet of every frame of a camera output folder: one row per run."""
    import pyarrow.parquet as pq

    frames = pq.read_table(folder / "frames.parquet").to_pylist()
    objects = pq.read_table(folder / "objects.parquet").to_pylist()
    by_frame: dict[int, list[dict]] = {}
    for obj in objects:
        by_frame.setdefault(obj["frame_row"], []).append(obj)
    runs = sorted({f["run"] for f in frames})
    columns = max(sum(f["run"] == r for f in frames) for r in runs)
    sheet = np.zeros((TILE[1] * len(runs), TILE[0] * columns, 3), dtype=np.uint8)
    placed = {r: 0 for r in runs}
    for k, frame in enumerate(frames):
        row, col = runs.index(frame["run"]), placed[frame["run"]]
        placed[frame["run"]] += 1
        sheet[row * TILE[1]:(row + 1) * TILE[1], col * TILE[0]:(col + 1) * TILE[0]] = _tile(
            folder, frame, by_frame.get(k, []))
    return sheet


def main() -> None:
    import cv2

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/contact-sheet", help="corpus folder")
    parser.add_argument("--runs", type=int, default=3, help="runs to render")
    parser.add_argument("--scenario", default="pedestrian-occluded-crossing")
    args = parser.parse_args()
    out = Path(args.out)
    scenario = api.load_scenario(args.scenario, overrides=[OUTPUT])
    api.run(scenario, out=out, runs=args.runs, workers=1, force=True, progress=False)
    sheet = contact_sheet(out / "dashcam-640")
    path = out / "contact_sheet.png"
    cv2.imwrite(str(path), sheet)
    print(f"wrote {path} ({sheet.shape[1]}×{sheet.shape[0]} px)")


if __name__ == "__main__":
    main()
