// Events (#/events): the admin API's live feed (Socket.IO `camrelay:*`: camera and credential
// events of the cameras the user may see), newest on top; for admins also the `log` stream with
// a level filter. Both lists are bounded; the socket closes when the view is left.

import { el } from "../dom.js";
import { connect } from "../sio.js";

const KEPT = 200; // events and log records kept (the server replays its last 100 logs anyway)
const LEVELS = [
  [20, "trace"],
  [30, "debug"],
  [40, "info"],
  [50, "warn"],
  [60, "error"],
  [70, "fatal"],
];
const LEVEL_NAMES = new Map(LEVELS);

function bounded(list, item) {
  list.prepend(item);
  while (list.children.length > KEPT) list.lastElementChild.remove();
}

export function show(root, ctx) {
  const sio = connect(ctx.api.token());
  const state = el("p", { className: "note", role: "status", id: "events-state" }, "Connecting…");
  const events = el("ol", { className: "feed", id: "events", ariaLabel: "Camera and credential events" });
  const offs = [];

  offs.push(
    sio.on("$state", (up) => {
      state.textContent = { up: "Live.", down: "Connection lost; reconnecting…", refused: "Refused: log in again." }[up];
    }),
    sio.on("camrelay:*", (event) => {
      const name = `${event.domain}:${event.event}`;
      const details = event.details && Object.keys(event.details).length ? ` ${JSON.stringify(event.details)}` : "";
      const time = el("time", { dateTime: event.at || "" }, (event.at || "").replace("T", " ").slice(0, 19));
      bounded(
        events,
        el("li", { data: { event: name, entity: String(event.entity ?? "") } }, time, ` ${name} `, el("strong", {}, String(event.entity ?? "")), details),
      );
    }),
  );

  const parts = [el("h1", {}, "Events"), state, el("h2", {}, "Cameras and keys"), events];
  if (ctx.can("logs")) {
    const logs = el("ol", { className: "feed logs", id: "logs", ariaLabel: "Log" });
    const level = el(
      "select",
      { id: "log-level", ariaLabel: "Lowest level shown" },
      ...LEVELS.map(([value, label]) => el("option", { value: String(value) }, `${label} and above`)),
    );
    level.value = "40";
    const filter = () => {
      for (const item of logs.children) item.hidden = Number(item.dataset.level) < Number(level.value);
    };
    level.addEventListener("change", filter);
    offs.push(
      sio.on("log", (record) => {
        const label = LEVEL_NAMES.get(record.level) || String(record.level);
        const item = el(
          "li",
          { className: `level-${label}`, data: { level: String(record.level) } },
          `${(record.timestamp || "").replace("T", " ").slice(0, 19)} ${label.toUpperCase()} ${record.service || ""}: ${record.msg}`,
        );
        item.hidden = record.level < Number(level.value);
        bounded(logs, item);
      }),
    );
    parts.push(el("h2", {}, "Log"), el("label", {}, "Show ", level), logs);
  }
  root.append(...parts);
  return () => {
    for (const off of offs) off();
    sio.close();
  };
}
