import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticsError, ResourceError } from './diagnostics';
import { isInside, resolveInRoot } from './root';

const DEFAULT_STATE_DIR = '/var/lib/remedy';
const PRIVATE_DIR = 0o700;
/** S_ISVTX: in a sticky directory (/tmp) only an entry's owner may rename or remove it. */
const STICKY = 0o1000;

/**
 * Where remedy keeps what outlives a run (lock, runs, backups): `<root>/var/lib/remedy`
 * unless --state-dir says otherwise. The default is resolved in the managed tree's view,
 * like a managed path: a link in `<root>/var/lib` that leads out of the root is refused.
 */
export function stateDirOf(flags: { root: string; stateDir?: string }): string {
  if (flags.stateDir !== undefined) return path.resolve(flags.stateDir);
  const root = path.resolve(flags.root);
  if (!fs.existsSync(root)) return path.join(root, DEFAULT_STATE_DIR);
  try {
    return resolveInRoot(root, DEFAULT_STATE_DIR);
  } catch (e) {
    if (!(e instanceof ResourceError)) throw e;
    throw untrusted(path.join(root, DEFAULT_STATE_DIR), e.message.replace(/^path \S+ leaves the root: /, 'it leads out of the root: '));
  }
}

/**
 * Makes the state dir (0700) before a run writes in it, refusing one that another user
 * could redirect: inside the root, each directory from the root down must be a real
 * directory (no link), owned by root or this user and writable by no one else (as sshd's
 * StrictModes asks of ~/.ssh). An entry of the state dir that is a link is refused too:
 * backups and records must never be written through one.
 */
export function openStateDir(stateDir: string, root: string): void {
  const rootReal = fs.existsSync(root) ? fs.realpathSync(root) : undefined;
  const inside = rootReal !== undefined && stateDir !== rootReal && isInside(rootReal, stateDir);
  if (inside) for (const dir of dirsBelow(rootReal, stateDir)) makeTrustedDir(dir, dir === stateDir ? PRIVATE_DIR : 0o755);
  else {
    fs.mkdirSync(path.dirname(stateDir), { recursive: true });
    makeTrustedDir(stateDir, PRIVATE_DIR);
  }
  for (const name of fs.readdirSync(stateDir)) {
    // Another run's temp files come and go meanwhile.
    if (fs.lstatSync(path.join(stateDir, name), { throwIfNoEntry: false })?.isSymbolicLink()) throw untrusted(stateDir, `${path.join(stateDir, name)} is a symbolic link`);
  }
}

/** `top/a`, `top/a/b`, ... down to `dir`. */
function dirsBelow(top: string, dir: string): string[] {
  const parts = path.relative(top, dir).split(path.sep);
  return parts.map((_, i) => path.join(top, ...parts.slice(0, i + 1)));
}

function makeTrustedDir(dir: string, mode: number): void {
  try {
    fs.mkdirSync(dir, { mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink()) throw untrusted(dir, 'it is a symbolic link (swapped in while remedy made it)');
  if (!st.isDirectory()) throw untrusted(dir, 'it is not a directory');
  const me = process.geteuid?.() ?? st.uid;
  if (st.uid !== 0 && st.uid !== me) throw untrusted(dir, `it is owned by uid ${st.uid}, not by root or the user running remedy`);
  const sticky = (st.mode & STICKY) !== 0;
  if ((st.mode & 0o022) !== 0 && !sticky) throw untrusted(dir, `others may write in it (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}), so they could redirect remedy's backups`);
}

function untrusted(dir: string, why: string): DiagnosticsError {
  return new DiagnosticsError([{ severity: 'error', summary: `the state dir ${dir} cannot be trusted: ${why}`, hint: 'remove the link or fix the owner and mode (chmod go-w), or give another state dir with --state-dir DIR' }]);
}
