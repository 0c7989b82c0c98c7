import { ResourceError } from '../engine/diagnostics';
import type { ActionKind, PlannedAction } from '../engine/types';
import { ACCOUNT_NAME, accountTool, readAccounts, type GroupEntry } from './accounts';

export interface GroupSpec {
  name: string;
  gid?: number;
  system?: boolean;
  ensure?: 'present' | 'absent';
}

interface GroupState {
  root: string;
  current?: GroupEntry;
  /** The group that has the wanted gid already, if another one. */
  gidTakenBy?: string;
}

function planGroup(spec: GroupSpec, state: GroupState): PlannedAction {
  const { current, root } = state;
  if (spec.ensure === 'absent') {
    if (!current) return { action: 'none', reason: `group ${spec.name} is already absent`, commands: [] };
    return { action: 'run', reason: `remove group ${spec.name} (gid ${current.gid})`, commands: [accountTool('groupdel', root, [spec.name])] };
  }
  if (state.gidTakenBy) throw new ResourceError(`gid ${spec.gid} is already group ${state.gidTakenBy}'s`, 'choose a free gid, or manage that group instead', 'gid');
  if (!current) {
    const args = [...(spec.gid === undefined ? [] : ['--gid', String(spec.gid)]), ...(spec.system ? ['--system'] : []), spec.name];
    return { action: 'run', reason: `create group ${spec.name}${spec.gid === undefined ? '' : ` (gid ${spec.gid})`}`, commands: [accountTool('groupadd', root, args)] };
  }
  if (spec.gid !== undefined && current.gid !== spec.gid) {
    return { action: 'run', reason: `group ${spec.name}: gid ${current.gid} -> ${spec.gid}`, commands: [accountTool('groupmod', root, ['--gid', String(spec.gid), spec.name])] };
  }
  return { action: 'none', reason: `group ${spec.name} is present (gid ${current.gid})`, commands: [] };
}

export const groupKind: ActionKind<GroupSpec, GroupState> = {
  kind: 'group',
  scope: 'action',
  summary: 'A local group, made and changed with groupadd/groupmod/groupdel (their --prefix under --root)',
  schema: {
    properties: {
      name: { type: 'string', pattern: ACCOUNT_NAME, description: 'The group name.' },
      gid: { type: 'integer', minimum: 0, description: 'Its numeric id. Unset: groupadd picks one, and an existing group keeps its own.' },
      system: { type: 'boolean', description: 'A system group (groupadd --system: a gid from the system range).' },
      ensure: { enum: ['present', 'absent'], description: 'present (default) or absent.' },
    },
    required: ['name'],
  },
  async read(spec, io) {
    const accounts = readAccounts(io);
    const taken = spec.gid === undefined ? undefined : [...accounts.groups.values()].find((g) => g.gid === spec.gid && g.name !== spec.name);
    return { root: io.root, current: accounts.groups.get(spec.name), gidTakenBy: taken?.name };
  },
  plan: (spec, state) => planGroup(spec, state),
};
