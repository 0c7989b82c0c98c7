// The module object itself (not an import-star copy), so that the engine's calls go through the spies.
import fs = require('node:fs');
import * as path from 'node:path';
import { runInRoot } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

let root: string;
beforeEach(() => (root = tempRoot()));
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

const FILES = ['etc/a.conf', 'etc/b.conf', 'etc/c.conf', 'srv/d.conf', 'srv/e.conf'];
const MANIFEST = FILES.map((file, i) => `\n  - id: set-${i}\n    type: line\n    path: /${file}\n    line: key = new\n    match: '^key ='`).join('');

function writeOldFiles(): void {
  for (const file of FILES) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), 'key = old\n');
  }
}

/** The paths fsynced during `during`, in order, named by what each descriptor was opened on. */
async function fsyncedPaths(during: () => Promise<unknown>): Promise<string[]> {
  const open = fs.openSync.bind(fs);
  const fsync = fs.fsyncSync.bind(fs);
  const opened = new Map<number, string>();
  const synced: string[] = [];
  jest.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode) => {
    const fd = open(file, flags, mode);
    // A name opened through a directory's descriptor (/proc/self/fd/N/name) is named by that directory.
    const viaDir = /^\/proc\/self\/fd\/(\d+)\/(.+)$/.exec(String(file));
    opened.set(fd, viaDir ? path.join(opened.get(Number(viaDir[1])) ?? `fd ${viaDir[1]}`, viaDir[2]) : path.relative(root, String(file)));
    return fd;
  }) as typeof fs.openSync);
  jest.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
    synced.push(opened.get(fd) ?? `fd ${fd}`);
    fsync(fd);
  });
  // Backups are fsynced several at once on the thread pool: named when each is asked for.
  const fsyncAsync = fs.fsync.bind(fs);
  jest.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: (e: NodeJS.ErrnoException | null) => void) => {
    synced.push(opened.get(fd) ?? `fd ${fd}`);
    fsyncAsync(fd, done);
  }) as typeof fs.fsync);
  await during();
  jest.restoreAllMocks();
  return synced;
}

test('apply fsyncs each written file, and each directory it wrote to once, not once per file', async () => {
  writeOldFiles();
  let code: number | undefined;
  const synced = await fsyncedPaths(async () => ({ code } = await runInRoot(root, 'apply', MANIFEST)));
  expect(code).toBe(2);
  const count = (p: string) => synced.filter((s) => s === p).length;
  expect([count('etc'), count('srv')]).toEqual([1, 1]);
  const [backups] = fs.readdirSync(path.join(root, 'var/lib/remedy/backups'));
  expect([count(`var/lib/remedy/backups/${backups}/etc`), count(`var/lib/remedy/backups/${backups}/srv`)]).toEqual([1, 1]);
  // Each file's temp before its rename, for the targets and their backups alike.
  for (const file of FILES) {
    const temps = (dir: string) => synced.filter((s) => path.dirname(s) === dir && path.basename(s).startsWith(`.${path.basename(file)}.remedy-`));
    expect(temps(path.dirname(file))).toHaveLength(1);
    expect(temps(`var/lib/remedy/backups/${backups}/${path.dirname(file)}`)).toHaveLength(1);
  }
  // The backups are durable before the first target is replaced.
  expect(synced.indexOf(`var/lib/remedy/backups/${backups}/srv`)).toBeLessThan(synced.findIndex((s) => s.startsWith('etc/')));
});

// Cron runs a converged apply every few minutes: the lock holder's name and the record of a
// run that changed nothing are written atomically, but what a power loss may lose is not fsynced.
test('a converged apply makes no fsync at all', async () => {
  writeOldFiles();
  expect((await runInRoot(root, 'apply', MANIFEST)).code).toBe(2);
  let code: number | undefined;
  const synced = await fsyncedPaths(async () => ({ code } = await runInRoot(root, 'apply', MANIFEST)));
  expect(code).toBe(0);
  expect(synced).toEqual([]);
  expect(fs.readdirSync(path.join(root, 'var/lib/remedy/runs'))).toHaveLength(2);
});
