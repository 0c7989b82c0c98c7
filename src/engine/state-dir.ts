import * as path from 'node:path';

/** Where remedy keeps what outlives a run (lock, runs, backups): `<root>/var/lib/remedy` unless --state-dir says otherwise. */
export function stateDirOf(flags: { root: string; stateDir?: string }): string {
  return flags.stateDir !== undefined ? path.resolve(flags.stateDir) : path.join(path.resolve(flags.root), 'var', 'lib', 'remedy');
}
