import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Entry {
  type: 'file' | 'dir' | 'link';
  content?: string;
  target?: string;
  mtimeMs?: number;
}

/** Every path below `root` with its bytes (base64) or link target, and mtime. */
export function snapshot(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const st = fs.lstatSync(full);
      if (st.isSymbolicLink()) out.set(rel, { type: 'link', target: fs.readlinkSync(full) });
      else if (st.isDirectory()) {
        out.set(rel, { type: 'dir' });
        walk(full);
      } else out.set(rel, { type: 'file', content: fs.readFileSync(full).toString('base64'), mtimeMs: st.mtimeMs });
    }
  };
  if (fs.existsSync(root)) walk(root);
  return withoutStateDir(out);
}

/** remedy's own state dir (run lock, history) is not part of the managed tree, nor are the parents it alone made. */
const STATE_DIR = 'var/lib/remedy';

function withoutStateDir(snap: Map<string, Entry>): Map<string, Entry> {
  const under = (dir: string) => [...snap.keys()].filter((rel) => rel.startsWith(dir + '/'));
  for (const rel of [STATE_DIR, ...under(STATE_DIR)]) snap.delete(rel);
  for (const dir of ['var/lib', 'var']) if (snap.get(dir)?.type === 'dir' && under(dir).length === 0) snap.delete(dir);
  return snap;
}

/** The snapshot without mtimes, decoded to text where possible, for readable comparisons. */
export function contents(snap: Map<string, Entry>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, e] of snap) {
    out[rel] = e.type === 'file' ? Buffer.from(e.content!, 'base64').toString('latin1') : e.type === 'link' ? `-> ${e.target}` : '<dir>';
  }
  return out;
}

export function tempRoot(prefix = 'remedy-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function copyTree(from: string, to: string): void {
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
}
