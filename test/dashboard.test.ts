// The dashboard in a real browser: a headless Chromium opens the gateway's page over a running
// system of 13 engines and checks that it lists them, that its figures move with the snapshots,
// that a kill drill shows as a restart, and that the page logged no error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { startGateway, type System } from 'dualbus';
import { launchChromium, pageErrors } from './browser.js';

/** The desk's engines, by the names the real desk gives them. */
const DESK_ENGINES = [
  'market-data', 'vpin', 'enhanced-vpin', 'risk', 'factor', 'features', 'ml',
  'strategy', 'portfolio', 'collateral', 'analytics', 'backtesting', 'websocket',
] as const;

/**
 * What the dashboard watches: the real desk (its 13 engines under their supervision tree, loaded
 * from the build as `npm start` runs them) with the synthetic market running at 2,000 ticks a
 * second, and `stop()` that ends both.
 */
async function startWorkload(): Promise<{ system: System; stop(): Promise<void> }> {
  const { startDesk } = (await import('../dist/examples/desk/desk.js')) as typeof import('../examples/desk/desk.js');
  const desk = await startDesk({ name: 'desk-host', port: false, logger: pino({ level: 'warn' }) });
  const md = desk.system.ref('market-data');
  md.send({ type: 'run', ticksPerSecond: 2_000, seed: 7 });
  return {
    system: desk.system,
    async stop() {
      md.send({ type: 'halt' });
      await desk.stop();
    },
  };
}

// The functions given to page.evaluate and page.waitForFunction run in the page. The tests are
// type-checked without the DOM library, so the little of it they use is declared here.
interface PageElement {
  textContent: string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
};
declare const window: { __dashboard: { snapshots: number; lastSnapshot: { hosts: Array<{ engines: unknown[] }> } } };

const row = (name: string) => `[data-testid="engine-${name}"]`;
const cell = (name: string, field: string) => `${row(name)} [data-field="${field}"]`;

describe('the dashboard in a browser', () => {
  let workload: Awaited<ReturnType<typeof startWorkload>> | undefined;
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(); // first: without a browser nothing else is worth starting
    workload = await startWorkload();
    gateway = await startGateway(workload.system, { port: 0, drills: true, snapshotIntervalMs: 500 });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    errors = pageErrors(page);
    page.on('response', (res) => {
      if (res.status() >= 400) errors.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    });
    await page.goto(gateway.url);
  }, 60_000);

  afterAll(async () => {
    // The browser first (its stream closes cleanly), then the gateway, then the system; each runs
    // whatever happened to the one before.
    const closing: Array<() => Promise<void> | undefined> = [() => browser?.close(), () => gateway?.close(), () => workload?.stop()];
    const failures: unknown[] = [];
    for (const close of closing) {
      try {
        await close();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  }, 60_000);

  it('lists the 13 engines, each in its host supervision tree', async () => {
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-testid^="engine-"]').length === n, DESK_ENGINES.length, { timeout: 5000 });
    for (const name of DESK_ENGINES) {
      expect(await page.textContent(cell(name, 'name'))).toBe(name);
      expect(await page.textContent(cell(name, 'state'))).toMatch(/^(starting|running)$/);
    }
    const host = `[data-testid="host-desk-host"]`;
    expect(await page.locator(host).count()).toBe(1);
    for (const name of DESK_ENGINES) expect(await page.locator(`${host} .node-engine[data-node="${name}"]`).count()).toBe(1);
    for (const sup of ['desk-host', 'signals', 'models', 'trading', 'reporting']) expect(await page.locator(`${host} .node-supervisor[data-node="${sup}"]`).count()).toBe(1);
  });

  it('moves with the snapshots: the count, the time, the engines figures and the charts', async () => {
    const before = await page.evaluate(() => ({
      count: Number(document.querySelector('[data-testid="snapshot-count"]')!.textContent),
      at: document.querySelector('[data-testid="updated-at"]')!.textContent,
      msgs: [...document.querySelectorAll('tr[data-testid^="engine-"] [data-field="msgs"]')].map((c) => c.textContent),
    }));
    await page.waitForFunction(
      (b) => {
        const count = Number(document.querySelector('[data-testid="snapshot-count"]')!.textContent);
        const msgs = [...document.querySelectorAll('tr[data-testid^="engine-"] [data-field="msgs"]')].map((c) => c.textContent);
        return count >= b.count + 2 && msgs.some((m, i) => m !== b.msgs[i]);
      },
      before,
      { timeout: 3000 },
    );
    expect(await page.textContent('[data-testid="updated-at"]')).not.toBe(before.at);
    const state = await page.evaluate(() => {
      const d = window.__dashboard;
      return { snapshots: d.snapshots, engines: d.lastSnapshot.hosts[0]!.engines.length, shown: Number(document.querySelector('[data-testid="snapshot-count"]')!.textContent) };
    });
    expect(state.snapshots).toBe(state.shown);
    expect(state.engines).toBe(DESK_ENGINES.length);
    const total = Number((await page.textContent('[data-testid="total-msgs"]'))!.replace(/,/g, ''));
    expect(total).toBeGreaterThan(0);
    for (const chart of ['chart-msgs', 'chart-latency', 'chart-depth']) {
      expect(await page.locator(`[data-testid="${chart}"] .uplot canvas`).count()).toBe(1);
    }
  });

  it('a kill drill: vpin is restarted, its row and the event list say so', async () => {
    expect(await page.textContent(cell('vpin', 'restarts'))).toBe('0');
    expect(await page.textContent(cell('vpin', 'state'))).toBe('running');
    await page.click('[data-testid="kill-vpin"]');
    await page.waitForFunction((sel) => document.querySelector(sel)!.textContent === '1', cell('vpin', 'restarts'), { timeout: 10_000 });
    await page.waitForFunction((sel) => document.querySelector(sel)!.textContent === 'running', cell('vpin', 'state'), { timeout: 10_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="events"] li[data-kind="restart"]')].some((li) => /vpin restarted/.test(li.textContent ?? '')), null, { timeout: 5000 });
    expect(await page.textContent('[data-testid="drill-vpin"]')).toBe('killed');
    expect(await page.textContent('[data-testid="host-desk-host"] .node-engine[data-node="vpin"] .node-restarts')).toBe('↻ 1');
    // What the page shows is what the system counts; the others were not touched.
    expect(workload!.system.stats().actors.vpin!.restarts).toBe(1);
    for (const name of DESK_ENGINES) if (name !== 'vpin') expect(await page.textContent(cell(name, 'restarts'))).toBe('0');
  });

  it('logged no error on the page', () => {
    expect(errors).toEqual([]);
  });
});
