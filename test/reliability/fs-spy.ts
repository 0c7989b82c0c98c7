// The module object itself (not an import-star copy), so that the engine's calls go through the spies.
import fs = require('node:fs');
import * as path from 'node:path';

/**
 * Records every file-system call of this process that reaches into a forbidden directory,
 * judged by where the path really leads at the moment of the call (symbolic links
 * followed as the call itself would follow them). Used around in-process runs.
 */

const realpath = fs.realpathSync.bind(fs);

/** Calls that act on a final symbolic link itself rather than on what it points to. */
const NO_FOLLOW = new Set(['lstatSync', 'readlinkSync', 'symlinkSync', 'unlinkSync', 'renameSync', 'rmSync', 'rmdirSync']);
const WATCHED = ['openSync', 'readFileSync', 'writeFileSync', 'appendFileSync', 'readdirSync', 'opendirSync', 'statSync', 'existsSync', 'realpathSync', 'chmodSync', 'chownSync', 'mkdirSync', 'copyFileSync', 'utimesSync', ...NO_FOLLOW] as const;

/** Where `p` leads now: the real path of its deepest existing directory, plus the rest. */
function leadsTo(p: string, followLast: boolean): string {
  const abs = path.resolve(p);
  let head = followLast ? abs : path.dirname(abs);
  const tail: string[] = followLast ? [] : [path.basename(abs)];
  for (;;) {
    try {
      return path.join(realpath(head), ...tail);
    } catch {
      if (head === path.dirname(head)) return abs;
      tail.unshift(path.basename(head));
      head = path.dirname(head);
    }
  }
}

/** An open with O_NOFOLLOW fails on a final link (ELOOP) instead of reaching what it points to. */
function followsLastLink(name: string, args: unknown[]): boolean {
  if (name === 'openSync' && typeof args[1] === 'number') return (args[1] & fs.constants.O_NOFOLLOW) === 0;
  return !NO_FOLLOW.has(name);
}

export interface FsSpy {
  /** `call path` for every call that reached into the forbidden directory. */
  readonly violations: string[];
  restore(): void;
}

export function spyOnFs(forbidden: string): FsSpy {
  const inside = (p: string) => p === forbidden || p.startsWith(forbidden + path.sep);
  const violations: string[] = [];
  const spies = WATCHED.map((name) => {
    const original = (fs as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    return jest.spyOn(fs as unknown as Record<string, (...a: unknown[]) => unknown>, name).mockImplementation((...args: unknown[]) => {
      const paths = args.slice(0, name === 'renameSync' || name === 'copyFileSync' || name === 'symlinkSync' ? 2 : 1).filter((a): a is string => typeof a === 'string');
      // symlinkSync(target, path): the target is data, only the new link's place matters.
      for (const p of name === 'symlinkSync' ? paths.slice(1) : paths) {
        if (inside(leadsTo(p, followsLastLink(name, args)))) violations.push(`${name} ${p}`);
      }
      return original.apply(fs, args);
    });
  });
  return { violations, restore: () => spies.forEach((s) => s.mockRestore()) };
}
