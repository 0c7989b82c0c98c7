import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTree, MEMORY_256M, remedy, sensitiveToken, stable } from './trees';

const SECRET = 'Pa55-Secret-3e8b';
const FILES = {
  'etc/php.ini': '[PHP]\nmemory_limit = 128M\ndisplay_errors = On\n',
  'etc/motd': 'Welcome\n',
  'etc/issue': 'Debian\n',
  'etc/app.env': 'TOKEN=old-token\n',
  'srv/README.md': '# Site\n\n```sh\nmake\n```\n',
};
const MANIFEST = `resources:
${MEMORY_256M}    notify: [reload]
  - id: display-errors
    type: ini
    path: /etc/php.ini
    section: PHP
    key: display_errors
    value: "On"
  - id: issue-mode
    type: file
    path: /etc/issue
    mode: "0600"
  - id: motd
    type: line
    path: /etc/motd
    line: Managed by remedy
  - id: pipes
    type: ini
    path: /etc/php.ini
    section: PHP
    key: error_prepend_string
    value: "a | b <c> *d*"
${sensitiveToken(SECRET)}  - id: readme
    type: block
    path: /srv/README.md
    content: "\`\`\`\`\\nfour backticks\\n\`\`\`\`"
  - id: reload
    type: exec
    command: ['true']
    refresh_only: true
`;

function tree() {
  const t = makeTree(FILES);
  fs.writeFileSync(t.manifest, MANIFEST);
  return t;
}

describe('--format markdown', () => {
  test('a real plan: heading, table of changes, each diff folded in <details> (snapshot)', async () => {
    const { root, manifest, dir } = tree();
    const run = await remedy('plan', manifest, root, ['--format', 'markdown', '--detailed-exitcodes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    expect(stable(run.stdout, dir)).toMatchSnapshot();
  });

  test('a diff holding a ``` or ```` fence gets a longer fence, so it cannot close the block', async () => {
    const { root, manifest } = tree();
    const md = (await remedy('plan', manifest, root, ['--format', 'markdown'])).stdout;
    const readme = md.slice(md.indexOf('<summary>/srv/README.md (new)</summary>'));
    expect(readme).toMatch(/^<summary>\/srv\/README.md \(new\)<\/summary>\n\nnew: first run of remedy on this file\n\n`````diff\n[^]*\n`````\n\n<\/details>/);
    expect(readme).toContain('\n+````\n');
  });

  test('table cells escape pipes and markup; every row has five cells', async () => {
    const { root, manifest } = tree();
    const md = (await remedy('plan', manifest, root, ['--format', 'markdown', '-v'])).stdout;
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(rows.length).toBe(10); // header, separator, 8 resources (-v lists the unchanged one too)
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(7);
    expect(md).toContain('a \\| b \\<c> \\*d\\*');
    expect(md).toContain('\n\nattributes `/etc/issue` (new: first run of remedy on this file): mode 0644 -> 0600\n\n');
  });

  test('apply adds the result, in a text block', async () => {
    const { root, manifest } = tree();
    const run = await remedy('apply', manifest, root, ['--format', 'markdown', '--detailed-exitcodes']);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^## remedy apply /);
    expect(run.stdout).toMatch(/\n### Result\n\n```text\nApplying:\n[^]*Apply complete: 7 changed, 0 failed, 1 unchanged\.\n```\n$/);
  });

  test('nothing to change: the heading and "No changes", no table', async () => {
    const { root, manifest } = tree();
    await remedy('apply', manifest, root);
    const run = await remedy('plan', manifest, root, ['--format', 'markdown']);
    expect(run.stdout).toMatch(/^## remedy plan `.*` \(root `.*`\)\n\nNo changes: 8 resource\(s\) in sync\.\n$/);
  });

  test('a manifest error: the diagnostics in markdown on stdout, exit 1', async () => {
    const { root, manifest } = tree();
    fs.writeFileSync(manifest, MANIFEST.replace('type: ini', 'type: inii'));
    const run = await remedy('plan', manifest, root, ['--format', 'markdown']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^## remedy plan: error\n\n1 error\(s\); nothing was changed\.\n\n```text\n.*manifest\.yml:3:11: error: \[memory\] 'type' must be one of/);
  });

  test('sensitive content is redacted in plan and apply', async () => {
    const { root, manifest } = tree();
    const outputs = [(await remedy('plan', manifest, root, ['--format', 'markdown', '-v'])).stdout, (await remedy('apply', manifest, root, ['--format', 'markdown', '-v'])).stdout];
    const all = outputs.join('\n');
    expect(all).toContain('| `token` | line | `/etc/app.env` | update | changes (sensitive: hidden) |');
    expect(all).toContain('(sensitive: hidden) 2 changed line(s)');
    for (const secret of [SECRET, 'old-token']) expect(all).not.toContain(secret);
    expect(fs.readFileSync(path.join(root, 'etc/app.env'), 'utf8')).toBe(`TOKEN=${SECRET}\n`);
  });
});

describe('--format json', () => {
  test('a real plan (snapshot): versioned fields, no internal ones', async () => {
    const { root, manifest, dir } = tree();
    const run = await remedy('plan', manifest, root, ['--format', 'json']);
    const doc = JSON.parse(run.stdout);
    expect(doc.files.every((f: object) => !('wanted' in f || 'current' in f || 'host' in f))).toBe(true);
    expect(stable(run.stdout, dir)).toMatchSnapshot();
  });
});

test('an unknown --format names the three formats', async () => {
  const { root, manifest } = tree();
  const run = await remedy('plan', manifest, root, ['--format', 'xml']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('use --format human or --format json or --format markdown');
});
