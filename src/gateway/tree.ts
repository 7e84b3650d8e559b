// The supervision tree as the gateway shows it, rebuilt from the actors' paths in stats
// ('desk/signals/vpin': supervisors desk and signals, engine vpin). Stats hold every actor with its
// path, so this needs nothing of the supervision's internals and works as well on another host's
// snapshot as on this one.

export interface TreeNode {
  name: string;
  kind: 'supervisor' | 'engine';
  /** Its place in the tree: the supervisors' names and its own, joined by '/'. */
  path: string;
  /** Engines only: the supervision state (running, restarting, ...) and restarts so far. */
  state?: string;
  restarts?: number;
  /** Supervisors only: children in start order. */
  children?: TreeNode[];
}

/** The roots of the forest made by `engines`' paths (one root per top supervisor, in start order). */
export function treeOf(engines: ReadonlyArray<{ name: string; path: string; state: string; restarts: number }>): TreeNode[] {
  const roots: TreeNode[] = [];
  for (const e of engines) {
    const parts = e.path.split('/');
    let siblings = roots;
    for (let i = 0; i < parts.length - 1; i++) {
      const path = parts.slice(0, i + 1).join('/');
      let sup = siblings.find((n) => n.kind === 'supervisor' && n.path === path);
      if (sup === undefined) siblings.push((sup = { name: parts[i]!, kind: 'supervisor', path, children: [] }));
      siblings = sup.children!;
    }
    siblings.push({ name: e.name, kind: 'engine', path: e.path, state: e.state, restarts: e.restarts });
  }
  return roots;
}
