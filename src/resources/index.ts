import type { ResourceKind } from '../engine/types';
import { blockKind } from './block';
import { directiveKind } from './directive';
import { execKind } from './exec';
import { fileKind } from './file';
import { groupKind } from './group';
import { iniKind } from './ini';
import { jsonKind } from './json';
import { lineKind } from './line';
import { packageKind } from './package';
import { replaceKind } from './replace';
import { serviceKind } from './service';
import { tomlKind } from './toml';
import { userKind } from './user';
import { yamlKind } from './yaml';

/** Every resource kind remedy knows. The engine never switches on a kind's name. */
export const kinds: readonly ResourceKind[] = [fileKind, lineKind, replaceKind, iniKind, blockKind, jsonKind, yamlKind, tomlKind, directiveKind, execKind, serviceKind, packageKind, groupKind, userKind];

const byName = new Map<string, ResourceKind>(kinds.map((k) => [k.kind, k]));

export function kindOf(name: string): ResourceKind | undefined {
  return byName.get(name);
}
