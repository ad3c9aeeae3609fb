"""Reading what the relay's recorder stores: MJPEG records are JPEGs back to back."""

from __future__ import annotations

import cv2
import numpy as np

EOI = b"\xff\xd9"


def split_mjpeg(blob: bytes, flags: int = cv2.IMREAD_GRAYSCALE) -> list[np.ndarray]:
    """The images of an MJPEG record, each decoded (asserted decodable)."""
    images, start = [], 0
    while start < len(blob):
        end = blob.index(EOI, start) + len(EOI)
        image = cv2.imdecode(np.frombuffer(blob[start:end], np.uint8), flags)
        assert image is not None
        images.append(image)
        start = end
    return images
