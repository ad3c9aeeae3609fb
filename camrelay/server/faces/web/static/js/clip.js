// MJPEG records (the recorder's clips: JPEGs back to back) played on a canvas in the page: the
// bytes are split at each JPEG's end marker, each frame decoded and drawn at FPS. The canvas
// counts what it drew in data-frames (the tests and the bench read it).

const FPS = 10; // the recorder stores no per-frame times; its segments are made at about this
const SOI = [0xff, 0xd8];
const EOI = [0xff, 0xd9];

/** The JPEG frames of an MJPEG record's bytes, each a Blob ("image/jpeg"). */
export function splitMjpeg(bytes) {
  const frames = [];
  let start = 0;
  for (let i = 0; i + 1 < bytes.length; i++) {
    const ends = bytes[i] === EOI[0] && bytes[i + 1] === EOI[1];
    const next = i + 2;
    // A frame ends where an end marker is followed by the next frame's start, or the data ends.
    if (ends && (next === bytes.length || (bytes[next] === SOI[0] && bytes[next + 1] === SOI[1]))) {
      frames.push(new Blob([bytes.subarray(start, next)], { type: "image/jpeg" }));
      start = next;
      i = next - 1;
    }
  }
  return frames;
}

/**
 * Play the frames of `blob` (an MJPEG record) on `canvas` once, at FPS; returns stop(). The
 * canvas takes the frames' size. `onEnd` is called when the last frame was drawn.
 */
export function playClip(canvas, blob, onEnd = () => {}) {
  let stopped = false;
  let timer = 0;
  canvas.dataset.frames = "0";
  blob.arrayBuffer().then(async (buffer) => {
    const frames = splitMjpeg(new Uint8Array(buffer));
    canvas.dataset.total = String(frames.length);
    const context = canvas.getContext("2d");
    for (let n = 0; n < frames.length && !stopped; n++) {
      const started = performance.now();
      const image = await createImageBitmap(frames[n]).catch(() => null);
      if (stopped) break;
      if (image) {
        if (canvas.width !== image.width) canvas.width = image.width;
        if (canvas.height !== image.height) canvas.height = image.height;
        context.drawImage(image, 0, 0);
        image.close();
        canvas.dataset.frames = String(n + 1);
      }
      const wait = 1000 / FPS - (performance.now() - started);
      await new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, wait))));
    }
    if (!stopped) onEnd();
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
