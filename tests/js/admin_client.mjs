// The official socket.io-client 4.x against the admin API: connect with a token passed one
// way, send the requests given as JSON, print one JSON line per outcome, then disconnect.
// Usage: node admin_client.mjs URL PASSING(auth|header|query|none) TOKEN TRANSPORT REQUESTS
import { io } from "socket.io-client";

const [url, passing, token, transport, requestsJson] = process.argv.slice(2);
const options = {
  transports: [transport || "websocket"],
  rejectUnauthorized: false, // the test server's certificate is self-signed
  reconnection: false,
  timeout: 15000,
};
if (passing === "auth") options.auth = { token };
if (passing === "header") options.extraHeaders = { Authorization: `Bearer ${token}` };
if (passing === "query") options.query = { token };

const print = (line) => console.log(JSON.stringify(line));
const socket = io(url, options);
const giveUp = setTimeout(() => {
  print({ timeout: true });
  process.exit(1);
}, 30000);

socket.on("connect_error", (error) => {
  print({ connect_error: error.message });
  clearTimeout(giveUp);
  socket.close();
});

socket.on("connect", async () => {
  print({ connected: true, transport: socket.io.engine.transport.name });
  for (const request of JSON.parse(requestsJson || "[]")) {
    const answer = await new Promise((resolve) => {
      socket.once(request.requestId, resolve);
      socket.emit("request", request);
    });
    print({ requestId: request.requestId, answer });
  }
  clearTimeout(giveUp);
  socket.disconnect();
});
