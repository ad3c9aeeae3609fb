// Admin sockets for `make bench` part admin: the official socket.io-client (what a browser
// page runs), WebSocket transport, so the figure is the relay's more than a Python client's.
// usage: node admin_receivers.mjs URL TOKEN COUNT
// Prints "ready" once every socket is connected, then N each time every socket has its N-th
// camera:demand (from 0); on "stop" from stdin prints {"times": [[ns, ...] per socket],
// "sinceAt": [ms, ...]} (arrival ns on CLOCK_MONOTONIC; ms since each event's `at`) and exits.
import { require, serve } from "./receivers.mjs";

const { io } = require("socket.io-client");
const [url, token, countText] = process.argv.slice(2);
const times = [];
const sinceAt = [];
let reported = 0;

function report() {
  const complete = Math.min(...times.map((mine) => mine.length));
  while (reported < complete) process.stdout.write(`${reported++}\n`);
}

function open() {
  return new Promise((resolve, reject) => {
    const mine = [];
    times.push(mine);
    const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
    socket.on("camera:demand", (data) => {
      mine.push(process.hrtime.bigint().toString()); // CLOCK_MONOTONIC
      sinceAt.push(Date.now() - Date.parse(data.at));
      report();
    });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", reject);
  });
}

await serve(Number(countText), open, () => ({ times, sinceAt }), (socket) => socket.close());
