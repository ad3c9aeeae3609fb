// Building elements in a line: el("button", {type: "button", onclick}, "Snap").

/** An element with properties (className, id, onclick, dataset via data: {...}) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "data") Object.assign(node.dataset, value);
    else if (key === "ariaLabel") node.setAttribute("aria-label", value);
    else if (key === "role") node.setAttribute("role", value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}
