// Messages (#/messages): send a message (name + JSON params) to a device or to every device of
// the account, and the conversation as it arrives: getMsgsAndSync polled while the view is shown
// (it hands out what came for this tab's device and broadcasts, and acknowledges them).

import { el } from "../dom.js";

const POLL_MS = 2000; // one core request each: well inside the session's per-minute cap
const KEPT = 200; // lines of the conversation kept on screen

export function show(root, ctx) {
  const me = el("p", { className: "note", id: "msg-me" });
  const note = el("p", { className: "note", role: "status", id: "msg-message" });
  const lines = el("ol", { className: "conversation", id: "conversation", ariaLabel: "Conversation" });
  const target = el("input", { id: "msg-target", placeholder: "empty: every device", autocomplete: "off" });
  const devices = el("datalist", { id: "msg-devices" });
  target.setAttribute("list", "msg-devices");
  const name = el("input", { id: "msg-name", required: true, autocomplete: "off" });
  const params = el("textarea", { id: "msg-params", rows: 3, value: "{}" });
  params.value = "{}";
  let timer = 0;
  let stopped = false;

  function line(direction, who, message, extra, stamp) {
    const text = `${stamp ? `${stamp} ` : ""}${direction} ${who}: ${message} ${extra}`;
    lines.append(el("li", { className: direction === "←" ? "in" : "out", data: { msg: message, device: who } }, text));
    while (lines.children.length > KEPT) lines.firstElementChild.remove();
    lines.lastElementChild.scrollIntoView?.({ block: "nearest" });
  }

  async function send(event) {
    event.preventDefault();
    let values;
    try {
      values = JSON.parse(params.value || "{}");
      if (typeof values !== "object" || values === null || Array.isArray(values)) throw new Error();
    } catch {
      note.textContent = "Params must be a JSON object, e.g. {\"level\": 2}.";
      note.classList.add("error");
      return;
    }
    try {
      await ctx.api.core("addMsgs", { msg: name.value, target: target.value.trim(), params: values });
      line("→", target.value.trim() || "every device", name.value, JSON.stringify(values), "");
      note.textContent = "Sent.";
      note.classList.remove("error");
    } catch (error) {
      note.textContent = `Not sent: ${error.message}${error.code === 16 ? " (your role may not send messages)" : ""}`;
      note.classList.add("error");
    }
  }

  async function poll() {
    try {
      const { msgs } = await ctx.api.core("getMsgsAndSync", {});
      if (stopped) return;
      for (const m of msgs) line("←", m.device, m.msg, JSON.stringify(m.params ?? {}), m.stamp);
    } catch (error) {
      if (!stopped) note.textContent = `Could not read the messages: ${error.message}`;
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  async function start() {
    const session = await ctx.api.coreSession();
    me.textContent = `This tab receives as device “${session.device}” (and every broadcast).`;
    ctx.api
      .core("getDevicesOnline", {})
      .then(({ devices: online }) => devices.replaceChildren(...online.map((d) => el("option", { value: d.device }))))
      .catch(() => {});
    poll();
  }

  const form = el(
    "form",
    { className: "message-form", id: "msg-form" },
    el("label", {}, "To ", target),
    el("label", {}, "Message ", name),
    el("label", {}, "Params (JSON) ", params),
    el("button", { type: "submit" }, "Send"),
  );
  form.addEventListener("submit", send);
  root.append(el("h1", {}, "Messages"), me, ctx.can("send messages") ? form : null, devices, note, lines);
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
