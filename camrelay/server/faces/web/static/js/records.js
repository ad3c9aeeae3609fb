// A camera's newest records (getRecordCount, getRecordMeta, getRecordData), newest first, with a
// JPEG preview that opens large. The Records panel does paging, clips and deletion.

import { el } from "./dom.js";

const SHOWN = 6; // each record costs two core requests of the session's per-minute cap

/** A record's data (getRecordData) as a Blob typed by the server (image/jpeg, video/x-motion-jpeg, …). */
export function recordBlob(api, rid) {
  return api.core("getRecordData", { rid }, { raw: true }).then((response) => response.blob());
}

/** Whether a record's meta text names a JPEG (the default format). */
export function isJpeg(meta) {
  return !meta || ["JPEG", "JPG"].includes(meta.trim().split(/\s+/)[0].toUpperCase());
}

export function recordList(api, device, signal) {
  const list = el("ul", { className: "records", id: "records" });
  const preview = el("img", { className: "preview", id: "record-preview", alt: "", hidden: true });
  const note = el("p", { className: "note", role: "status" });
  const urls = [];

  function jpegOf(rid) {
    return api
      .core("getRecordData", { rid }, { raw: true })
      .then((response) => response.blob())
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        urls.push(url);
        return url;
      });
  }

  async function item(record) {
    const meta = await api.core("getRecordMeta", { rid: record.rid });
    const isJpeg = !meta.meta || meta.meta.toUpperCase() === "JPEG";
    const title = `${record.stamp} · #${record.rid}${isJpeg ? "" : ` · ${meta.meta}`}`;
    const button = el("button", { type: "button", data: { rid: String(record.rid) }, ariaLabel: `Open ${title}` });
    if (isJpeg) {
      const img = el("img", { alt: title, src: await jpegOf(record.rid) });
      button.append(img);
      button.addEventListener("click", () => {
        preview.src = img.src;
        preview.alt = title;
        preview.hidden = false;
        preview.dataset.rid = String(record.rid);
      });
    } else button.disabled = true;
    return el("li", {}, button, el("div", { className: "note" }, title));
  }

  async function refresh() {
    try {
      const { records } = await api.core("getRecordCount", {});
      const mine = records.filter((r) => r.device === device).sort((a, b) => b.rid - a.rid).slice(0, SHOWN);
      const items = await Promise.all(mine.map(item));
      if (signal.aborted) return;
      list.replaceChildren(...items);
      note.textContent = items.length ? "" : "No records yet.";
    } catch (error) {
      if (!signal.aborted) note.textContent = `Could not read the records: ${error.message}`;
    }
  }

  refresh();
  return {
    node: el("section", { ariaLabel: "Records" }, el("h2", {}, "Records"), note, list, preview),
    refresh,
    close() {
      for (const url of urls) URL.revokeObjectURL(url);
    },
  };
}
