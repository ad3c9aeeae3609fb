// The page's one client of the relay: the §4 token of this tab (sessionStorage), the /api/
// routes, and the ordinary core API through a session opened for the token (/api/session).
// Every view talks to the server through these functions, so the three rules below hold
// everywhere: an invalid token returns to the login form, a lost server shows the banner and is
// retried with backoff, and a core session that ended is reopened once, transparently.

const TOKEN_KEY = "camrelay.token";
const ME_KEY = "camrelay.me";
const NO_SUCH_SESSION = 6;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 4000;

/** The token was refused (expired, revoked, logged out elsewhere): log in again. */
export class Unauthorized extends Error {}

/** A core request answered {"result":"BAD","code":N}; `code` is N (16: not allowed). */
export class CoreError extends Error {
  constructor(name, code) {
    super(`${name}: error ${code}`);
    this.code = code;
  }
}

const listeners = { connection: new Set(), unauthorized: new Set() };
let online = true;
let session = null; // {shash, device} of the core API for this tab
let opening = null; // the /api/session request in flight, shared by concurrent callers

/** Call `fn(online)` when the server becomes unreachable or reachable again; returns unsubscribe. */
export function onConnection(fn) {
  listeners.connection.add(fn);
  return () => listeners.connection.delete(fn);
}

/** Call `fn(message)` when the token is refused; returns unsubscribe. */
export function onUnauthorized(fn) {
  listeners.unauthorized.add(fn);
  return () => listeners.unauthorized.delete(fn);
}

function setOnline(value) {
  if (online === value) return;
  online = value;
  for (const fn of listeners.connection) fn(value);
}

export function isOnline() {
  return online;
}

function refused(message) {
  forget();
  for (const fn of listeners.unauthorized) fn(message);
  return new Unauthorized(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * fetch() that waits out a lost server: on a network error it reports the server offline and
 * tries again with growing delays until an answer (any HTTP status) comes back. `signal` aborts.
 */
export async function reach(url, init = {}) {
  let delay = RETRY_FIRST_MS;
  for (;;) {
    try {
      const response = await fetch(url, init);
      if (response.status === 502 || response.status === 503) throw new TypeError("unavailable");
      setOnline(true);
      return response;
    } catch (error) {
      if (init.signal?.aborted) throw error;
      if (!(error instanceof TypeError)) throw error;
      setOnline(false);
      await sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}

/** The login answer kept for the tab: {user, account, role, cameras, expires}, or null. */
export function me() {
  const text = sessionStorage.getItem(ME_KEY);
  return text && sessionStorage.getItem(TOKEN_KEY) ? JSON.parse(text) : null;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ME_KEY);
  session = null;
}

/**
 * A JSON /api/ route with the tab's bearer token: the parsed answer. Unauthorized on 401 (and
 * the page returns to the login form); other HTTP errors throw an Error with the server's message.
 */
export async function api(path, { method = "GET", body } = {}) {
  const headers = {};
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await reach(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) throw refused("Your session has expired: please log in again.");
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

/** Log in: keeps the token for this tab; throws Error("Invalid credentials") when refused. */
export async function login(username, password) {
  const response = await reach("/api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  const { token: value, ...who } = answer;
  sessionStorage.setItem(TOKEN_KEY, value);
  sessionStorage.setItem(ME_KEY, JSON.stringify(who));
  session = null;
  return who;
}

/** Log out: the token is revoked on the server and forgotten here. */
export async function logout() {
  if (token()) await api("/api/logout", { method: "POST" }).catch(() => {});
  forget();
}

/** The tab's core session {shash, device}, opened for the token when there is none. */
export async function coreSession() {
  if (session) return session;
  if (!opening) {
    opening = api("/api/session", { method: "POST" }).finally(() => {
      opening = null;
    });
  }
  session = await opening;
  return session;
}

/** Run `call(session)`; when it fails with code 6 (the session ended), reopen and retry once. */
async function withSession(call) {
  const first = await coreSession();
  try {
    return await call(first);
  } catch (error) {
    if (!(error instanceof CoreError) || error.code !== NO_SUCH_SESSION) throw error;
    if (session === first) session = null;
    return call(await coreSession());
  }
}

/**
 * A core-API request (core-http2-api.txt): POST /NAME.json {shash, ...params}; the answer object
 * of {"result":"OK"}, CoreError(code) for {"result":"BAD"}. With `raw` the Response is returned
 * as is (getRecordData's JPEG) once its status says OK.
 */
export function core(name, params = {}, { raw = false } = {}) {
  return withSession(async ({ shash }) => {
    const response = await reach(`/${name}.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ shash, ...params }),
    });
    const type = response.headers.get("Content-Type") || "";
    if (raw && !type.startsWith("application/json")) return response;
    const answer = await response.json();
    if (answer.result !== "OK") throw new CoreError(name, answer.code);
    return answer;
  });
}

/**
 * A streamed core request (output.raw): the Response of POST /NAME?shash&...query, its body not
 * read. CoreError when the server answers JSON BAD instead of a stream.
 */
export function stream(name, query, { signal } = {}) {
  return withSession(async ({ shash }) => {
    const search = new URLSearchParams({ shash, ...query });
    const response = await reach(`/${name}?${search}`, { method: "POST", signal });
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) {
      const answer = await response.json();
      throw new CoreError(name, answer.code);
    }
    return response;
  });
}
