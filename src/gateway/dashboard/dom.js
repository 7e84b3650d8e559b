// DOM helpers shared by the dashboard's parts: find, make, and write only what changed.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** Writes a cell's text only when it changed (the DOM is not touched otherwise). */
export function setText(node, text) {
  if (node.__text !== text) {
    node.__text = text;
    node.textContent = text;
  }
}

export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** Removes the entries of a keyed map that the last snapshot did not have, and their nodes. */
export function dropUnseen(map, seen, nodeOf) {
  for (const [key, entry] of map) {
    if (!seen.has(key)) {
      nodeOf(entry).remove();
      map.delete(key);
    }
  }
}
