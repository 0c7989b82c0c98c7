import type { FileSummary } from '../engine/plan';
import type { WrittenFile } from './drift';
import { writtenIndexFile } from './layout';
import { readJsonFile, writePrivateJson } from './private-files';

const INDEX_FORMAT_VERSION = 1;

/** Host path -> what remedy last left the file as. Outlives retention: a pruned run's writes still count. */
interface WrittenIndex {
  formatVersion: number;
  files: Record<string, WrittenFile>;
}

/** Read at the read phase: state is machine state. */
export function readWrittenIndex(stateDir: string): Map<string, WrittenFile> {
  const index = readJsonFile<WrittenIndex>(writtenIndexFile(stateDir));
  return new Map(Object.entries(index?.files ?? {}));
}

export function rememberWritten(stateDir: string, runId: string, files: { host: string; after: FileSummary }[]): void {
  if (files.length === 0) return;
  const index = readJsonFile<WrittenIndex>(writtenIndexFile(stateDir))?.files ?? {};
  for (const f of files) {
    const { type, sha256, target, mode, uid, gid } = f.after;
    index[f.host] = { type, sha256, target, mode, uid, gid, run: runId };
  }
  writePrivateJson(writtenIndexFile(stateDir), { formatVersion: INDEX_FORMAT_VERSION, files: index });
}
