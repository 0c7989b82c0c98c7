import type { FileSummary } from '../engine/plan';
import type { FileModel } from '../engine/types';

/**
 * Why a file is about to change. `drift`: it no longer has the bytes remedy last wrote
 * (someone edited it); `manifest`: it still has them, so the manifest asks for something
 * new; `new`: remedy has never written it.
 */
export type ChangeCause = 'drift' | 'manifest' | 'new';

/** What remedy last left a file as (see written.json). */
export interface WrittenFile {
  type: FileModel['type'];
  sha256?: string;
  target?: string;
  /** Mode and owner remedy left (absent in indexes written before they were kept: then they do not count). */
  mode?: string;
  uid?: number;
  gid?: number;
  run: string;
}

export const CAUSE_TEXT: Record<ChangeCause, string> = {
  drift: 'changed outside remedy since remedy last wrote it',
  manifest: 'as remedy last wrote it; the manifest now wants something else',
  new: 'first run of remedy on this file',
};

export function changeCause(now: FileSummary, last: WrittenFile | undefined): ChangeCause {
  if (!last) return 'new';
  return sameBytes(now, last) && sameAttributes(now, last) ? 'manifest' : 'drift';
}

/** A hand chmod or chown since remedy's last write is drift too; an attribute not recorded does not count. */
function sameAttributes(now: FileSummary, last: WrittenFile): boolean {
  return (['mode', 'uid', 'gid'] as const).every((k) => last[k] === undefined || now[k] === last[k]);
}

/** Same type and bytes (or link target); mode and owner do not count. */
export function sameBytes(a: Pick<FileSummary, 'type' | 'sha256' | 'target'>, b: Pick<FileSummary, 'type' | 'sha256' | 'target'>): boolean {
  return a.type === b.type && a.sha256 === b.sha256 && a.target === b.target;
}
