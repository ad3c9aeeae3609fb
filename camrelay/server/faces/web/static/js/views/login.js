// The login form (CONTRACT §4 POST /api/login); the token is kept for the tab by api.js.

import { el } from "../dom.js";

/** Show the form in `root`; ctx: {api, message (shown above the form), done()}. */
export function show(root, { api, message, done }) {
  const note = el("p", { className: "note", role: "status", id: "login-message" }, message || "");
  const user = el("input", { id: "login-user", name: "username", autocomplete: "username", required: true });
  const pass = el("input", {
    id: "login-pass",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = el("button", { type: "submit" }, "Log in");
  const form = el(
    "form",
    { className: "login", ariaLabel: "Log in" },
    el("h1", {}, "Log in"),
    note,
    el("label", { htmlFor: "login-user" }, "User"),
    user,
    el("label", { htmlFor: "login-pass" }, "Password"),
    pass,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await api.login(user.value, pass.value);
      done();
    } catch (error) {
      note.textContent = error.message;
      note.classList.add("error");
      pass.select();
    } finally {
      submit.disabled = false;
    }
  });
  root.append(form);
  user.focus();
  return () => {};
}
