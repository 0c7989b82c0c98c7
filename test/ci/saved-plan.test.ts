import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTree, managedSnapshot, MEMORY_256M, remedy, treeState } from './trees';

// php.ini carries a Latin-1 byte and CRLF line endings: a saved plan must keep bytes, not text.
const FILES = {
  'etc/php.ini': Buffer.concat([Buffer.from('; caf'), Buffer.from([0xe9]), Buffer.from('\r\n[PHP]\r\nmemory_limit = 128M\r\n')]),
  'etc/motd': 'Welcome\n',
  'etc/app/secret.env': 'TOKEN=old\n',
  'var/log/.keep': '',
};

const MANIFEST = `resources:
${MEMORY_256M}    notify: [reload]
  - id: motd
    type: line
    path: /etc/motd
    line: Managed by remedy
  - id: secret
    type: file
    path: /etc/app/secret.env
    content: "TOKEN=new\\n"
    mode: "0600"
    sensitive: true
  - id: banner
    type: file
    path: /etc/banner
    content: "hello\\n"
  - id: reload
    type: exec
    command: [sh, -c, 'echo reloaded >> refreshes']
    cwd: /var/log
    refresh_only: true
`;

const NEW_PHP_INI = Buffer.concat([Buffer.from('; caf'), Buffer.from([0xe9]), Buffer.from('\r\n[PHP]\r\nmemory_limit = 256M\r\n')]);

/** A tree with the manifest beside it and a plan saved for it; nothing applied yet. */
async function savedPlan(manifest = MANIFEST, files: Record<string, string | Buffer> = FILES) {
  const tree = makeTree(files);
  fs.writeFileSync(tree.manifest, manifest);
  const planFile = path.join(tree.dir, 'plan.json');
  const run = await remedy('plan', tree.manifest, tree.root, ['--out', planFile, '--detailed-exitcodes']);
  expect(run.code).toBe(2);
  return { ...tree, planFile, planRun: run };
}

const applyPlanFile = (planFile: string, root: string, extra: string[] = []) => remedy('apply', planFile, root, ['--detailed-exitcodes', ...extra]);

describe('remedy plan --out', () => {
  test('saves everything apply needs: marker, format, digest, pre-image sha256 and exact new content, commands, root; mode 0600', async () => {
    const { root, planFile, dir, planRun } = await savedPlan();
    expect(fs.statSync(planFile).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(planRun.stderr).toContain(`Saved the plan to ${planFile} (mode 0600`);
    expect(planRun.stdout).toContain('+memory_limit = 256M'); // the report is still shown

    const doc = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    expect(doc).toMatchObject({ remedySavedPlan: true, formatVersion: 1, plan: { root } });
    expect(doc.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const ini = doc.plan.files.find((f: { path: string }) => f.path === '/etc/php.ini');
    expect(ini.before.sha256).toBe(createHash('sha256').update(FILES['etc/php.ini']).digest('hex'));
    expect(ini.wanted.content).toBe('; caf\udce9\r\n[PHP]\r\nmemory_limit = 256M\r\n');
    expect(ini).not.toHaveProperty('current');
    expect(doc.plan.resources.find((r: { id: string }) => r.id === 'reload').refresh[0].argv).toEqual(['sh', '-c', 'echo reloaded >> refreshes']);
  });

  test('replaces an existing file atomically and makes it 0600', async () => {
    const { root, manifest, planFile } = await savedPlan();
    fs.writeFileSync(planFile, 'old', { mode: 0o644 });
    expect((await remedy('plan', manifest, root, ['--out', planFile])).code).toBe(0);
    expect(fs.statSync(planFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(planFile, 'utf8')).remedySavedPlan).toBe(true);
  });

  test('an --out that cannot be written is an error, exit 1', async () => {
    const { root, manifest } = await savedPlan();
    const run = await remedy('plan', manifest, root, ['--out', path.join(root, 'no/such/dir/plan.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--out');
  });

  test.each([
    ['the manifest', (t: { manifest: string }) => t.manifest, 'a manifest of this run'],
    ['a link to the manifest', (t: { manifest: string; dir: string }) => (fs.symlinkSync(t.manifest, path.join(t.dir, 'link.yml')), path.join(t.dir, 'link.yml')), 'a manifest of this run'],
    ['a file the plan writes', (t: { root: string }) => path.join(t.root, 'etc/banner'), 'a file this plan manages'],
  ])('an --out onto %s is refused and nothing is overwritten', async (_what, target, why) => {
    const tree = await savedPlan();
    const out = target(tree);
    const before = fs.existsSync(out) ? fs.readFileSync(out) : undefined;
    const run = await remedy('plan', tree.manifest, tree.root, ['--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(why);
    expect(fs.existsSync(out) ? fs.readFileSync(out) : undefined).toEqual(before);
  });

  test('the manifest digest covers includes and effective vars, and nothing else', async () => {
    const tree = makeTree({ 'etc/motd': 'Welcome\n' });
    fs.writeFileSync(path.join(tree.dir, 'common.yml'), '# shared\nvars:\n  who: ops\n');
    fs.writeFileSync(tree.manifest, 'include: [common.yml]\nresources:\n  - id: motd\n    type: line\n    path: /etc/motd\n    line: Managed by ${who}\n');
    const digest = async (extra: string[] = []) => {
      const planFile = path.join(tree.dir, 'digest.json');
      await remedy('plan', tree.manifest, tree.root, ['--out', planFile, ...extra]);
      return JSON.parse(fs.readFileSync(planFile, 'utf8')).manifestDigest as string;
    };
    const first = await digest();
    expect(await digest()).toBe(first);
    expect(await digest(['--var', 'who=me'])).not.toBe(first);
    fs.appendFileSync(path.join(tree.dir, 'common.yml'), '# a comment in the include\n');
    expect(await digest()).not.toBe(first);
  });

  test('the manifest digest covers a template and what it includes', async () => {
    const tree = makeTree({ 'etc/motd': 'Welcome\n' });
    fs.mkdirSync(path.join(tree.dir, 'templates'));
    fs.writeFileSync(path.join(tree.dir, 'templates/motd.j2'), 'Hello {{ host.name }}\n{% include "templates/footer.j2" %}\n');
    fs.writeFileSync(path.join(tree.dir, 'templates/footer.j2'), '-- ops\n');
    fs.writeFileSync(tree.manifest, 'resources:\n  - id: motd\n    type: file\n    path: /etc/motd\n    template: templates/motd.j2\n');
    const planFile = path.join(tree.dir, 'saved.json');
    const digest = async () => {
      await remedy('plan', tree.manifest, tree.root, ['--out', planFile]);
      return JSON.parse(fs.readFileSync(planFile, 'utf8')).manifestDigest as string;
    };
    const first = await digest();
    fs.writeFileSync(path.join(tree.dir, 'templates/footer.j2'), '-- the web team\n');
    expect(await digest()).not.toBe(first);
  });
});

describe('remedy apply PLANFILE', () => {
  test('gives byte-identical results (bytes, modes) to applying the manifest directly, refreshes included', async () => {
    const direct = makeTree(FILES);
    fs.writeFileSync(direct.manifest, MANIFEST);
    const directRun = await remedy('apply', direct.manifest, direct.root, ['--detailed-exitcodes']);
    const saved = await savedPlan();
    const savedRun = await applyPlanFile(saved.planFile, saved.root);

    expect(savedRun.stderr).toBe('');
    expect([savedRun.code, directRun.code]).toEqual([2, 2]);
    expect(treeState(saved.root)).toEqual(treeState(direct.root));
    expect(fs.readFileSync(path.join(saved.root, 'etc/php.ini'))).toEqual(NEW_PHP_INI);
    expect(fs.statSync(path.join(saved.root, 'etc/app/secret.env')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(saved.root, 'var/log/refreshes'), 'utf8')).toBe('reloaded\n');
    expect(savedRun.stdout).not.toContain('TOKEN=');
  });

  test('applies the plan as saved, not the manifest as it is now', async () => {
    const { root, manifest, planFile } = await savedPlan();
    fs.writeFileSync(manifest, MANIFEST.replace('value: 256M', 'value: 512M'));
    expect((await applyPlanFile(planFile, root)).code).toBe(2);
    expect(fs.readFileSync(path.join(root, 'etc/php.ini'))).toEqual(NEW_PHP_INI);
    expect((await remedy('plan', manifest, root, ['--detailed-exitcodes'])).stdout).toContain('+memory_limit = 512M');
  });

  test.each([
    ['its bytes changed', (file: string) => fs.appendFileSync(file, '; edited by hand\n'), 'its content changed'],
    ['it was deleted', (file: string) => fs.rmSync(file), 'it was a file and is now absent'],
  ])('a stale plan (%s) is refused: exit 1, the stale file listed, nothing written anywhere', async (_, edit, why) => {
    const { root, planFile } = await savedPlan();
    edit(path.join(root, 'etc/motd'));
    const before = managedSnapshot(root);
    const run = await applyPlanFile(planFile, root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: saved plan is stale: /etc/motd is no longer what the plan saw: ${why}`);
    expect(run.stderr).not.toContain('/etc/php.ini');
    expect(run.stderr).toContain('nothing was changed');
    expect(managedSnapshot(root)).toEqual(before); // php.ini, secret.env, banner: untouched, same mtimes
  });

  test('every stale file is listed, in JSON too', async () => {
    const { root, planFile } = await savedPlan();
    fs.appendFileSync(path.join(root, 'etc/motd'), 'x\n');
    fs.writeFileSync(path.join(root, 'etc/banner'), 'made by hand\n');
    const run = await applyPlanFile(planFile, root, ['--format', 'json']);
    expect(run.code).toBe(1);
    const summaries = JSON.parse(run.stdout).diagnostics.map((d: { summary: string }) => d.summary);
    expect(summaries).toHaveLength(2);
    expect(summaries[0]).toMatch(/^saved plan is stale: \/etc\/motd is no longer what the plan saw: its content changed \(sha256 [0-9a-f]{12}… is now [0-9a-f]{12}…\)$/);
    expect(summaries[1]).toBe('saved plan is stale: /etc/banner is no longer what the plan saw: it was absent and is now a file');
  });

  test('a plan file of another format version is refused with a clear message', async () => {
    const { root, planFile } = await savedPlan();
    const doc = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    fs.writeFileSync(planFile, JSON.stringify({ ...doc, formatVersion: 99, remedy: '9.0.0' }));
    const before = managedSnapshot(root);
    const run = await applyPlanFile(planFile, root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${planFile} is a saved plan of format 99 (made by remedy 9.0.0); this remedy applies format 1 only`);
    expect(run.stderr).toContain('make the plan again');
    expect(managedSnapshot(root)).toEqual(before);
  });

  test('a saved plan is applied only to its own --root, and takes no --var', async () => {
    const { root, dir, planFile } = await savedPlan();
    const before = managedSnapshot(root);
    const elsewhere = await applyPlanFile(planFile, dir);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`the saved plan was made for --root ${root}, not ${dir}`);
    const withVar = await applyPlanFile(planFile, root, ['--var', 'x=1']);
    expect(withVar.code).toBe(1);
    expect(withVar.stderr).toContain('--var cannot change a saved plan');
    expect(managedSnapshot(root)).toEqual(before);
  });

  test('a manifest written as JSON (no marker) is still a manifest', async () => {
    const tree = makeTree({ 'etc/motd': 'Welcome\n' });
    const jsonManifest = path.join(tree.dir, 'manifest.json');
    fs.writeFileSync(jsonManifest, JSON.stringify({ resources: [{ id: 'motd', type: 'line', path: '/etc/motd', line: 'Managed' }] }));
    expect((await remedy('apply', jsonManifest, tree.root, ['--detailed-exitcodes'])).code).toBe(2);
    expect(fs.readFileSync(path.join(tree.root, 'etc/motd'), 'utf8')).toBe('Welcome\nManaged\n');
  });

  test('a failed verify rolls a saved plan back exactly as it rolls a manifest apply back', async () => {
    const failing = `${MANIFEST}verify:\n  - command: [sh, -c, 'exit 1']\n    settle: 0\n    retries: 0\n`;
    const direct = makeTree(FILES);
    fs.writeFileSync(direct.manifest, failing);
    const directRun = await remedy('apply', direct.manifest, direct.root, ['--detailed-exitcodes']);
    const saved = await savedPlan(failing);
    const before = treeState(saved.root);
    const savedRun = await applyPlanFile(saved.planFile, saved.root);

    expect([savedRun.code, directRun.code]).toEqual([4, 4]);
    expect(savedRun.stdout).toContain('restored /etc/php.ini (previous bytes)');
    const restored = treeState(saved.root);
    // The refresh ran twice (after the writes, and again after the restore): its log is the only new file.
    expect(restored['var/log/refreshes']).toMatch(/^reloaded\nreloaded\n/);
    delete restored['var/log/refreshes'];
    expect(restored).toEqual(before);
    expect(treeState(direct.root)).toEqual(treeState(saved.root));
  });
});
