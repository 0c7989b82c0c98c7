import { ResourceError } from '../../src/engine/diagnostics';
import { planChanges, type Plan } from '../../src/engine/plan';
import type { SystemState } from '../../src/engine/read';
import type { FileModel, MachineLookup, ResolvedResource } from '../../src/engine/types';
import { kindOf } from '../../src/resources';
import { resourceId, type GeneratedResource } from './generators';

/** The managed path of the in-memory engine runs (there is no disk: the host path is the same). */
export const MANAGED = '/etc/app.conf';

const noLookup: MachineLookup = {
  readSource: (file) => {
    throw new Error(`no source files in generated runs (asked for ${file})`);
  },
  userId: Number,
  groupId: Number,
  readManaged: () => [],
};

/** Generated resources as the engine sees them after load, check and resolve: ids r0, r1, ... on one path. */
export function resolvedOnOnePath(resources: GeneratedResource[]): ResolvedResource[] {
  return resources.map((r, i) => {
    const id = resourceId(i);
    return {
      id,
      type: r.type,
      spec: { ...r.spec, id, type: r.type, path: MANAGED },
      path: MANAGED,
      requires: [],
      notify: [],
      sensitive: false,
      source: { file: 'generated.yml', line: i + 1, column: 1 },
      manifestDir: '/',
    };
  });
}

function passesCheck(r: ResolvedResource): boolean {
  try {
    kindOf(r.type)!.check?.(r.spec);
    return true;
  } catch (e) {
    if (e instanceof ResourceError) return false;
    throw e;
  }
}

/**
 * The engine's validate-time checks and pure plan over one file held in memory: the plan,
 * or undefined when the engine refuses the resources (a diagnostic, never a throw).
 */
export function planInMemory(model: FileModel, resources: ResolvedResource[]): Plan | undefined {
  if (!resources.every(passesCheck)) return undefined;
  const state: SystemState = {
    files: new Map([[MANAGED, { path: MANAGED, host: MANAGED, model, parentExists: true }]]),
    hostOf: new Map(resources.map((_, i) => [i, MANAGED])),
    probes: new Map(),
  };
  return planChanges('generated.yml', '/', resources, state, noLookup).plan;
}

/** What the file is after apply carries out `plan` on `model` (apply writes exactly the wanted model). */
export function afterApply(model: FileModel, plan: Plan): FileModel {
  return plan.files[0]?.wanted ?? model;
}

/** A file model holding `text`. */
export function fileModel(text: string): FileModel {
  return { type: 'file', content: text };
}
