// Admin (#/admin, role admin): the account's users (add with role and camera scope, change role,
// remove), device keys (create: the secret shown once with a copy button; revoke), cameras
// (public flag, meta) through the admin API's Socket.IO modules, and the config kinds with their
// ranges through getConfig/setConfig. The server's refusals (the last admin, …) are shown as is.

import { el } from "../dom.js";
import { connect } from "../sio.js";

const ROLES = ["viewer", "operator", "admin"];
const LIST = { search: null, page: 1, itemsPerPage: 100, sortBy: null };

/** A section with a heading, a status line of its own and a body refreshed by `draw`. */
function section(id, title) {
  const note = el("p", { className: "note", role: "status", id: `${id}-message` });
  const body = el("div", { className: "table", id });
  const node = el("section", { className: "admin", ariaLabel: title }, el("h2", {}, title), note, body);
  return {
    node,
    body,
    say(text, bad = false) {
      note.textContent = text;
      note.classList.toggle("error", bad);
    },
  };
}

function table(headings, rows) {
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows),
  );
}

function roleSelect(value, props = {}) {
  const select = el("select", props, ...ROLES.map((r) => el("option", { value: r }, r)));
  select.value = value;
  return select;
}

/** A refusal as a person reads it: the error and its details ("Forbidden: the last admin …"). */
function reason(error) {
  const more = error.details?.details;
  const text = Array.isArray(more) ? more.map((d) => `${d.path}: ${d.message}`).join("; ") : more || "";
  return text ? `${error.message}: ${text}` : error.message;
}

function scopeOf(text) {
  const names = text.split(",").map((s) => s.trim()).filter(Boolean);
  return names.length ? names : null;
}

export function show(root, ctx) {
  const sio = connect(ctx.api.token());
  const request = (command, module, extra = {}) => sio.request({ command, module, ...extra });
  const users = section("users", "Users");
  const keys = section("keys", "Device keys");
  const cameras = section("admin-cameras", "Cameras");
  const config = section("config", "Config kinds");

  async function run(part, work, done) {
    try {
      await work();
      if (done) part.say(done);
      return true;
    } catch (error) {
      part.say(reason(error), true);
      return false;
    }
  }

  // Users.
  const newName = el("input", { id: "user-name", required: true, autocomplete: "off" });
  const newPass = el("input", { id: "user-pass", type: "password", required: true, autocomplete: "new-password" });
  const newRole = roleSelect("viewer", { id: "user-role" });
  const newScope = el("input", { id: "user-cameras", placeholder: "empty: every camera" });
  const userForm = el(
    "form",
    { className: "row", id: "user-form" },
    el("label", {}, "Name ", newName),
    el("label", {}, "Password ", newPass),
    el("label", {}, "Role ", newRole),
    el("label", {}, "Cameras ", newScope),
    el("button", { type: "submit" }, "Add user"),
  );
  userForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = { name: newName.value, password: newPass.value, role: newRole.value, cameras: scopeOf(newScope.value) };
    if (await run(users, () => request("create", "users", { payload }), `User ${payload.name} added.`)) {
      userForm.reset();
      drawUsers();
    }
  });

  async function drawUsers() {
    const answer = await request("list", "users", { payload: LIST });
    const rows = answer.items.map((user) => {
      const role = roleSelect(user.role, { ariaLabel: `Role of ${user.name}` });
      role.addEventListener("change", async () => {
        const ok = await run(users, () => request("update", "users", { entity: user.name, payload: { role: role.value } }), `${user.name} is now ${role.value}.`);
        if (!ok) role.value = user.role;
        else user.role = role.value;
      });
      const scope = el("input", { value: (user.cameras || []).join(", "), placeholder: "every camera", ariaLabel: `Cameras of ${user.name}` });
      scope.addEventListener("change", () =>
        run(users, () => request("update", "users", { entity: user.name, payload: { cameras: scopeOf(scope.value) } }), `Cameras of ${user.name} saved.`),
      );
      const drop = el("button", { type: "button", ariaLabel: `Remove ${user.name}` }, "Remove");
      drop.addEventListener("click", async () => {
        if (await run(users, () => request("delete", "users", { entity: user.name }), `${user.name} removed.`)) drawUsers();
      });
      return el("tr", { data: { user: user.name } }, el("td", {}, user.name), el("td", {}, role), el("td", {}, scope), el("td", {}, drop));
    });
    users.body.replaceChildren(table(["Name", "Role", "Cameras", ""], rows), userForm);
  }

  // Device keys.
  const keyDevice = el("input", { id: "key-device", required: true, autocomplete: "off", placeholder: "camera device name" });
  const keyDays = el("input", { id: "key-days", type: "number", min: "0", step: "any", placeholder: "never" });
  const secretBox = el("div", { className: "secret", id: "key-secret", role: "alert", hidden: true });
  const keyForm = el(
    "form",
    { className: "row", id: "key-form" },
    el("label", {}, "Camera ", keyDevice),
    el("label", {}, "Expires in (days) ", keyDays),
    el("button", { type: "submit" }, "Create key"),
  );
  keyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = { device: keyDevice.value.trim() };
    if (Number(keyDays.value) > 0) payload.expiresIn = Number(keyDays.value) * 86400;
    let made = null;
    if (await run(keys, async () => (made = await request("create", "credentials", { payload })), "")) {
      showSecret(made);
      keyForm.reset();
      drawKeys();
    }
  });

  function showSecret(made) {
    const secret = el("input", { id: "key-secret-value", readOnly: true, value: made.secret, ariaLabel: "Secret" });
    const copy = el("button", { type: "button", id: "key-copy" }, "Copy");
    copy.addEventListener("click", async () => {
      secret.select();
      try {
        await navigator.clipboard.writeText(made.secret);
      } catch {
        document.execCommand("copy"); // http:// pages have no clipboard API
      }
      copy.textContent = "Copied";
    });
    const hide = el("button", { type: "button" }, "Done");
    hide.addEventListener("click", () => {
      secretBox.replaceChildren();
      secretBox.hidden = true;
    });
    secretBox.replaceChildren(
      el("p", {}, "Key ", el("code", { id: "key-secret-id" }, made.id), ` for ${made.device}. Its secret is shown only now:`),
      el("div", { className: "row" }, secret, copy, hide),
      el("p", { className: "note" }, `camrelay push --key-id ${made.id} (secret in $CAMRELAY_KEY)`),
    );
    secretBox.hidden = false;
    secret.focus();
  }

  async function drawKeys() {
    const answer = await request("list", "credentials", { payload: LIST });
    const rows = answer.items.map((key) => {
      const revoke = el("button", { type: "button", ariaLabel: `Revoke ${key.id}`, disabled: Boolean(key.revokedAt) }, key.revokedAt ? "Revoked" : "Revoke");
      revoke.addEventListener("click", async () => {
        if (await run(keys, () => request("delete", "credentials", { entity: key.id }), `Key ${key.id} revoked.`)) drawKeys();
      });
      const when = (t) => (t ? t.replace("T", " ").slice(0, 16) : "–");
      return el(
        "tr",
        { data: { key: key.id, device: key.device } },
        el("td", {}, el("code", {}, key.id)),
        el("td", {}, key.device),
        el("td", {}, when(key.createdAt)),
        el("td", {}, when(key.expiresAt)),
        el("td", {}, when(key.lastUsedAt)),
        el("td", {}, String(key.uses ?? 0)),
        el("td", {}, revoke),
      );
    });
    keys.body.replaceChildren(secretBox, table(["Id", "Camera", "Created", "Expires", "Last used", "Uses", ""], rows), keyForm);
  }

  // Cameras.
  const cameraName = el("input", { id: "camera-name", required: true, autocomplete: "off" });
  const cameraPublic = el("input", { id: "camera-public", type: "checkbox" });
  const cameraForm = el(
    "form",
    { className: "row", id: "camera-form" },
    el("label", {}, "Camera ", cameraName),
    el("label", {}, cameraPublic, " public"),
    el("button", { type: "submit" }, "Register camera"),
  );
  cameraForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = { name: cameraName.value.trim(), public: cameraPublic.checked };
    if (await run(cameras, () => request("create", "cameras", { payload }), `${payload.name} registered.`)) {
      cameraForm.reset();
      drawCameras();
    }
  });

  async function drawCameras() {
    const answer = await request("list", "cameras", { payload: LIST });
    const rows = answer.items.map((camera) => {
      const flag = el("input", { type: "checkbox", checked: camera.public, ariaLabel: `${camera.name} is public` });
      const meta = el("input", { value: camera.meta || "", ariaLabel: `Meta of ${camera.name}` });
      const save = el("button", { type: "button" }, "Save");
      save.addEventListener("click", async () => {
        const payload = { meta: meta.value, public: flag.checked };
        // A camera known only by its stream is registered by its first save.
        const command = camera.createdAt ? "update" : "create";
        const extra = camera.createdAt ? { entity: camera.name, payload } : { payload: { name: camera.name, ...payload } };
        if (await run(cameras, () => request(command, "cameras", extra), `${camera.name} saved.`)) drawCameras();
      });
      return el(
        "tr",
        { data: { camera: camera.name } },
        el("td", {}, camera.name),
        el("td", {}, camera.online ? "online" : "offline"),
        el("td", {}, flag),
        el("td", {}, meta),
        el("td", {}, save),
      );
    });
    cameras.body.replaceChildren(table(["Camera", "State", "Public", "Meta", ""], rows), cameraForm);
    keyDevice.setAttribute("list", "admin-camera-names");
    cameras.body.append(el("datalist", { id: "admin-camera-names" }, ...answer.items.map((c) => el("option", { value: c.name }))));
  }

  // Config kinds.
  async function drawConfig() {
    const answer = await ctx.api.core("getConfig", {});
    const inputs = [];
    const rows = answer.config.map((kind) => {
      const input = el("input", { type: "number", min: String(kind.miv), max: String(kind.mav), step: "any", value: String(kind.fv), ariaLabel: kind.descr });
      inputs.push([kind, input]);
      return el(
        "tr",
        { data: { kind: String(kind.kind) } },
        el("td", {}, String(kind.kind)),
        el("td", {}, kind.descr),
        el("td", {}, `${kind.miv} – ${kind.mav}`),
        el("td", {}, String(kind.dv)),
        el("td", {}, input),
      );
    });
    const save = el("button", { type: "button", id: "config-save" }, "Save config");
    save.addEventListener("click", async () => {
      const changed = inputs.filter(([kind, input]) => Number(input.value) !== kind.fv).map(([kind, input]) => ({ kind: kind.kind, fv: Number(input.value) }));
      if (!changed.length) return config.say("Nothing changed.");
      const ok = await run(config, () => ctx.api.core("setConfig", { config: changed }), "Config saved.");
      if (!ok) config.say("The server refused the values (each must be within its range); nothing changed.", true);
      else drawConfig();
    });
    config.body.replaceChildren(table(["Kind", "Meaning", "Range", "Default", "Value"], rows), save);
  }

  root.append(el("h1", {}, "Admin"), users.node, keys.node, cameras.node, config.node);
  const draw = () => {
    run(users, drawUsers);
    run(keys, drawKeys);
    run(cameras, drawCameras);
  };
  run(config, drawConfig);
  const offState = sio.on("$state", (state) => state === "up" && draw());
  return () => {
    offState();
    sio.close();
  };
}
