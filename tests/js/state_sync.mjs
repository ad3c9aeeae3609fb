// The document's own Node.js client shape: `ws` over wss, login, snapshot, a write, a batch
// with an invalid key. Prints every message received as one JSON array, then exits.
// Usage: node state_sync.mjs URL USERNAME PASSWORD
import WebSocket from 'ws';

const [url, username, password] = process.argv.slice(2);
const steps = [
  { after: 2, send: { brightness: 42 } },
  { after: 3, send: { brightness: 101, contrast: 7 } },
  { after: 5, send: null },
];
const received = [];
const ws = new WebSocket(url, { rejectUnauthorized: false });
const timer = setTimeout(() => { console.error('timed out', received); process.exit(2); }, 20000);

ws.on('open', () => ws.send(JSON.stringify({ username, password })));
ws.on('message', (data) => {
  received.push(JSON.parse(data));
  const step = steps.find((s) => s.after === received.length);
  if (!step) return;
  if (step.send) ws.send(JSON.stringify(step.send));
  else ws.close(1000);
});
ws.on('close', () => {
  clearTimeout(timer);
  console.log(JSON.stringify(received));
});
ws.on('error', (error) => { console.error(error); process.exit(1); });
