// The page's panels: one entry per route `#/NAME/ARG…`. The nav shows the entries with a
// `title` whose `right` the user's role has; a route whose right is missing is not offered and
// shows "not allowed". To add a panel: write js/views/NAME.js exporting
// `show(root, ctx) -> cleanup` (see app.js for ctx) and add (or uncomment) its entry here.

export const routes = [
  { name: "cameras", title: "Cameras", right: "watch", load: () => import("./views/cameras.js") },
  // #/camera/NAME: one camera, large; reached from the grid, not listed in the nav.
  { name: "camera", right: "watch", load: () => import("./views/camera.js") },
  // Extension points for the next panels (uncomment when the view module exists):
  { name: "records", title: "Records", right: "read records", load: () => import("./views/records.js") },
  { name: "messages", title: "Messages", right: "read messages", load: () => import("./views/messages.js") },
  { name: "events", title: "Events", right: "watch", load: () => import("./views/events.js") },
  { name: "admin", title: "Admin", right: "manage", load: () => import("./views/admin.js") },
];

export const HOME = "cameras";
