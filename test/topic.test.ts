import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchTopic } from '../src/transport/topic.js';

/** The obvious (slow) definition: the pattern as an anchored regular expression. */
function reference(pattern: string, topic: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${re}$`).test(topic);
}

const alphabet = fc.constantFrom('a', 'b', '.', 'x', '*', '?', 'é');
const topicChars = fc.constantFrom('a', 'b', '.', 'x', 'é');

describe('topic matching', () => {
  it('agrees with the regular-expression definition on arbitrary patterns and topics', () => {
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 12 }), fc.string({ unit: topicChars, maxLength: 14 }), (p, t) => {
        expect(matchTopic(p, t)).toBe(reference(p, t));
      }),
      { numRuns: 20_000 },
    );
  });

  it('a pattern without wildcards matches only itself', () => {
    fc.assert(fc.property(fc.string({ unit: topicChars }), fc.string({ unit: topicChars }), (a, b) => {
      expect(matchTopic(a, b)).toBe(a === b);
    }));
  });

  it('examples from the contract', () => {
    expect(matchTopic('md.*', 'md.AAPL')).toBe(true);
    expect(matchTopic('md.*', 'md.')).toBe(true);
    expect(matchTopic('md.*', 'mdx')).toBe(false);
    expect(matchTopic('risk.alert.*', 'risk.alert.AAPL')).toBe(true);
    expect(matchTopic('*.AAPL', 'md.l2.AAPL')).toBe(true);
    expect(matchTopic('md.???L', 'md.AAPL')).toBe(true);
    expect(matchTopic('md.???L', 'md.AAPLX')).toBe(false);
    expect(matchTopic('*', '')).toBe(true);
    expect(matchTopic('?', '')).toBe(false);
  });
});
