// Cameras: a grid of the account's cameras in scope (the admin API's `cameras` list: online,
// streaming, fps in, viewers), each streaming one with its live view. Only tiles on screen
// fetch their stream, one fetch each; everything stops when the view is left.

import { el } from "../dom.js";
import { startLive } from "../live.js";
import { connect } from "../sio.js";

const REFRESH_MS = 3000;

/** The facts line of a camera item of the `cameras` list. */
export function facts(item) {
  const parts = [
    el("span", { className: item.online ? "online" : "" }, item.online ? "online" : "offline"),
    el("span", {}, item.streaming ? "streaming" : "not streaming"),
  ];
  if (item.streaming) {
    parts.push(el("span", {}, `${item.fps ?? "–"} fps in`), el("span", {}, `${item.viewers} viewers`));
  }
  return parts;
}

export function show(root, ctx) {
  const sio = connect(ctx.api.token());
  const grid = el("ul", { className: "grid", ariaLabel: "Cameras" });
  const note = el("p", { className: "note", role: "status" }, "Loading…");
  const tiles = new Map(); // name -> {tile, canvas, line, stop, visible, streaming}
  const seen = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const tile = tiles.get(entry.target.dataset.camera);
      if (tile) {
        tile.visible = entry.isIntersecting;
        live(tile);
      }
    }
  });
  let timer = 0;
  let busy = false;

  function soon(ms) {
    clearTimeout(timer);
    timer = setTimeout(refresh, ms);
  }

  function live(tile) {
    const wanted = tile.visible && tile.streaming;
    if (wanted && !tile.stop) tile.stop = startLive(tile.canvas, tile.name, ctx.api);
    if (!wanted && tile.stop) {
      tile.stop();
      tile.stop = null;
    }
  }

  function tileOf(name) {
    const canvas = el("canvas", { className: "live", width: 640, height: 480, ariaLabel: `${name} live` });
    const line = el("p", { className: "facts" });
    const tile = el(
      "li",
      { className: "tile", data: { camera: name } },
      el("a", { href: `#/camera/${encodeURIComponent(name)}` }, el("h2", {}, name), canvas, line),
    );
    const entry = { name, tile, canvas, line, stop: null, visible: false, streaming: false };
    tiles.set(name, entry);
    seen.observe(tile);
    return entry;
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const answer = await sio.request({
        command: "list",
        module: "cameras",
        payload: { search: null, page: 1, itemsPerPage: 100, sortBy: null },
      });
      const names = new Set(answer.items.map((item) => item.name));
      for (const [name, tile] of tiles) {
        if (names.has(name)) continue;
        tile.stop?.();
        seen.unobserve(tile.tile);
        tile.tile.remove();
        tiles.delete(name);
      }
      for (const item of answer.items) {
        const tile = tiles.get(item.name) || tileOf(item.name);
        grid.append(tile.tile); // keeps the server's order
        tile.line.replaceChildren(...facts(item));
        tile.streaming = item.streaming;
        live(tile);
      }
      note.textContent = answer.items.length ? "" : "No cameras yet.";
    } catch (error) {
      note.textContent = `Could not list the cameras: ${error.message}`;
    } finally {
      busy = false;
    }
    soon(REFRESH_MS);
  }

  root.append(el("h1", {}, "Cameras"), note, grid);
  const offState = sio.on("$state", (state) => state === "up" && soon(0));
  const offEvents = sio.on("camrelay:*", () => soon(100)); // a camera started, stopped, …
  soon(0);
  return () => {
    clearTimeout(timer);
    offState();
    offEvents();
    seen.disconnect();
    for (const tile of tiles.values()) tile.stop?.();
    sio.close();
  };
}
