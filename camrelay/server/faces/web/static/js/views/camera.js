// One camera (#/camera/NAME): its live view large, its state controls (§5, moved by anyone's
// changes) and its newest records with a JPEG preview.

import { el } from "../dom.js";
import { stateControls } from "../controls.js";
import { startLive } from "../live.js";
import { connectState } from "../state.js";
import { recordList } from "../records.js";

export function show(root, ctx) {
  const [name] = ctx.params;
  const canvas = el("canvas", { className: "live", id: "live", width: 640, height: 480, ariaLabel: `${name} live` });
  const status = el("p", { className: "note", role: "status", id: "state-message" });
  const records = recordList(ctx.api, name, ctx.signal);
  const controls = stateControls((values) => state.set(values), ctx.can("control"), () => {});
  const state = connectState(name, ctx.api.token(), {
    onValues(values) {
      controls.apply(values);
      if ("rid" in values) records.refresh(); // our snap became a record
    },
    onError(message) {
      status.textContent = [message.error, message.key, message.message].filter(Boolean).join(": ");
      status.classList.add("error");
    },
    onLogin() {
      status.textContent = "";
      status.classList.remove("error");
    },
    onState(up) {
      if (up === "down") status.textContent = "State connection lost; reconnecting…";
    },
  });
  const stop = startLive(canvas, name, ctx.api);
  root.append(
    el("p", {}, el("a", { href: "#/cameras" }, "← Cameras")),
    el("h1", {}, name),
    el("div", { className: "camera" }, el("div", {}, canvas, status), controls.node),
    records.node,
  );
  return () => {
    stop();
    state.close();
    records.close();
  };
}
