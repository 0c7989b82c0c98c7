import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeLossless } from '../engine/bytes';
import type { FileModel } from '../engine/types';
import type { DirSyncs } from '../engine/write';
import { backupName } from './layout';
import { stateError, writePrivateFile, writePrivateFiles } from './private-files';

/**
 * Keeps the exact bytes of a regular file before a run changes it, as
 * backups/<run-id>/<managed path> (0600, directories 0700), and returns that name
 * relative to the state dir. Other types need no backup: the record holds a link's
 * target and a directory's mode.
 */
export function backUp(stateDir: string, runId: string, managedPath: string, model: FileModel, later?: DirSyncs): string | undefined {
  if (model.type !== 'file') return undefined;
  const name = backupName(runId, managedPath);
  writePrivateFile(path.join(stateDir, name), encodeLossless(model.content), later);
  return name;
}

/**
 * backUp for every file a run changes, at once: their data is made durable together (see
 * writePrivateFiles), the renames at `later.flush()`. The names in the order given.
 */
export async function backUpAll(stateDir: string, runId: string, files: { path: string; model: FileModel }[], later: DirSyncs): Promise<(string | undefined)[]> {
  const names = files.map((f) => (f.model.type === 'file' ? backupName(runId, f.path) : undefined));
  const writes = files.flatMap((f, i) => (f.model.type === 'file' ? [{ file: path.join(stateDir, names[i]!), bytes: encodeLossless(f.model.content) }] : []));
  await writePrivateFiles(writes, later);
  return names;
}

export function readBackup(stateDir: string, name: string): Buffer {
  try {
    return fs.readFileSync(path.join(stateDir, name));
  } catch (e) {
    throw stateError(`the backup ${name} cannot be read (${(e as NodeJS.ErrnoException).code}); the previous bytes are lost`);
  }
}
