"""Runs the cut SSDLite graph in OpenVINO instead of cv2.dnn: the same outputs for 25-35 % less CPU.

OpenVINO's TensorFlow frontend reads the wheel's frozen graph itself (no TensorFlow): the graph
is cut to the same nodes as for cv2.dnn (ssdlite_graph.py), from the feature extractor's input
(the Preprocessor's output: RGB scaled to -1..1) to the box-predictor convolutions of the first
`layers` feature layers. TensorFlow graphs are NHWC; the pre/post-processor declares the input
blob and the outputs NCHW, so this takes the very blob cv2.dnn takes (cv2.dnn.blobFromImages)
and gives back the outputs in cv2.dnn's layout and order for ssdlite_graph.decode. One model
with a dynamic batch and input size serves the tiles (n x 300x300) and the whole frame.

detector.precision = "int8" loads models/ssdlite_person_int8.xml instead: the same cut graph
(all six layers, batch norms folded into the convolutions) quantized to int8 by NNCF,
calibrated on the sample clip's whole frames and tiles (bench/quantize_counter.py, which
regenerates it). It takes and
gives the same blobs and outputs; its first `layers` predictors are kept at load time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
from openvino.frontend import FrontEndManager
from openvino.preprocess import PrePostProcessor

from camrelay.workers.counter import ssdlite_graph

# The feature extractor's input: the image after the TF graph's own Preprocessor.
INPUT = "FeatureExtractor/MobilenetV2/MobilenetV2/input"
# The int8 model shipped in the package (MIT, derived from the wheel's graph: models/LICENSE).
INT8_MODEL = Path(__file__).with_name("models") / "ssdlite_person_int8.xml"


def cut_model(path: Path, layers: int = ssdlite_graph.LAYERS) -> ov.Model:
    """The graph from INPUT to the predictors of its first `layers` feature layers, taking
    and giving NCHW float32 of any batch and size."""
    frontend = FrontEndManager().load_by_framework("tf")
    graph = frontend.load(str(path))
    start = graph.get_place_by_tensor_name(INPUT)
    ends = [graph.get_place_by_tensor_name(n) for n in ssdlite_graph.outputs(layers)]
    graph.extract_subgraph([start], ends)
    graph.set_partial_shape(start, ov.PartialShape([-1, -1, -1, 3]))
    converted = frontend.convert(graph)
    # The frontend keeps the graph's own image_tensor placeholder though nothing uses it.
    used = [p for p in converted.get_parameters() if p.output(0).get_target_inputs()]
    model = ov.Model(converted.outputs, used)
    steps = PrePostProcessor(model)
    steps.input().tensor().set_layout(ov.Layout("NCHW"))
    steps.input().model().set_layout(ov.Layout("NHWC"))
    for i in range(len(model.outputs)):
        steps.output(i).tensor().set_layout(ov.Layout("NCHW"))
        steps.output(i).model().set_layout(ov.Layout("NHWC"))
    return steps.build()


def first_layers(model: ov.Model, layers: int) -> ov.Model:
    """The model up to the predictors of its first `layers` feature layers (outputs in
    ssdlite_graph.outputs order): OpenVINO drops what only the later ones need."""
    kept = model.outputs[: 2 * layers]
    return model if len(kept) == len(model.outputs) else ov.Model(kept, model.get_parameters())


def int8_model(layers: int = ssdlite_graph.LAYERS, path: Path = INT8_MODEL) -> ov.Model:
    """The shipped int8 model, to the predictors of its first `layers` feature layers."""
    return first_layers(ov.Core().read_model(path), layers)


class OpenVinoNet:
    """A cut network compiled for the CPU: blob in, predictor outputs out, as cv2.dnn."""

    def __init__(self, model: ov.Model, threads: int = 1) -> None:
        # f32 arithmetic everywhere: on a CPU with bfloat16 (AVX-512 BF16, AMX) the plugin would
        # otherwise run the float layers in bf16, scores 0.04 apart from cv2.dnn's.
        config = {
            "INFERENCE_NUM_THREADS": max(1, threads),
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32",
        }
        compiled = ov.Core().compile_model(model, "CPU", config)
        self._request = compiled.create_infer_request()
        self._outputs = compiled.outputs

    def forward(self, blob: np.ndarray) -> list[np.ndarray]:
        """The predictor outputs (NCHW, in ssdlite_graph.outputs order) for an NCHW blob."""
        results = self._request.infer({0: blob})
        return [results[o] for o in self._outputs]
