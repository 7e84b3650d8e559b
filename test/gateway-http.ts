// What the gateway tests share: HTTP calls that return status and parsed body, and the Prometheus
// text parsed into samples.
import { request } from 'node:http';

export interface Answer<T = any> {
  status: number;
  type: string | null;
  body: T;
}

/** One request with fetch; a JSON body is sent as JSON unless `raw` text (and its type) are given. */
export async function call<T = any>(base: string, method: string, path: string, body?: unknown, raw?: { text: string; type?: string }): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  let payload: string | undefined;
  if (raw !== undefined) {
    payload = raw.text;
    if (raw.type !== undefined) headers['content-type'] = raw.type;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const type = res.headers.get('content-type');
  const text = await res.text();
  return { status: res.status, type, body: type?.startsWith('application/json') ? JSON.parse(text) : text };
}

/** A GET whose path goes out exactly as written (fetch would resolve '..' before sending it). */
export function rawGet(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample of `name` with (at least) these labels; undefined when there is none. */
export function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
