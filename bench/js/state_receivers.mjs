// State-sync sockets for `make bench` part state: node's `ws`, the client the document's own
// examples use, so the figure is the relay's more than a Python client's parsing.
// usage: node state_receivers.mjs URL TOKEN COUNT
// Prints "ready" once every socket is logged in and has its snapshot; on "stop" from stdin prints
// each socket's [[brightness, arrival ns on CLOCK_MONOTONIC], ...] as JSON and exits.
import { require, serve } from "./receivers.mjs";

const WebSocket = require("ws");
const [url, token, countText] = process.argv.slice(2);
const arrivals = [];

function open() {
  return new Promise((resolve, reject) => {
    const seen = [];
    arrivals.push(seen);
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let answers = 0; // the login answer, then the snapshot
    ws.on("open", () => ws.send(JSON.stringify({ token })));
    ws.on("message", (data) => {
      const now = process.hrtime.bigint(); // CLOCK_MONOTONIC, as Python's time.monotonic_ns()
      const message = JSON.parse(data);
      if (answers === 0 && message.authenticated !== true) reject(new Error(String(data)));
      if (answers < 2) {
        answers += 1;
        if (answers === 2) resolve(ws);
        return;
      }
      if (message.brightness !== undefined) seen.push([message.brightness, now.toString()]);
    });
    ws.on("error", reject);
  });
}

await serve(Number(countText), open, () => arrivals, (ws) => ws.terminate());
