// State-sync sockets for `make bench` part state: node's `ws`, the client the document's own
// examples use, so the figure is the relay's more than a Python client's parsing.
// usage: node state_receivers.mjs URL TOKEN COUNT
// Prints "ready" once every socket is logged in and has its snapshot; on "stop" from stdin prints
// each socket's [[brightness, arrival ns on CLOCK_MONOTONIC], ...] as JSON and exits.
import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(new URL("../../tests/js/package.json", import.meta.url));
const WebSocket = require("ws");
const [url, token, countText] = process.argv.slice(2);
const CONNECT_AT_ONCE = 50;
const sockets = [];
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

for (let start = 0; start < Number(countText); start += CONNECT_AT_ONCE) {
  const batch = Math.min(CONNECT_AT_ONCE, Number(countText) - start);
  sockets.push(...(await Promise.all(Array.from({ length: batch }, open))));
}
process.stdout.write("ready\n");
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim() === "stop") break;
}
process.stdout.write(JSON.stringify(arrivals) + "\n", () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
