// A client of one camera's state (CONTRACT §5, WebSocket /api/v1?device=NAME), logged in with
// the tab's token. Values arrive as {key: value} (the snapshot after login, confirmations of our
// writes, and broadcasts of everyone else's); errors as {"error", "key"?, "message"?}.
// It reconnects by itself and logs in again; set() while it is down is dropped (the controls
// show the state the server has once it is back).

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 4000;

/**
 * Connect; handlers: onValues({key: value}), onError(message), onLogin(answer),
 * onState("up"|"down"). Returns {set(values), close()}.
 */
export function connectState(device, token, handlers) {
  const { onValues = () => {}, onError = () => {}, onLogin = () => {}, onState = () => {} } = handlers;
  let socket = null;
  let closed = false;
  let delay = RETRY_FIRST_MS;

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/api/v1?device=${encodeURIComponent(device)}`);
    socket.onopen = () => {
      delay = RETRY_FIRST_MS;
      socket.send(JSON.stringify({ token }));
      onState("up");
    };
    socket.onmessage = ({ data }) => {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      if ("authenticated" in message) {
        if (message.authenticated) onLogin(message);
        else onError(message);
      } else if ("error" in message) onError(message);
      else {
        const { info, ...values } = message;
        onValues(values);
      }
    };
    socket.onclose = () => {
      if (closed) return;
      onState("down");
      setTimeout(() => closed || open(), delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    };
  }

  open();
  return {
    set(values) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(values));
    },
    close() {
      closed = true;
      socket.close();
    },
  };
}
