// What the benches' node receivers share: the packages of tests/js, opening the sockets in
// batches, and the ready / stop exchange with bench/client_processes.py over stdin and stdout.
import { createRequire } from "node:module";
import readline from "node:readline";

export const require = createRequire(new URL("../../tests/js/package.json", import.meta.url));
const CONNECT_AT_ONCE = 50; // handshakes in flight: a burst of 500 is no figure

/** Open `count` sockets with `open()` (a promise of one), say "ready", wait for "stop", print
 * `figures()` as JSON, close each socket with `close(socket)` and exit. */
export async function serve(count, open, figures, close) {
  const sockets = [];
  for (let start = 0; start < count; start += CONNECT_AT_ONCE) {
    const batch = Math.min(CONNECT_AT_ONCE, count - start);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, open))));
  }
  process.stdout.write("ready\n");
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line.trim() === "stop") break;
  }
  process.stdout.write(JSON.stringify(figures()) + "\n", () => {
    for (const socket of sockets) close(socket);
    process.exit(0);
  });
}
