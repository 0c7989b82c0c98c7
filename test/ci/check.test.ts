import * as fs from 'node:fs';
import * as path from 'node:path';
import { snapshot } from '../helpers/tree';
import { makeTree, MEMORY_256M, remedy, sensitiveToken } from './trees';

const SECRET = 'Hunter2-Secret-77d1';
const MANIFEST = `resources:
${MEMORY_256M}  - id: motd
    type: line
    path: /etc/motd
    line: Managed by remedy
${sensitiveToken(SECRET)}`;
const IN_SYNC = { 'etc/php.ini': '[PHP]\nmemory_limit = 256M\n', 'etc/motd': 'Managed by remedy\n', 'etc/app.env': `TOKEN=${SECRET}\n` };
const DRIFTED = { 'etc/php.ini': '[PHP]\nmemory_limit = 128M\n', 'etc/motd': 'Managed by remedy\n', 'etc/app.env': 'TOKEN=old-token\n' };

function treeWith(files: Record<string, string>, manifest = MANIFEST) {
  const tree = makeTree(files);
  fs.writeFileSync(tree.manifest, manifest);
  return tree;
}

describe('remedy check: exit 0 in sync, 2 drift, 1 error, without any flag', () => {
  test('in sync: exit 0 and one line', async () => {
    const { root, manifest } = treeWith(IN_SYNC);
    const run = await remedy('check', manifest, root);
    expect(run).toEqual({ code: 0, stdout: `remedy check ${manifest}: in sync: 3 resources\n`, stderr: '' });
  });

  test('drift: exit 2 and one line naming the resources that would change; nothing written', async () => {
    const { root, manifest } = treeWith(DRIFTED);
    const before = snapshot(root);
    const run = await remedy('check', manifest, root);
    expect(run).toEqual({ code: 2, stdout: `remedy check ${manifest}: drift: 2 resources in 2 files would change (memory, token)\n`, stderr: '' });
    expect(snapshot(root)).toEqual(before);
  });

  test('--detailed-exitcodes changes nothing: check always uses its own codes', async () => {
    const { root, manifest } = treeWith(DRIFTED);
    expect((await remedy('check', manifest, root, ['--detailed-exitcodes'])).code).toBe(2);
  });

  test('an error: exit 1, one line on stdout, the located diagnostics on stderr', async () => {
    const { root, manifest } = treeWith(IN_SYNC, MANIFEST.replace('type: ini', 'type: inii'));
    const run = await remedy('check', manifest, root);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^remedy check ${manifest}: error: \\[memory\\] 'type' must be one of: file, line, .*\\n$`));
    expect(run.stderr).toContain('manifest.yml:3:11: error: [memory]');
  });

  test('several errors: the line says how many more', async () => {
    const { root, manifest } = treeWith(IN_SYNC, MANIFEST.replace('type: ini', 'type: inii').replace('type: line', 'type: lyne'));
    expect((await remedy('check', manifest, root)).stdout).toContain('(and 1 more error)');
  });

  test('a resource that only runs a command counts as drift, without "in 0 files"; more than five ids are elided', async () => {
    const execs = Array.from({ length: 6 }, (_, i) => `  - id: step-${i}\n    type: exec\n    command: ['true']\n`).join('');
    const { root, manifest } = treeWith({}, `resources:\n${execs}`);
    const run = await remedy('check', manifest, root);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe(`remedy check ${manifest}: drift: 6 resources would change (step-0, step-1, step-2, step-3, step-4, ...)\n`);
  });

  test('-v also prints the plan after the line', async () => {
    const { root, manifest } = treeWith(DRIFTED);
    const run = await remedy('check', manifest, root, ['-v']);
    expect(run.stdout.split('\n')[0]).toContain('drift: 2 resources');
    expect(run.stdout.split('\n')[2]).toMatch(/^remedy check \S*manifest\.yml/);
    expect(run.stdout).not.toContain('remedy plan');
    expect(run.stdout).toContain('+memory_limit = 256M');
  });
});

describe('remedy check --format', () => {
  test('json: the plan report with check.status and check.message; same exit codes', async () => {
    const drifted = treeWith(DRIFTED);
    const synced = treeWith(IN_SYNC);
    const drift = await remedy('check', drifted.manifest, drifted.root, ['--format', 'json']);
    const sync = await remedy('check', synced.manifest, synced.root, ['--format', 'json']);
    expect([drift.code, sync.code]).toEqual([2, 0]);
    const doc = JSON.parse(drift.stdout);
    expect(doc).toMatchObject({ formatVersion: 1, command: 'check', summary: { changed: 2, files: 2 }, check: { status: 'drift', message: expect.stringContaining('drift: 2 resources in 2 files') } });
    expect(JSON.parse(sync.stdout).check.status).toBe('in-sync');
  });

  test('json on an error: exit 1, the diagnostics', async () => {
    const { root, manifest } = treeWith(IN_SYNC, MANIFEST.replace('type: ini', 'type: inii'));
    const run = await remedy('check', manifest, root, ['--format', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'check', diagnostics: [{ resourceId: 'memory' }] });
  });

  test('markdown: a heading, the line, the table', async () => {
    const { root, manifest } = treeWith(DRIFTED);
    const run = await remedy('check', manifest, root, ['--format', 'markdown']);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^## remedy check `.*manifest\.yml` \(root `.*`\)\n\nremedy check .*: drift: 2 resources in 2 files would change \(memory, token\)\n\n\| resource \|/);
  });

  test('sensitive content is redacted in every format of check', async () => {
    const { root, manifest } = treeWith(DRIFTED);
    const outputs: string[] = [];
    for (const format of ['human', 'json', 'markdown']) {
      for (const verbose of [[], ['-v']]) {
        const run = await remedy('check', manifest, root, ['--format', format, ...verbose]);
        expect(run.code).toBe(2);
        outputs.push(run.stdout, run.stderr);
      }
    }
    const all = outputs.join('\n');
    expect(all).toContain('token');
    expect(all).toContain('(sensitive: hidden)');
    for (const secret of [SECRET, 'old-token']) expect(all).not.toContain(secret);
    expect(fs.readFileSync(path.join(root, 'etc/app.env'), 'utf8')).toBe('TOKEN=old-token\n');
  });
});

test('drift: files edited by hand since remedy wrote them are counted on the line', async () => {
  const { root, manifest } = treeWith(DRIFTED);
  expect((await remedy('apply', manifest, root)).code).toBe(0);
  fs.writeFileSync(path.join(root, 'etc/php.ini'), '[PHP]\nmemory_limit = 64M\n');
  const run = await remedy('check', manifest, root);
  expect(run).toEqual({ code: 2, stdout: `remedy check ${manifest}: drift: 1 resource in 1 file would change (memory); 1 file changed outside remedy\n`, stderr: '' });
});
