import fc from 'fast-check';
import { applyPatch, createTwoFilesPatch } from 'diff';
import { unifiedPatch } from '../../src/engine/diff';

// unifiedPatch writes what jsdiff's createTwoFilesPatch writes while the change is small,
// and stays fast (an anchored diff that still applies) when 10,000 lines change.

const jsdiff = (a: string, b: string) => createTwoFilesPatch('a/f', 'b/f', a, b, '', '', { context: 3 }).replace(/^=+\n/, '');

const line = fc.constantFrom('a', 'b', 'c', 'key = 1', 'key = 2', '', '[s]', ' x ');
const eol = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r', '');
const text = fc.array(fc.tuple(line, eol), { maxLength: 30 }).map((ls) => ls.map(([t, e]) => t + e).join(''));

describe('unifiedPatch', () => {
  test('is byte for byte jsdiff on small changes (line endings, no final newline)', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        if (a !== b) expect(unifiedPatch('a/f', 'b/f', a, b)).toBe(jsdiff(a, b));
      }),
      { numRuns: 500 },
    );
  });

  test('is jsdiff when a file is created or emptied', () => {
    expect(unifiedPatch('/dev/null', 'b/f', '', 'x\ny')).toBe(createTwoFilesPatch('/dev/null', 'b/f', '', 'x\ny', '', '', { context: 3 }).replace(/^=+\n/, ''));
    expect(unifiedPatch('a/f', '/dev/null', 'x\n', '')).toBe(createTwoFilesPatch('a/f', '/dev/null', 'x\n', '', '', '', { context: 3 }).replace(/^=+\n/, ''));
  });

  test('10,000 changed lines: an anchored patch that applies', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => i);
    const before = keys.map((i) => `${i % 100 === 0 ? `[section${i / 100}]\n` : ''}key${i} = old${i}\n`).join('');
    const after = before.replace(/= old/g, '= new');
    const patch = unifiedPatch('a/f', 'b/f', before, after);
    // Only the changed lines: the section headers anchor the diff and stay context.
    expect(patch.split('\n').filter((l) => l.startsWith('-key')).length).toBe(10_000);
    expect(patch).toContain('\n [section50]\n');
    expect(applyPatch(before, patch)).toBe(after);
  });
});
