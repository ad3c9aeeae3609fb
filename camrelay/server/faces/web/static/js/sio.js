// A small Socket.IO v5 (Engine.IO v4, WebSocket transport only) client of the admin API
// (CONTRACT §6), authenticated with the tab's token. Enough for requests and topic events;
// it reconnects by itself. The Events and Admin panels use it too:
//   const sio = connect(api.token());
//   const answer = await sio.request({command: "list", module: "cameras", payload: {...}});
//   const off = sio.on("camera:*", (event) => …);   // any event name the server emits
//   sio.close();

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 4000;
const REQUEST_MS = 10000;

/** A Socket.IO error answer {"error":{message,…}} of a request. */
export class SioError extends Error {
  constructor(error) {
    super(error?.message || "request failed");
    this.details = error;
  }
}

/** A connection that stays up until close(); `onState(fn)` hears "up", "down", "refused". */
export function connect(token) {
  const handlers = new Map(); // event name -> Set of functions
  const pending = new Map(); // requestId -> {resolve, reject, timer}
  const waiting = []; // requests sent before the namespace is connected
  let socket = null;
  let ready = false;
  let closed = false;
  let delay = RETRY_FIRST_MS;
  let counter = 0;

  function emit(name, data) {
    for (const fn of handlers.get(name) || []) fn(data);
  }

  function send(text) {
    if (ready) socket.send(text);
    else waiting.push(text);
  }

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/socket.io/?EIO=4&transport=websocket`);
    socket.onmessage = ({ data }) => receive(String(data));
    socket.onclose = () => {
      ready = false;
      if (closed) return;
      emit("$state", "down");
      setTimeout(() => closed || open(), delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    };
  }

  function receive(text) {
    const kind = text[0];
    if (kind === "0") socket.send(`40${JSON.stringify({ token })}`); // open: join "/" with auth
    else if (kind === "2") socket.send("3"); // ping
    else if (kind === "4") packet(text.slice(1));
  }

  function packet(text) {
    const kind = text[0];
    const data = text.length > 1 ? JSON.parse(text.slice(1)) : null;
    if (kind === "0") {
      ready = true;
      delay = RETRY_FIRST_MS;
      emit("$state", "up");
      for (const item of waiting.splice(0)) socket.send(item);
    } else if (kind === "4") {
      emit("$state", "refused");
      closed = true;
      socket.close();
      for (const [, call] of pending) call.reject(new SioError(data));
      pending.clear();
    } else if (kind === "2" && Array.isArray(data)) {
      const [name, payload] = data;
      const call = pending.get(name);
      if (call) {
        pending.delete(name);
        clearTimeout(call.timer);
        if (payload && payload.error) call.reject(new SioError(payload.error));
        else call.resolve(payload);
      } else emit(name, payload);
    }
  }

  open();
  return {
    /** Send {command, module, entity?, payload?}; the answer, or SioError. */
    request(message) {
      const requestId = `r${++counter}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          reject(new SioError({ message: "no answer" }));
        }, REQUEST_MS);
        pending.set(requestId, { resolve, reject, timer });
        send(`42${JSON.stringify(["request", { ...message, requestId }])}`);
      });
    },
    /** Call fn(data) on each event `name` ("$state" for the connection's state). */
    on(name, fn) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name).add(fn);
      return () => handlers.get(name).delete(fn);
    },
    close() {
      closed = true;
      socket?.close();
      for (const [, call] of pending) clearTimeout(call.timer);
      pending.clear();
    },
  };
}
