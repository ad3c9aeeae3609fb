// A camera's live view: output.raw read with fetch() streaming, the 0xAAAA frames (6-byte
// header: 0xAA 0xAA, payload length as little-endian uint32) parsed as they arrive, each JPEG
// decoded with createImageBitmap and drawn on the canvas at once. One decode at a time; a frame
// arriving meanwhile replaces the waiting one (the newest wins, so a slow tab falls behind by at
// most one frame). The canvas carries what tests and the bench read:
//   data-frames  frames drawn so far      data-first-at  Date.now() of the first drawn frame
//   data-fps     frames drawn in the last second      data-state  "connecting" | "live" | "off"

const HEADER = 6;
const MAX_PAYLOAD = 1_048_570; // the server's default frame limit (camrelay/protocol/framing.py)
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;

/** Splits a byte stream into frame payloads; push() chunks, get payload copies back. */
export class FrameParser {
  constructor() {
    this.buffer = new Uint8Array(0);
  }

  push(chunk) {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    const payloads = [];
    let at = 0;
    while (joined.length - at >= HEADER) {
      if (joined[at] !== 0xaa || joined[at + 1] !== 0xaa) throw new Error("bad frame header");
      const view = new DataView(joined.buffer, at + 2, 4);
      const length = view.getUint32(0, true);
      if (length > MAX_PAYLOAD) throw new Error("oversized frame");
      if (joined.length - at < HEADER + length) break;
      payloads.push(joined.slice(at + HEADER, at + HEADER + length));
      at += HEADER + length;
    }
    this.buffer = joined.slice(at);
    return payloads;
  }
}

/**
 * Show `device`'s stream on `canvas` until the returned stop() is called; retries by itself when
 * the stream ends or the server is away. `onState(state)` hears "connecting", "live", "off".
 */
export function startLive(canvas, device, api, onState = () => {}) {
  const controller = new AbortController();
  const context = canvas.getContext("2d");
  const stamps = []; // times of the frames drawn in the last second
  let drawn = 0;
  let waiting = null; // the newest payload not yet decoded
  let decoding = false;

  function setState(state) {
    if (canvas.dataset.state === state) return;
    canvas.dataset.state = state;
    onState(state);
  }

  async function draw(payload) {
    decoding = true;
    try {
      const bitmap = await createImageBitmap(new Blob([payload], { type: "image/jpeg" }));
      if (controller.signal.aborted) return;
      if (canvas.width !== bitmap.width) canvas.width = bitmap.width;
      if (canvas.height !== bitmap.height) canvas.height = bitmap.height;
      context.drawImage(bitmap, 0, 0);
      bitmap.close();
      drawn += 1;
      const now = performance.now();
      stamps.push(now);
      while (stamps[0] < now - 1000) stamps.shift();
      if (drawn === 1) canvas.dataset.firstAt = String(Date.now());
      canvas.dataset.frames = String(drawn);
      canvas.dataset.fps = String(stamps.length);
    } catch {
      // a frame that does not decode is skipped; the next one replaces it
    } finally {
      decoding = false;
    }
    if (waiting && !controller.signal.aborted) {
      const next = waiting;
      waiting = null;
      draw(next);
    }
  }

  function take(payload) {
    if (decoding) waiting = payload;
    else draw(payload);
  }

  async function readOnce() {
    const response = await api.stream("output.raw", { device }, { signal: controller.signal });
    const reader = response.body.getReader();
    const parser = new FrameParser();
    setState("live");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const payload of parser.push(value)) take(payload);
    }
  }

  async function run() {
    let delay = RETRY_FIRST_MS;
    while (!controller.signal.aborted) {
      setState("connecting");
      const started = performance.now();
      try {
        await readOnce();
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof api.Unauthorized) return;
      }
      setState("off");
      if (performance.now() - started > 5000) delay = RETRY_FIRST_MS; // it had been streaming
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  canvas.dataset.frames = "0";
  run();
  return () => controller.abort();
}
