import fc from 'fast-check';
import { ResourceError } from '../../src/engine/diagnostics';
import { splitLines } from '../../src/engine/lines';
import type { FileModel } from '../../src/engine/types';
import { blockKind, editBlock, type BlockSpec } from '../../src/resources/block';
import { describeKindFixtures } from '../helpers/kind-fixtures';
import { noMachine } from '../helpers/machine';
import { refusal } from '../helpers/refusal';

const HOSTS = ['127.0.0.1 localhost', '::1 localhost', '', '# static entries', '10.0.0.5 db', ''].join('\n');
const B = '# BEGIN REMEDY MANAGED BLOCK web';
const E = '# END REMEDY MANAGED BLOCK web';

/** check() then edit(), as the engine runs them. */
function run(text: string, spec: Omit<BlockSpec, 'id'> & { id?: string }) {
  const full = { id: 'web', ...spec };
  blockKind.check!(full);
  return editBlock(text, full);
}

describe('block: insertion', () => {
  test('appends the block with its markers at the end by default', () => {
    const out = run(HOSTS, { content: '10.0.0.7 web1\n10.0.0.8 web2\n' });
    expect(out.text).toBe(`${HOSTS}${B}\n10.0.0.7 web1\n10.0.0.8 web2\n${E}\n`);
    expect(out.reason).toBe('inserted the block (2 lines) at the end of the file (line 6)');
  });

  test('the resource id is in the default marker', () => {
    expect(run('', { id: 'php-tuning', content: 'x' }).text).toBe('# BEGIN REMEDY MANAGED BLOCK php-tuning\nx\n# END REMEDY MANAGED BLOCK php-tuning\n');
  });

  test('after: goes after the LAST line matching it', () => {
    const out = run('a\nlisten 80\nb\nlisten 443\nc\n', { content: 'x', after: '^listen' });
    expect(out.text).toBe(`a\nlisten 80\nb\nlisten 443\n${B}\nx\n${E}\nc\n`);
    expect(out.reason).toBe('inserted the block (1 line) after line 4');
  });

  test('before: goes before the FIRST line matching it', () => {
    const out = run('a\n[x]\nb\n[y]\n', { content: 'k=1', before: '^\\[' });
    expect(out.text).toBe(`a\n${B}\nk=1\n${E}\n[x]\nb\n[y]\n`);
    expect(out.reason).toBe('inserted the block (1 line) before line 2');
  });

  test('BOF and EOF', () => {
    expect(run('a\n', { content: 'x', after: 'BOF' }).text).toBe(`${B}\nx\n${E}\na\n`);
    expect(run('a\n', { content: 'x', before: 'BOF' }).text).toBe(`${B}\nx\n${E}\na\n`);
    expect(run('a\n', { content: 'x', before: 'EOF' }).text).toBe(`a\n${B}\nx\n${E}\n`);
  });

  test('an anchor that matches nothing falls back to the end, and says so', () => {
    const out = run('a\n', { content: 'x', after: '^server \\{' });
    expect(out.text).toBe(`a\n${B}\nx\n${E}\n`);
    expect(out.reason).toBe("inserted the block (1 line) at the end of the file (line 2): after '^server \\{' matches no line");
  });

  test('one final newline in content does not add an empty line; more newlines do', () => {
    expect(run('', { content: 'x\n' }).text).toBe(`${B}\nx\n${E}\n`);
    expect(run('', { content: 'x\n\n' }).text).toBe(`${B}\nx\n\n${E}\n`);
    expect(run('', { content: '\n' }).text).toBe(`${B}\n\n${E}\n`);
  });

  test('CRLF, a missing final newline and content line endings follow the file', () => {
    expect(run('a\r\nb\r\n', { content: 'x\ny\n' }).text).toBe(`a\r\nb\r\n${B}\r\nx\r\ny\r\n${E}\r\n`);
    expect(run('a\nb', { content: 'x\r\ny' }).text).toBe(`a\nb\n${B}\nx\ny\n${E}`);
    expect(run('a\r\nb', { content: 'x', after: 'BOF' }).text).toBe(`${B}\r\nx\r\n${E}\r\na\r\nb`);
  });

  test('bytes that are not UTF-8 and non-BMP characters pass through untouched', () => {
    const text = 'caf\udce9 = 1\n# 😀 ü\n';
    expect(run(text, { content: 'ünï 😀' }).text).toBe(`${text}${B}\nünï 😀\n${E}\n`);
  });

  test('after and before together are refused', () => {
    expect(refusal(() => run('', { content: 'x', after: 'a', before: 'b' })).field).toBe('before');
  });

  test('an invalid anchor regex is refused at check time', () => {
    expect(() => blockKind.check!({ id: 'web', content: 'x', after: '(' })).toThrow(/after is not a valid regular expression/);
  });
});

describe('block: an existing block is updated in place, never moved or duplicated', () => {
  const FILE = `a\n${B}\nold 1\nold 2\n${E}\nz\n`;

  test('new content replaces the lines between the markers', () => {
    const out = run(FILE, { content: 'new 1\nnew 2\nnew 3\n' });
    expect(out.text).toBe(`a\n${B}\nnew 1\nnew 2\nnew 3\n${E}\nz\n`);
    expect(out.reason).toBe("replaced the block's 2 lines at lines 2-5 with 3 lines");
  });

  test('the same content is a byte-identical no-op', () => {
    expect(run(FILE, { content: 'old 1\nold 2' })).toEqual({ text: FILE, reason: 'block already up to date at lines 2-5' });
  });

  test('after/before are not used for a block already there, and the reason says so', () => {
    const out = run(FILE, { content: 'new', after: 'BOF' });
    expect(out.text).toBe(`a\n${B}\nnew\n${E}\nz\n`);
    expect(out.reason).toBe("replaced the block's 2 lines at lines 2-5 with 1 line; after not used");
    expect(run(FILE, { content: 'old 1\nold 2', before: '^a' }).reason).toBe('block already up to date at lines 2-5; before not used');
  });

  test('content that matches the after anchor does not move or duplicate the block on the next run', () => {
    const spec = { content: 'listen 8080', after: '^listen' };
    const once = run('listen 80\nx\n', spec).text;
    expect(once).toBe(`listen 80\n${B}\nlisten 8080\n${E}\nx\n`);
    expect(run(once, spec)).toEqual({ text: once, reason: 'block already up to date at lines 2-4; after not used' });
  });

  test('an empty block is filled', () => {
    expect(run(`${B}\n${E}\n`, { content: 'x' })).toEqual({ text: `${B}\nx\n${E}\n`, reason: 'filled the empty block at lines 1-2 with 1 line' });
  });

  test('marker lines are found with surrounding whitespace and kept as written', () => {
    const text = `server {\n    ${B}\n    old\n    ${E}  \n}\n`;
    const out = run(text, { content: '    new' });
    expect(out.text).toBe(`server {\n    ${B}\n    new\n    ${E}  \n}\n`);
  });

  test("the block keeps its own line ending in a mixed file; content is compared without line endings", () => {
    const text = `a\n${B}\r\nold\r\n${E}\r\nz\n`;
    expect(run(text, { content: 'x\ny' }).text).toBe(`a\n${B}\r\nx\r\ny\r\n${E}\r\nz\n`);
    expect(run(text, { content: 'old' }).text).toBe(text);
  });

  test('an END marker on the last line without a newline stays without one', () => {
    expect(run(`a\n${B}\nold\n${E}`, { content: 'new' }).text).toBe(`a\n${B}\nnew\n${E}`);
  });

  test('markers are whole lines: a longer marker of another block is not this one (ansible-modules-extras#1926)', () => {
    const other = '# BEGIN REMEDY MANAGED BLOCK web-extra\nx\n# END REMEDY MANAGED BLOCK web-extra\n';
    const out = run(other, { content: 'y' });
    expect(out.text).toBe(`${other}${B}\ny\n${E}\n`);
  });

  test('several blocks with different ids coexist', () => {
    const one = run('', { id: 'a', content: '1' }).text;
    const two = run(one, { id: 'b', content: '2' }).text;
    const three = run(two, { id: 'a', content: '1.1' }).text;
    expect(three).toBe('# BEGIN REMEDY MANAGED BLOCK a\n1.1\n# END REMEDY MANAGED BLOCK a\n# BEGIN REMEDY MANAGED BLOCK b\n2\n# END REMEDY MANAGED BLOCK b\n');
  });
});

describe('block: a damaged block is refused with its line numbers, never guessed', () => {
  test('BEGIN without END', () => {
    const e = refusal(() => run(`a\n${B}\nx\n`, { content: 'x' }));
    expect(e.message).toBe(`the block's BEGIN marker is at line 2 but its END marker '${E}' is missing`);
    expect(e.hint).toContain('does not guess');
  });

  test('END without BEGIN', () => {
    expect(refusal(() => run(`x\n${E}\n`, { content: 'x' })).message).toBe(`the block's END marker is at line 2 but its BEGIN marker '${B}' is missing`);
  });

  test('END before BEGIN', () => {
    expect(refusal(() => run(`${E}\nx\n${B}\n`, { content: 'x' })).message).toBe("the block's END marker (line 1) comes before its BEGIN marker (line 3)");
  });

  test('two copies of the block (as Ansible leaves them)', () => {
    expect(refusal(() => run(`${B}\n1\n${E}\n${B}\n2\n${E}\n`, { content: 'x' })).message).toBe("the block's markers appear more than once: BEGIN at lines 1, 4, END at lines 3, 6");
  });

  test('ensure: absent refuses a damaged block too', () => {
    expect(() => run(`${B}\nx\n`, { ensure: 'absent' })).toThrow(/END marker .* is missing/);
  });

  test('a marker written with another comment prefix is refused rather than duplicated', () => {
    const e = refusal(() => run(`// BEGIN REMEDY MANAGED BLOCK web\nx\n// END REMEDY MANAGED BLOCK web\n`, { content: 'x' }));
    expect(e.message).toBe(`line 1 '// BEGIN REMEDY MANAGED BLOCK web' looks like this block's marker written with another prefix (expected '${B}'); adding the block would leave two copies`);
    expect(e.hint).toBe("set marker: '// {mark} REMEDY MANAGED BLOCK {id}' to manage that block, or remove the old block from the file");
    expect(e.field).toBe('marker');
  });

  test('ensure: absent refuses it too, rather than leave the old copy silently', () => {
    expect(() => run('; BEGIN REMEDY MANAGED BLOCK web\nx\n; END REMEDY MANAGED BLOCK web\n', { ensure: 'absent' })).toThrow(/removing the block would leave that copy in place/);
  });

  test('a marker template with nothing after {mark} does not look for other prefixes', () => {
    expect(run('x BEGIN\n', { content: 'y', marker: '# {mark}' }).text).toBe('x BEGIN\n# BEGIN\ny\n# END\n');
  });

  test('...and following the hint manages that block', () => {
    const text = `// BEGIN REMEDY MANAGED BLOCK web\nx\n// END REMEDY MANAGED BLOCK web\n`;
    expect(run(text, { content: 'y', marker: '// {mark} REMEDY MANAGED BLOCK {id}' }).text).toBe(text.replace('\nx\n', '\ny\n'));
  });
});

describe('block: removal', () => {
  const FILE = `a\n${B}\nx\ny\n${E}\nz\n`;

  test('ensure: absent removes the block with its markers', () => {
    expect(run(FILE, { ensure: 'absent' })).toEqual({ text: 'a\nz\n', reason: 'removed the block (lines 2-5, 4 lines with its markers)' });
  });

  test('empty content removes the block, as in Ansible, and says why', () => {
    expect(run(FILE, { content: '' })).toEqual({ text: 'a\nz\n', reason: 'content is empty: removed the block (lines 2-5, 4 lines with its markers)' });
    expect(run('a\n', { content: '' })).toEqual({ text: 'a\n', reason: 'content is empty: the block is not in the file; nothing to remove' });
  });

  test('a missing block is a byte-identical no-op', () => {
    expect(run('a\r\nb', { ensure: 'absent' })).toEqual({ text: 'a\r\nb', reason: 'the block is not in the file; nothing to remove' });
  });

  test('the final-newline state is kept when the block is at the end', () => {
    expect(run(`a\n${B}\nx\n${E}`, { ensure: 'absent' }).text).toBe('a');
  });

  test('content and anchors are ignored with ensure: absent', () => {
    expect(run(FILE, { ensure: 'absent', content: 'x', after: 'BOF' }).text).toBe('a\nz\n');
  });
});

describe('block: markers', () => {
  test('marker, marker_begin and marker_end as in Ansible', () => {
    const out = run('', { content: 'x', marker: '; {mark} remedy {id}', marker_begin: 'START', marker_end: 'STOP' });
    expect(out.text).toBe('; START remedy web\nx\n; STOP remedy web\n');
  });

  test('a $ in the marker or id is literal', () => {
    expect(run('', { id: 'a', content: 'x', marker: '# {mark} $& $1' }).text).toBe('# BEGIN $& $1\nx\n# END $& $1\n');
  });

  test('a marker without {mark} is refused', () => {
    const e = refusal(() => run('', { content: 'x', marker: '# managed by remedy' }));
    expect(e.message).toBe("marker '# managed by remedy' has no {mark} placeholder, so the BEGIN and END lines would be the same line");
    expect(e.field).toBe('marker');
  });

  test('equal or blank markers, and markers with line breaks, are refused', () => {
    expect(refusal(() => run('', { content: 'x', marker_begin: 'X', marker_end: 'X' })).field).toBe('marker_end');
    expect(refusal(() => run('', { content: 'x', marker: '{mark}', marker_begin: ' ' })).field).toBe('marker_begin');
    expect(refusal(() => run('', { content: 'x', marker: '# {mark}\n' })).field).toBe('marker');
    expect(refusal(() => run('', { content: 'x', marker_end: 'E\rND' })).field).toBe('marker_end');
  });

  test('content with a line equal to one of its own markers is refused at check time', () => {
    const e = refusal(() => blockKind.check!({ id: 'web', content: `a\n  ${E}\nb` }));
    expect(e.message).toBe(`content line 2 '  ${E}' is the block's own END marker; the next run would read the block back wrongly`);
    expect(e.field).toBe('content');
    expect(e.hint).toContain('marker');
  });

  test('content is required with ensure: present', () => {
    expect(refusal(() => blockKind.check!({ id: 'web' })).field).toBe('content');
    expect(() => blockKind.check!({ id: 'web', ensure: 'absent' })).not.toThrow();
  });
});

test('the path kind creates a missing file only with create: true', () => {
  const absent: FileModel = { type: 'absent' };
  expect(blockKind.transform(absent, { id: 'web', content: 'x', create: true }, noMachine).file).toEqual({ type: 'file', content: `${B}\nx\n${E}\n` });
  expect(() => blockKind.transform(absent, { id: 'web', content: 'x' }, noMachine)).toThrow(/does not exist/);
  // Removing from a missing file with create: true leaves it missing.
  expect(blockKind.transform(absent, { id: 'web', ensure: 'absent', create: true }, noMachine).file).toEqual(absent);
});

describe('properties over generated files', () => {
  const ids = ['web', 'db'];
  const markerLines = ids.flatMap((id) => [`# BEGIN REMEDY MANAGED BLOCK ${id}`, `# END REMEDY MANAGED BLOCK ${id}`]);
  const fileLine = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('', 'listen 80', 'a', '  x', 'ünï 😀', 'caf\udce9', '[x]', '# comment') },
    { weight: 2, arbitrary: fc.string({ maxLength: 6, unit: fc.constantFrom('a', ' ', '#', 'é', '😀', '\udcff') }) },
    { weight: 1, arbitrary: fc.constantFrom(...markerLines) },
  );
  const fileWith = (eols: string[]) =>
    fc
      .tuple(fc.array(fc.tuple(fileLine, fc.constantFrom(...eols)), { maxLength: 12 }), fc.boolean())
      .map(([ls, finalEol]) => ls.map(([t, eol], i) => t + (i < ls.length - 1 || finalEol ? eol : '')).join(''));
  const file = fileWith(['\n', '\r\n', '\r']);
  // A lone CR written next to an LF-only blank line reads back as one CRLF (engine/lines.ts), so the byte-exact properties mix LF and CRLF only.
  const lfCrlfFile = fileWith(['\n', '\r\n']);
  const content = fc.array(fc.constantFrom('x', 'listen 8080', '', 'ü 😀', '  y', '[x]'), { maxLength: 4 }).chain((ls) => fc.constantFrom(ls.join('\n'), ls.join('\r\n') + '\r\n', ls.join('\n') + '\n'));
  const spec: fc.Arbitrary<BlockSpec> = fc.record(
    {
      id: fc.constantFrom(...ids),
      content,
      ensure: fc.constantFrom<'present' | 'absent'>('present', 'present', 'absent'),
      after: fc.constantFrom(undefined, '^listen', 'BOF', '^nothing$'),
    },
    { requiredKeys: ['id', 'content', 'ensure'] },
  );

  /** The edit, or undefined where the file's markers are damaged (refused, never guessed). */
  const tryEdit = (text: string, s: BlockSpec): string | undefined => {
    try {
      return editBlock(text, s).text;
    } catch (e) {
      if (e instanceof ResourceError) return undefined;
      throw e;
    }
  };

  test('an edit applied twice equals the edit applied once', () => {
    fc.assert(
      fc.property(file, spec, (text, s) => {
        const once = tryEdit(text, s);
        if (once === undefined) return;
        expect(editBlock(once, s).text).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });

  test('adding a missing block and removing it again gives back the original bytes', () => {
    fc.assert(
      fc.property(lfCrlfFile, spec, (text, s) => {
        if (text.includes(`BLOCK ${s.id}`)) return;
        const added = tryEdit(text, { ...s, ensure: 'present' });
        if (added === undefined) return;
        expect(editBlock(added, { ...s, ensure: 'absent' }).text).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  test('the lines outside the block are never touched', () => {
    fc.assert(
      fc.property(lfCrlfFile, spec, (text, s) => {
        const out = tryEdit(text, s);
        if (out === undefined) return;
        const outside = (t: string) => {
          const lines = splitLines(t).map((l) => l.text);
          const b = lines.findIndex((l) => l.trim() === `# BEGIN REMEDY MANAGED BLOCK ${s.id}`);
          const e = lines.findIndex((l) => l.trim() === `# END REMEDY MANAGED BLOCK ${s.id}`);
          return b < 0 ? lines : [...lines.slice(0, b), ...lines.slice(e + 1)];
        };
        // Removing a last block without a final newline takes the newline of the line before it: a blank line there then vanishes.
        const endMarker = new RegExp(`# END REMEDY MANAGED BLOCK ${s.id}[ \\t]*$`);
        const removedAtEnd = endMarker.test(text) && !out.includes(`# BEGIN REMEDY MANAGED BLOCK ${s.id}`);
        const expected = outside(text);
        if (removedAtEnd && expected[expected.length - 1] === '') expected.pop();
        expect(outside(out)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describeKindFixtures(blockKind, { minCases: 10 });
