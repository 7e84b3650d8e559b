// The dashboard's files, served by a few lines rather than @fastify/static (whose dependencies need
// Node 22): only plain files that are really inside the dashboard directory, of a few known types.
// Anything else, a path with '..', a hidden file, a symbolic link out, is not found.
import { readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
});

/** What the dashboard loads from node_modules, by the path it asks for. */
const VENDOR: Readonly<Record<string, string>> = Object.freeze({
  'uplot.js': 'uplot/dist/uPlot.iife.min.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
});

export interface StaticFile {
  body: Buffer;
  type: string;
}

export class DashboardFiles {
  private readonly root: string;
  private readonly require = createRequire(import.meta.url);

  constructor(dir: string | URL) {
    this.root = typeof dir === 'string' ? dir : fileURLToPath(dir);
  }

  /** The file at `path` ('' is index.html), or undefined when there is none that may be served. */
  async file(path: string): Promise<StaticFile | undefined> {
    const rel = path === '' ? 'index.html' : path;
    const type = CONTENT_TYPES[extname(rel).toLowerCase()];
    if (type === undefined || !isPlainRelative(rel)) return undefined;
    const root = await realpath(this.root).catch(() => undefined); // each time: the directory may come later
    if (root === undefined) return undefined;
    const full = join(root, ...rel.split('/'));
    try {
      // realpath follows every link on the way: the file must be where its path says, inside root.
      if ((await realpath(full)) !== full || !full.startsWith(root + sep) || !(await stat(full)).isFile()) return undefined;
      return { body: await readFile(full), type };
    } catch {
      return undefined; // not there (or gone meanwhile)
    }
  }

  /** /vendor/<name>: a library the dashboard uses, from node_modules. */
  async vendor(name: string): Promise<StaticFile | undefined> {
    const spec = VENDOR[name];
    if (spec === undefined) return undefined;
    try {
      return { body: await readFile(this.require.resolve(spec)), type: CONTENT_TYPES[extname(name)]! };
    } catch {
      return undefined;
    }
  }
}

/** Segments of plain names only: no '..' or '.', no empty segment, no hidden file, no backslash or NUL. */
function isPlainRelative(rel: string): boolean {
  if (rel.includes('\\') || rel.includes('\0')) return false;
  return rel.split('/').every((s) => s !== '' && !s.startsWith('.'));
}
