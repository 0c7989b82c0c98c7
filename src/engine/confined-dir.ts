import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside } from './root';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** A directory on the way to a managed path is no longer the real directory the plan resolved. */
export class PathMovedError extends Error {}

/**
 * A directory of the managed tree, opened from the root one component at a time with
 * O_NOFOLLOW, the way openat(2) walks: a component swapped for a symbolic link since the
 * plan fails the walk instead of leading it out of the root. Every later step names its
 * files through the open descriptor (`/proc/self/fd/N/name`), so a swap made after the
 * walk cannot redirect them either; `stillInPlace()` tells whether the directory was moved.
 */
export class ConfinedDir {
  private constructor(
    /** The directory's host path (under the root's real path, no links). */
    readonly host: string,
    private readonly fd: number,
  ) {}

  /** Opens `dirHost` under `rootReal`; with `create`, makes the missing directories on the way (mode 0755), each inside its parent's descriptor. */
  static open(rootReal: string, dirHost: string, create: boolean): ConfinedDir {
    const rel = path.relative(rootReal, dirHost);
    if (!isInside(rootReal, dirHost)) throw new PathMovedError(`${dirHost} is not inside the root ${rootReal}`);
    let fd = fs.openSync(rootReal, O_RDONLY | O_DIRECTORY);
    try {
      for (const part of rel.split('/').filter(Boolean)) {
        const next = openChild(fd, part, create, dirHost);
        fs.closeSync(fd);
        fd = next;
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new ConfinedDir(dirHost, fd);
  }

  /** A name in this directory, resolved through the descriptor rather than the path. */
  entry(name: string): string {
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** True while the directory still sits at its host path (not renamed or moved away since it was opened). */
  stillInPlace(): boolean {
    try {
      return fs.readlinkSync(`/proc/self/fd/${this.fd}`) === this.host;
    } catch {
      return false;
    }
  }

  sync(): void {
    fs.fsyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function openChild(parentFd: number, name: string, create: boolean, dirHost: string): number {
  const child = `/proc/self/fd/${parentFd}/${name}`;
  try {
    return fs.openSync(child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && create) {
      mkdirIfMissing(child);
      return fs.openSync(child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    }
    if (code === 'ELOOP' || code === 'ENOTDIR') throw new PathMovedError(`'${name}' on the way to ${dirHost} is no longer a directory (a symbolic link or a file was put there since it was planned)`);
    throw e;
  }
}

function mkdirIfMissing(dir: string): void {
  try {
    fs.mkdirSync(dir, 0o755);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // made by another process meanwhile: the O_NOFOLLOW open checks what it is
  }
}

/** Runs `step` (sync or async) with `dirHost` opened under the root, and closes it when the step is done, whatever happens. */
export function withConfinedDir<T>(rootReal: string, dirHost: string, create: boolean, step: (dir: ConfinedDir) => T): T {
  const dir = ConfinedDir.open(rootReal, dirHost, create);
  let result: T;
  try {
    result = step(dir);
  } catch (e) {
    dir.close();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => dir.close()) as T;
  dir.close();
  return result;
}
