// What each role may do (CONTRACT §4; the server's table is camrelay/server/core/identity.py).
// The page offers only what the role may do; the server refuses the rest anyway (code 16).

const VIEWER = ["watch", "read records", "read messages"];
const OPERATOR = [...VIEWER, "control", "delete records", "send messages"];
const RIGHTS = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  admin: new Set([...OPERATOR, "manage", "logs"]),
};

/** Whether the logged-in user `me` (the login answer) may do `right`. */
export function can(me, right) {
  return Boolean(me && RIGHTS[me.role]?.has(right));
}
