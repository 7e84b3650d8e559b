// comlink baseline: an exposed echo.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

Comlink.expose({ echo: (x: unknown) => x }, nodeEndpoint(parentPort!));
