// The state controls of a camera page (CONTRACT §5 keys): each control sends its key when a
// person changes it and moves when a value arrives (ours confirmed, or anyone else's broadcast).

import { el } from "./dom.js";

const PERCENT = ["brightness", "contrast", "sharpness", "saturation", "gain", "red-gain", "blue-gain", "jpeg-quality"];
const SLIDERS = [...PERCENT.map((key) => [key, 0, 100]), ["fps", 5, 60]];
const TOGGLES = ["cam1-light", "cam2-light", "auto-exposure", "auto-white-balance", "noise-supression"];
const RESOLUTIONS = ["1920x1080", "1280x720", "640x480", "320x240"];
const RECORD = ["on", "pause", "off"];

const label = (key) => key.replace(/-/g, " ").replace(/^./, (c) => c.toUpperCase());

/**
 * The controls; `send({key: value})` writes, `enabled` false makes them read-only.
 * Returns {node, apply(values)}.
 */
export function stateControls(send, enabled, onSnap) {
  const appliers = new Map(); // key -> function(value) moving its control

  const sliders = SLIDERS.map(([key, min, max]) => {
    const input = el("input", { type: "range", min, max, step: 1, id: `state-${key}`, disabled: !enabled });
    const out = el("output", { htmlFor: input.id }, "–");
    input.addEventListener("input", () => (out.textContent = input.value));
    input.addEventListener("change", () => send({ [key]: Number(input.value) }));
    appliers.set(key, (value) => {
      input.value = String(value);
      out.textContent = String(value);
    });
    return el("label", {}, el("span", {}, label(key)), input, out);
  });

  const toggles = TOGGLES.map((key) => {
    const button = el("button", { type: "button", id: `state-${key}`, disabled: !enabled }, label(key));
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", () => send({ [key]: button.getAttribute("aria-pressed") !== "true" }));
    appliers.set(key, (value) => button.setAttribute("aria-pressed", String(value === true)));
    return button;
  });

  const resolution = el(
    "select",
    { id: "state-resolution", disabled: !enabled },
    ...RESOLUTIONS.map((r) => el("option", { value: r }, r)),
  );
  resolution.addEventListener("change", () => send({ resolution: resolution.value }));
  appliers.set("resolution", (value) => (resolution.value = value));

  const record = RECORD.map((word) => {
    const button = el("button", { type: "button", id: `state-record-${word}`, disabled: !enabled }, `Record ${word}`);
    button.addEventListener("click", () => send({ record: word }));
    return button;
  });
  appliers.set("record", (value) => {
    for (const [i, word] of RECORD.entries()) record[i].setAttribute("aria-pressed", String(value === word));
  });

  const snap = el("button", { type: "button", id: "state-snap", disabled: !enabled }, "Snap");
  snap.addEventListener("click", () => {
    send({ snap: true });
    onSnap();
  });
  const exists = el("span", { id: "state-cam1-exists", className: "note" });
  appliers.set("cam1-exists", (value) => (exists.textContent = value ? "camera present" : "camera absent"));

  const node = el(
    "section",
    { className: "controls", ariaLabel: "Camera state" },
    el("h2", {}, "State"),
    exists,
    ...sliders,
    el("label", {}, el("span", {}, "Resolution"), resolution),
    el("div", { className: "row" }, ...toggles),
    el("div", { className: "row", role: "group", ariaLabel: "Recording" }, ...record, snap),
  );
  return {
    node,
    apply(values) {
      for (const [key, value] of Object.entries(values)) appliers.get(key)?.(value);
    },
  };
}
