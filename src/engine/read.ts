import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLossless } from './bytes';
import { ResourceError, type Diagnostic } from './diagnostics';
import { runCommand } from './exec';
import { resourceDiagnostic } from './plan';
import { resolveInRoot } from './root';
import type { FileModel, ProbeIo, ResolvedResource } from './types';
import { kindOf } from '../resources';

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
}

export async function readSystem(resources: ResolvedResource[], root: string, diagnostics: Diagnostic[]): Promise<SystemState> {
  const state: SystemState = { files: new Map(), hostOf: new Map(), probes: new Map() };
  const io = probeIo(root);
  for (const [index, r] of resources.entries()) {
    const kind = kindOf(r.type)!;
    try {
      if (kind.scope === 'path') {
        const host = resolveInRoot(root, r.path!, !kind.managesLink?.(r.spec));
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
    run: runCommand,
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

/** Reads files named by a manifest (`source:`), once each. */
export function sourceReader(): (file: string) => string {
  const cache = new Map<string, string>();
  return (file) => {
    if (!cache.has(file)) {
      try {
        cache.set(file, decodeLossless(fs.readFileSync(file)));
      } catch (e) {
        throw new ResourceError(`cannot read source ${file}: ${(e as NodeJS.ErrnoException).code}`, 'source is relative to the manifest that declares the resource');
      }
    }
    return cache.get(file)!;
  };
}
