// Records (#/records, #/records/CAMERA): the account's records newest first, a page at a time,
// filtered by camera; JPEG previews, MJPEG clips played in the page, download, delete (for roles
// that may) and the storage the account uses. Every fetch stops when the view is left.

import { el } from "../dom.js";
import { playClip } from "../clip.js";
import { isJpeg, recordBlob } from "../records.js";

const PAGE = 8; // each record costs one or two core requests of the session's per-minute cap
const MIB = 1 << 20;

function size(bytes) {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

export function show(root, ctx) {
  const camera = ctx.params[0] || "";
  let page = 0;
  let records = []; // {rid, device, stamp} of the filter, newest first
  const urls = new Set();
  const stops = new Set();

  const storage = el("p", { className: "note", id: "storage" });
  const note = el("p", { className: "note", role: "status", id: "records-message" });
  const pick = el("select", { id: "records-camera", ariaLabel: "Camera" }, el("option", { value: "" }, "All cameras"));
  const list = el("ul", { className: "record-list", id: "record-list", ariaLabel: "Records" });
  const before = el("button", { type: "button", id: "records-newer" }, "← Newer");
  const after = el("button", { type: "button", id: "records-older" }, "Older →");
  const where = el("span", { className: "note", id: "records-page" });

  pick.addEventListener("change", () => ctx.navigate(pick.value ? `#/records/${encodeURIComponent(pick.value)}` : "#/records"));
  before.addEventListener("click", () => turn(page - 1));
  after.addEventListener("click", () => turn(page + 1));

  function objectUrl(blob) {
    const url = URL.createObjectURL(blob);
    urls.add(url);
    return url;
  }

  async function download(record, meta) {
    const blob = await recordBlob(ctx.api, record.rid);
    const kind = isJpeg(meta) ? "jpg" : meta.trim().split(/\s+/)[0].toLowerCase() || "bin";
    const link = el("a", { href: objectUrl(blob), download: `${record.device}-${record.rid}.${kind}` });
    document.body.append(link);
    link.click();
    link.remove();
  }

  async function remove(record, item) {
    item.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      await ctx.api.core("deleteRecords", { records: [record.rid] });
      note.textContent = `Record #${record.rid} deleted.`;
      note.classList.remove("error");
      load();
    } catch (error) {
      note.textContent = `Could not delete #${record.rid}: ${error.message}`;
      note.classList.add("error");
      item.querySelectorAll("button").forEach((b) => (b.disabled = false));
    }
  }

  function clip(record, item) {
    const canvas = el("canvas", { className: "clip", width: 320, height: 240, ariaLabel: `Clip #${record.rid}` });
    const play = el("button", { type: "button", className: "play" }, "▶ Play clip");
    let stop = null;
    play.addEventListener("click", async () => {
      if (stop) stop();
      play.disabled = true;
      try {
        const blob = await recordBlob(ctx.api, record.rid);
        stop = playClip(canvas, blob, () => (play.disabled = false));
        stops.add(() => stop());
      } catch (error) {
        play.disabled = false;
        note.textContent = `Could not read #${record.rid}: ${error.message}`;
      }
    });
    item.prepend(canvas);
    return play;
  }

  async function itemOf(record) {
    const { meta } = await ctx.api.core("getRecordMeta", { rid: record.rid });
    const item = el("li", { className: "record", data: { rid: String(record.rid), device: record.device } });
    const actions = el("div", { className: "row" });
    if (isJpeg(meta)) {
      const blob = await recordBlob(ctx.api, record.rid);
      const img = el("img", { className: "record-preview", alt: `${record.device} #${record.rid}`, src: objectUrl(blob) });
      item.append(el("a", { href: img.src, target: "_blank", rel: "noopener" }, img));
    } else if (meta.trim().toUpperCase().startsWith("MJPEG")) actions.append(clip(record, item));
    else item.append(el("p", { className: "note" }, `${meta} record`));
    const save = el("button", { type: "button", className: "download" }, "Download");
    save.addEventListener("click", () => download(record, meta).catch((e) => (note.textContent = e.message)));
    actions.append(save);
    if (ctx.can("delete records")) {
      const drop = el("button", { type: "button", className: "delete", ariaLabel: `Delete #${record.rid}` }, "Delete");
      drop.addEventListener("click", () => remove(record, item));
      actions.append(drop);
    }
    item.append(el("div", { className: "note" }, `${record.device} · ${record.stamp} · #${record.rid} · ${meta || "JPEG"}`), actions);
    return item;
  }

  async function turn(to) {
    page = Math.max(0, Math.min(to, Math.max(0, Math.ceil(records.length / PAGE) - 1)));
    for (const stop of stops) stop();
    stops.clear();
    for (const url of urls) URL.revokeObjectURL(url);
    urls.clear();
    const shown = records.slice(page * PAGE, (page + 1) * PAGE);
    const pages = Math.max(1, Math.ceil(records.length / PAGE));
    where.textContent = `Page ${page + 1} of ${pages} · ${records.length} records`;
    before.disabled = page === 0;
    after.disabled = page + 1 >= pages;
    try {
      const items = await Promise.all(shown.map(itemOf));
      if (ctx.signal.aborted) return;
      list.replaceChildren(...items);
      if (!note.classList.contains("error") && !note.textContent.startsWith("Record #"))
        note.textContent = items.length ? "" : "No records.";
    } catch (error) {
      if (!ctx.signal.aborted) note.textContent = `Could not read the records: ${error.message}`;
    }
  }

  async function load() {
    try {
      const answer = await ctx.api.core("getRecordCount", {});
      const cameras = [...new Set(answer.records.map((r) => r.device))].sort();
      if (camera && !cameras.includes(camera)) cameras.push(camera);
      pick.replaceChildren(pick.options[0], ...cameras.map((name) => el("option", { value: name }, name)));
      pick.value = camera;
      records = answer.records.filter((r) => !camera || r.device === camera).sort((a, b) => b.rid - a.rid);
      turn(page);
    } catch (error) {
      if (!ctx.signal.aborted) note.textContent = `Could not list the records: ${error.message}`;
    }
    ctx.api
      .api("/api/storage")
      .then(({ used, quota }) => (storage.textContent = `Storage used: ${size(used)} of ${size(quota)}`))
      .catch(() => {});
  }

  root.append(
    el("h1", {}, "Records"),
    storage,
    el("div", { className: "row" }, el("label", {}, "Camera ", pick), before, where, after),
    note,
    list,
  );
  load();
  return () => {
    for (const stop of stops) stop();
    for (const url of urls) URL.revokeObjectURL(url);
  };
}
