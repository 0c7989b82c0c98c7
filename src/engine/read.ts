import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLossless } from './bytes';
import { ResourceError, type Diagnostic } from './diagnostics';
import { runCommand } from './exec';
import { resourceDiagnostic } from './plan';
import { commandInRoot, GLOB_CHARS, globInRoot, isInside, resolveInRoot } from './root';
import { stateDirOf } from './state-dir';
import type { FileModel, MachineLookup, ManagedFile, ProbeIo, ResolvedResource } from './types';
import { kindOf } from '../resources';
import type { WrittenFile } from '../state/drift';
import { readWrittenIndex } from '../state/written';

/** A path as read from the machine. */
export interface PathRead {
  /** The managed path as the manifest names it. */
  path: string;
  /** Where it is on this machine (under --root, links resolved). */
  host: string;
  model: FileModel;
  parentExists: boolean;
}

/** Everything plan() needs from the machine, read once. */
export interface SystemState {
  files: Map<string, PathRead>;
  /** Resource index -> host path of its file. */
  hostOf: Map<number, string>;
  /** Resource index -> what an action kind's read() saw. */
  probes: Map<number, unknown>;
  /** Host path -> what remedy last wrote there (from the state dir), to tell drift from intended change; none: every change is `new`. */
  written?: Map<string, WrittenFile>;
}

export async function readSystem(resources: ResolvedResource[], root: string, diagnostics: Diagnostic[], stateDir = stateDirOf({ root })): Promise<SystemState> {
  const state: SystemState = { files: new Map(), hostOf: new Map(), probes: new Map(), written: readWrittenIndex(stateDir) };
  const io = probeIo(root);
  const hostOf = hostResolver(root);
  for (const [index, r] of resources.entries()) {
    const kind = kindOf(r.type)!;
    try {
      if (kind.scope === 'path') {
        const host = hostOf(r.path!, !kind.managesLink?.(r.spec));
        state.hostOf.set(index, host);
        if (!state.files.has(host)) state.files.set(host, { path: r.path!, host, model: readModel(host), parentExists: fs.existsSync(path.dirname(host)) });
      } else {
        state.probes.set(index, await kind.read(r.spec, io));
      }
    } catch (e) {
      diagnostics.push(resourceDiagnostic(r, e));
    }
  }
  return state;
}

export function probeIo(root: string): ProbeIo {
  return {
    root,
    mtime: (p) => {
      try {
        return fs.statSync(resolveInRoot(root, p)).mtimeMs;
      } catch {
        return undefined;
      }
    },
    readText: (p) => {
      try {
        return fs.readFileSync(resolveInRoot(root, p), 'utf8');
      } catch {
        return undefined;
      }
    },
    // A probe runs where its command will run at apply time.
    run: (cmd) => runCommand(commandInRoot(cmd, root)),
    exists: async (p) => {
      try {
        return fs.existsSync(resolveInRoot(root, p));
      } catch {
        return false;
      }
    },
  };
}

/** Reads what a host path is now, without following a final symbolic link. */
export function readModel(host: string): FileModel {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { type: 'absent' };
    if (code === 'ENOTDIR') throw new ResourceError(`a parent of ${host} is not a directory`, 'fix the path');
    throw new ResourceError(`cannot read ${host}: ${code}`, 'check permissions');
  }
  const owner = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (st.isSymbolicLink()) return { type: 'link', target: fs.readlinkSync(host) };
  if (st.isDirectory()) return { type: 'directory', ...owner };
  if (!st.isFile()) throw new ResourceError(`${host} is not a regular file (a device, socket or FIFO)`, 'point path at a regular file');
  try {
    return { type: 'file', content: decodeLossless(fs.readFileSync(host)), ...owner };
  } catch (e) {
    throw new ResourceError(`cannot read ${host}: ${(e as NodeJS.ErrnoException).code}`, 'check the file\'s permissions, or run as a user who can read it');
  }
}

/**
 * Source files and user/group names, each read once, for the pure plan fold. A source must
 * be inside `sourceRoot` (the top manifest's folder), links resolved: a manifest cannot
 * show a file of the controller (/etc/shadow, a key) in a diff by naming it as a source.
 */
export function machineLookup(root: string, sourceRoot: string): MachineLookup {
  const sources = new Map<string, string>();
  const users = idTable(root, '/etc/passwd', 'user');
  const groups = idTable(root, '/etc/group', 'group');
  return {
    readSource(file) {
      if (!sources.has(file)) sources.set(file, readSourceFile(file, sourceRoot));
      return sources.get(file)!;
    },
    userId: users,
    groupId: groups,
    readManaged: managedFiles(root),
  };
}

/** Files of the managed tree by path or glob, confined to the root like managed paths; each pattern read once. */
function managedFiles(root: string): (pattern: string) => ManagedFile[] {
  const read = new Map<string, ManagedFile[]>();
  return (pattern) => {
    if (!read.has(pattern)) {
      const paths = GLOB_CHARS.test(pattern) ? globInRoot(root, pattern) : [pattern];
      read.set(
        pattern,
        paths.flatMap((p) => {
          const model = readModel(resolveInRoot(root, p));
          return model.type === 'file' ? [{ path: p, content: model.content }] : [];
        }),
      );
    }
    return read.get(pattern)!;
  };
}

function readSourceFile(file: string, sourceRoot: string): string {
  const outside = (why: string) => new ResourceError(`source ${file} ${why}, outside the manifest's folder ${sourceRoot}`, "keep source files in the manifest's folder or below it (e.g. files/), and give them relative to the manifest that declares them", 'source');
  if (!isInside(sourceRoot, file)) throw outside('is');
  try {
    const real = fs.realpathSync(file);
    if (!isInside(fs.realpathSync(sourceRoot), real)) throw outside('is a link that leads');
    return decodeLossless(fs.readFileSync(real));
  } catch (e) {
    if (e instanceof ResourceError) throw e;
    throw new ResourceError(`cannot read source ${file}: ${(e as NodeJS.ErrnoException).code}`, 'source is relative to the manifest that declares the resource');
  }
}

/**
 * name -> id from the managed system's passwd/group file (under --root), read on first use.
 * Numeric ids pass through. Names only known to NSS (LDAP, sssd) must be given as numbers.
 */
function idTable(root: string, file: '/etc/passwd' | '/etc/group', what: string): (name: string) => number {
  let table: Map<string, number> | undefined;
  return (name) => {
    if (/^\d+$/.test(name)) return Number(name);
    table ??= parseIdFile(root, file);
    const id = table.get(name);
    if (id === undefined) throw new ResourceError(`${what} '${name}' does not exist on the managed system (${file})`, `create the ${what} first, or give its numeric id`, what === 'user' ? 'owner' : 'group');
    return id;
  };
}

function parseIdFile(root: string, file: string): Map<string, number> {
  let text = '';
  try {
    text = fs.readFileSync(resolveInRoot(root, file), 'utf8');
  } catch {
    // No passwd/group file (a bare --root tree): only numeric ids resolve.
  }
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id)) ids.set(name, Number(id));
  }
  return ids;
}

/** resolveInRoot once per path: 10,000 resources on one file must not each walk its links again. */
function hostResolver(root: string): (p: string, followLinks: boolean) => string {
  const hosts = new Map<string, string>();
  return (p, followLinks) => {
    const key = `${followLinks}:${p}`;
    if (!hosts.has(key)) hosts.set(key, resolveInRoot(root, p, followLinks));
    return hosts.get(key)!;
  };
}
