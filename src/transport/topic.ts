/**
 * Topic matching: `*` matches any run of characters (dots included, possibly none), `?` exactly
 * one character; everything else matches itself. Pure and allocation-free.
 */
export function matchTopic(pattern: string, topic: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1; // position after the last '*' seen in the pattern
  let starT = 0; // topic position that '*' is currently stretched to
  while (t < topic.length) {
    const c = pattern.charCodeAt(p);
    if (p < pattern.length && (c === 63 /* ? */ || c === topic.charCodeAt(t))) {
      p++;
      t++;
    } else if (p < pattern.length && c === 42 /* * */) {
      starP = ++p;
      starT = t;
    } else if (starP >= 0) {
      p = starP; // let the last '*' swallow one more character
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/** Checks a subscription pattern; returns an error message, or undefined when it is usable. */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return `a topic pattern must be a string, got ${typeof pattern}`;
  if (pattern.length === 0) return 'a topic pattern must not be empty';
  if (pattern.length > 1024) return `a topic pattern must be at most 1024 characters, got ${pattern.length}`;
  return undefined;
}
