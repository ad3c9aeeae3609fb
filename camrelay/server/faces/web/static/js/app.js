// The page's shell: a hash router over the routes table (routes.js), the nav filtered by the
// user's role, the login form when there is no valid token, and the "server unreachable" banner.
//
// A view module exports `show(root, ctx)` and returns a cleanup function (called when the view
// is left: stop fetches, close sockets, clear timers). `ctx` holds:
//   me        the login answer {user, account, role, cameras (null: all), expires}
//   api       the api.js module (api, core, stream, reach, onConnection, …)
//   can(r)    whether the role may do right r (rights.js: "watch", "control", "delete records",
//             "read records", "read messages", "send messages", "manage", "logs")
//   params    the route's arguments: `#/camera/yard` gives ["yard"] (decoded)
//   navigate(hash)  go to another route, e.g. ctx.navigate("#/camera/yard")
//   signal    an AbortSignal aborted when the view is left (for fetch)

import * as api from "./api.js";
import { can } from "./rights.js";
import { HOME, routes } from "./routes.js";
import * as loginView from "./views/login.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const logoutButton = document.getElementById("logout");
const banner = document.getElementById("banner");

let leave = () => {}; // the cleanup of the view on screen
let shown = 0; // counts views shown, so a slow import does not show a view already left
let loginMessage = "";

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function parse(hash) {
  const [name, ...params] = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  return { name: name || HOME, params: params.map(decodeURIComponent) };
}

function drawNav(me, current) {
  nav.replaceChildren();
  for (const route of routes) {
    if (!route.title || !can(me, route.right)) continue;
    const link = document.createElement("a");
    link.href = `#/${route.name}`;
    link.textContent = route.title;
    if (route.name === current) link.setAttribute("aria-current", "page");
    nav.append(link);
  }
  who.textContent = me ? `${me.user} (${me.role}) · ${me.account}` : "";
  logoutButton.hidden = !me;
}

async function render() {
  leave();
  leave = () => {};
  const ticket = ++shown;
  const me = api.me();
  const { name, params } = parse(location.hash);
  drawNav(me, name);
  main.replaceChildren();
  if (!me) {
    const message = loginMessage;
    loginMessage = "";
    leave = loginView.show(main, { api, message, done: () => render() }) || (() => {});
    return;
  }
  const route = routes.find((r) => r.name === name);
  if (!route || !can(me, route.right)) {
    const p = document.createElement("p");
    p.textContent = route ? "Your role may not open this panel." : "There is no such page.";
    main.append(p);
    return;
  }
  const module = await route.load();
  if (ticket !== shown) return;
  const controller = new AbortController();
  const ctx = { me, api, can: (right) => can(me, right), params, navigate, signal: controller.signal };
  const cleanup = module.show(main, ctx) || (() => {});
  leave = () => {
    controller.abort();
    cleanup();
  };
}

api.onUnauthorized((message) => {
  loginMessage = message;
  render();
});
api.onConnection((online) => {
  banner.hidden = online;
});
logoutButton.addEventListener("click", async () => {
  await api.logout();
  loginMessage = "You are logged out.";
  render();
});
window.addEventListener("hashchange", render);
render();
