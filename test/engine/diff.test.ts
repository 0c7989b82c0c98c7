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

  // The common prefix and most of the common suffix are cut off before diffing: the patch
  // must still be jsdiff's, with its line numbers, wherever the change is in a long file.
  test('is jsdiff on a few changes anywhere in a long file of repeating lines', () => {
    const long = fc.array(line, { minLength: 2500, maxLength: 3000 });
    const change = fc.record({ at: fc.nat(), remove: fc.nat({ max: 3 }), insert: fc.array(line, { maxLength: 3 }) });
    fc.assert(
      fc.property(long, fc.array(change, { minLength: 1, maxLength: 3 }), fc.boolean(), (ls, changes, finalEol) => {
        const after = [...ls];
        for (const c of changes) after.splice(c.at % (after.length + 1), c.remove, ...c.insert);
        const join = (x: string[]) => x.join('\n') + (finalEol ? '\n' : '');
        const [a, b] = [join(ls), join(after)];
        if (a !== b) expect(unifiedPatch('a/f', 'b/f', a, b)).toBe(jsdiff(a, b));
      }),
      { numRuns: 150 },
    );
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
