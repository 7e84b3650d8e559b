// The empty kernel: a round trip to the pool and back, and nothing else.
import { defineKernel } from 'dualbus';

export default defineKernel<unknown, number>({ name: 'bench.empty', js: () => 0, native: () => 0 });
