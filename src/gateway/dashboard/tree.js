// Supervision trees, one per host: rebuilt when a tree's shape changes, updated in place otherwise.
import { $, dropUnseen, el, setAttr, setText } from './dom.js';
import { fmtCount } from './format.js';

const treesBox = $('[data-testid="trees"]');
const trees = new Map(); // host -> { section, shape, list, nodes: Map<path, { item, spec, restarts, stateText }> }

/** A host's tree is a forest (one root per top supervisor); a single root object is taken too. */
function treeRoots(tree) {
  if (Array.isArray(tree)) return tree.filter((n) => n && typeof n === 'object');
  return tree && typeof tree === 'object' ? [tree] : [];
}

const nodeKey = (spec) => String(spec.path ?? spec.name);

function treeShape(node) {
  if (!node || typeof node !== 'object') return '';
  const kids = Array.isArray(node.children) ? node.children.map(treeShape).join(',') : '';
  return `${node.kind}:${nodeKey(node)}(${kids})`;
}

/** `byName`: engine name -> { host, e }, the engines of the snapshot. */
export function renderTrees(snap, byName) {
  refreshTreeSpecs(snap);
  const seen = new Set();
  for (const h of snap.hosts) {
    seen.add(h.host);
    let t = trees.get(h.host);
    if (t === undefined) {
      const section = el('section', { class: 'host-tree', 'data-testid': `host-${h.host}` }, el('h3', { text: h.host }));
      treesBox.querySelector('.empty')?.remove();
      treesBox.append(section);
      t = { section, shape: null, list: null, nodes: new Map() };
      trees.set(h.host, t);
    }
    const roots = treeRoots(h.tree);
    const shape = roots.map(treeShape).join(';');
    if (shape !== t.shape) {
      t.shape = shape;
      t.nodes.clear();
      t.list?.remove();
      t.list = el('ul', { class: 'tree' });
      for (const root of roots) t.list.append(treeNode(root, t.nodes));
      if (roots.length === 0) t.list.append(el('li', { class: 'empty', text: 'no engines' }));
      t.section.append(t.list);
    }
    for (const n of t.nodes.values()) {
      if (n.spec.kind !== 'engine') continue;
      const e = byName.get(String(n.spec.name))?.e;
      const state = n.spec.state ?? e?.state;
      const restarts = n.spec.restarts ?? e?.restarts;
      if (state !== undefined) setAttr(n.item, 'data-state', state);
      if (n.restarts) {
        setText(n.restarts, `↻ ${fmtCount(restarts)}`);
        setAttr(n.restarts, 'data-zero', String(!(restarts > 0)));
      }
      if (n.stateText && state !== undefined) setText(n.stateText, state);
    }
  }
  dropUnseen(trees, seen, (t) => t.section);
}

/** One node of a tree (and its children); its live parts go into `nodes` by name. */
function treeNode(spec, nodes) {
  const engine = spec.kind === 'engine';
  const label = el('span', { class: `node ${engine ? 'node-engine' : 'node-supervisor'}` },
    el('span', { class: 'dot' }), el('span', { class: 'node-name', text: String(spec.name) }));
  const entry = { item: label, spec, restarts: null, stateText: null };
  if (engine) {
    entry.stateText = el('span', { class: 'node-state' });
    entry.restarts = el('span', { class: 'node-restarts', title: 'restarts' });
    label.append(entry.stateText, entry.restarts);
  } else if (spec.strategy) {
    label.append(el('span', { class: 'node-strategy', text: String(spec.strategy) }));
  }
  label.setAttribute('data-node', String(spec.name));
  label.setAttribute('title', nodeKey(spec));
  nodes.set(nodeKey(spec), entry);
  const item = el('li', {}, label);
  if (Array.isArray(spec.children) && spec.children.length > 0) {
    const list = el('ul');
    for (const c of spec.children) list.append(treeNode(c, nodes));
    item.append(list);
  }
  return item;
}

/** The spec of a tree node is replaced when the next snapshot brings the same shape (fresh figures). */
function refreshTreeSpecs(snap) {
  for (const h of snap.hosts) {
    const t = trees.get(h.host);
    if (!t) continue;
    const walk = (spec) => {
      const n = t.nodes.get(nodeKey(spec));
      if (n) n.spec = spec;
      if (Array.isArray(spec.children)) spec.children.forEach(walk);
    };
    treeRoots(h.tree).forEach(walk);
  }
}
