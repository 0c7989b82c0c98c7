import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeLossless } from '../../src/engine/bytes';
import type { FileModel } from '../../src/engine/types';
import { DirSyncs } from '../../src/engine/write';
import { backUpAll, readBackup } from '../../src/state/backups';

// The backups a run takes before it writes: many at once, their fsyncs in parallel, in
// chunks; each backup exact and private, and nothing half-made left when one fails.

let stateDir: string;
beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-backups-'));
});
afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

const fileModel = (text: string): FileModel => ({ type: 'file', content: text, mode: 0o644 });

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

test('150 files (more than one chunk) are each kept exactly, 0600, with no temp file left; links and directories need none', async () => {
  const files = Array.from({ length: 150 }, (_, i) => ({ path: `/etc/conf.d/${i}.conf`, model: fileModel(`setting = ${i}\n`) }));
  files.push({ path: '/etc/link', model: { type: 'link', target: 'x' } as FileModel });
  const later = new DirSyncs();
  const names = await backUpAll(stateDir, 'run1', files, later);
  later.flush();
  expect(names.at(-1)).toBeUndefined();
  for (const [i, name] of names.slice(0, 150).entries()) {
    expect(readBackup(stateDir, name!).equals(Buffer.from(encodeLossless(`setting = ${i}\n`)))).toBe(true);
    expect(fs.statSync(path.join(stateDir, name!)).mode & 0o777).toBe(0o600);
  }
  expect(allFiles(stateDir)).toHaveLength(150);
});

test('a backup that cannot be written fails the whole call and leaves no temp file of its chunk', async () => {
  // A file where the backup's directory must go: mkdir fails for the 40th.
  fs.mkdirSync(path.join(stateDir, 'backups/run1/etc'), { recursive: true });
  fs.writeFileSync(path.join(stateDir, 'backups/run1/etc/blocked'), 'not a directory');
  const files = Array.from({ length: 50 }, (_, i) => ({ path: i === 40 ? '/etc/blocked/x.conf' : `/etc/ok/${i}.conf`, model: fileModel(`${i}\n`) }));
  await expect(backUpAll(stateDir, 'run1', files, new DirSyncs())).rejects.toThrow();
  expect(allFiles(stateDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  expect(allFiles(stateDir).filter((f) => f.includes('/ok/'))).toEqual([]);
});
