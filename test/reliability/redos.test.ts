import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportFigures, SOAK } from './budget';
import { remedy } from './built-cli';
import { workDir } from './work-dir';

// Patterns that take a backtracking engine exponential time (the trial: `^(a+)+$` on a
// 33-byte line, 32-60 s) in every field that takes a regex, through the real CLI, on the
// 33-byte line and on one long line (100 KB; 10 MB in the soak). remedy's regexes run on
// RE2, so each plan finishes in time linear in the text; a hang fails by the jest timeout.
// The figures are reported, never asserted.

const LONG = SOAK ? 10_000_000 : 100_000;
const PATTERNS = ['^(a+)+$', '^(a|aa)+$', '^(a|a)*c$', '^([a-z]+\\s?)*c$', '(x+x+)+y'];
const FIELDS: [string, (p: string) => string][] = [
  ['line.match', (p) => `type: line\n    line: x\n    match: '${p}|^x$'`],
  ['line.after', (p) => `type: line\n    line: x\n    after: '${p}'`],
  ['replace.pattern', (p) => `type: replace\n    pattern: '${p}'\n    replacement: y`],
  ['replace.after', (p) => `type: replace\n    pattern: b\n    replacement: c\n    after: '${p}'`],
  ['block.after', (p) => `type: block\n    content: x\n    after: '${p}'`],
];
const work = workDir('remedy-redos-', { build: true });

test.each([
  ['33 bytes', 32],
  [`${LONG} bytes`, LONG],
])(
  'on a line of %s, every catastrophic pattern in every regex field plans at once',
  async (label, length) => {
    const root = path.join(work(), `root-${length}`);
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    const manifest = path.join(work(), `redos-${length}.yml`);
    // One file per resource: each edit sees the evil line, not another edit's result.
    const resources = PATTERNS.flatMap((p, i) =>
      FIELDS.map(([field, spec]) => {
        const id = `${field.replace('.', '-')}-${i}`;
        fs.writeFileSync(path.join(root, `etc/${id}.conf`), `${'a'.repeat(length)}b\n`);
        return `\n  - id: ${id}\n    path: /etc/${id}.conf\n    ${spec(p)}`;
      }),
    );
    fs.writeFileSync(manifest, `resources:${resources.join('')}\n`);
    const started = Date.now();
    const run = await remedy(['plan', manifest, '--root', root, '--detailed-exitcodes']);
    reportFigures(`ReDoS, line of ${label}`, { patterns: PATTERNS.length * FIELDS.length, planMs: Date.now() - started });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
  },
  120_000,
);
