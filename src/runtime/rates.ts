/** Messages a second per actor, from its received counter sampled at least a second apart. */
export class RateMeter {
  private readonly last = new Map<string, { received: number; at: number; rate: number }>();

  sample(name: string, received: number, now: number): void {
    const prev = this.last.get(name);
    if (prev === undefined) this.last.set(name, { received, at: now, rate: 0 });
    else if (now - prev.at >= 1000) this.last.set(name, { received, at: now, rate: ((received - prev.received) * 1000) / (now - prev.at) });
  }

  rate(name: string): number {
    return Math.round(this.last.get(name)?.rate ?? 0);
  }

  forget(name: string): void {
    this.last.delete(name);
  }
}
