import type { ResourceKind } from '../engine/types';
import { verifySchema } from '../engine/verify';

export const SCHEMA_ID = 'https://remedy.dev/schema/manifest.schema.json';
export const ID_PATTERN = '^[a-z0-9._-]+$';

const idList = (what: string) => ({ type: 'array', items: { type: 'string', pattern: ID_PATTERN }, uniqueItems: true, description: what });

/** Fields every resource may have; `path` only for kinds that shape a path. */
function commonProperties(kind: ResourceKind): Record<string, unknown> {
  const common: Record<string, unknown> = {
    id: { type: 'string', pattern: ID_PATTERN, description: 'Unique id in the manifest: lowercase letters, digits, . _ -' },
    type: { const: kind.kind },
    requires: idList('Ids of resources that must be applied before this one.'),
    notify: idList('Ids of resources to refresh (run, reload) when this one changes.'),
    sensitive: { type: 'boolean', description: 'Never show this resource\'s content in plans, reports or logs.' },
    tags: { type: 'array', items: { type: 'string', pattern: ID_PATTERN }, uniqueItems: true, description: 'Names for --only: plan or apply just the resources with this tag (and what they require).' },
    when: { type: 'string', minLength: 1, description: "A Jinja expression (facts.os.family == 'debian' and 'web' in host.groups); false: the resource is skipped, shown in the plan. An unknown name is an error." },
    loop: {
      description: 'One instance per item: a list, a map (items key/value) or ${name} of a list var or fact; ${item} / ${item.key} in the fields; ids become id[item].',
      oneOf: [{ type: 'array' }, { type: 'object' }, { type: 'string', pattern: '^\\$\\{[A-Za-z_][\\w.]*\\}$' }],
    },
  };
  if (kind.scope === 'path') {
    common.path = { type: 'string', minLength: 1, description: 'Absolute path; may be a glob (/etc/php/*/apache2/php.ini).' };
    common.validate = {
      description: 'Command run on the candidate file before it replaces the real one: %s is the candidate; a string is split like a shell would (no shell runs).',
      oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
    };
  }
  return common;
}

function resourceBranch(kind: ResourceKind): Record<string, unknown> {
  const required = ['id', 'type', ...(kind.scope === 'path' ? ['path'] : []), ...(kind.schema.required ?? [])];
  return {
    if: { properties: { type: { const: kind.kind } }, required: ['type'] },
    then: {
      description: kind.summary,
      properties: { ...commonProperties(kind), ...kind.schema.properties },
      required,
      additionalProperties: false,
      ...kind.schema.extra,
    },
  };
}

/** The manifest's JSON Schema, built from the registered kinds (published as schema/manifest.schema.json). */
export function manifestSchema(kinds: readonly ResourceKind[]): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'remedy manifest',
    type: 'object',
    additionalProperties: false,
    properties: {
      vars: {
        type: 'object',
        description: 'Variables for ${name} interpolation in every string field; --var name=value overrides.',
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        additionalProperties: { type: ['string', 'number', 'boolean', 'array', 'object'] },
      },
      include: {
        type: 'array',
        description: 'Manifests (relative to this one) whose resources are merged in before this file\'s own; { path, when } includes one only when the expression holds.',
        items: {
          oneOf: [
            { type: 'string', minLength: 1 },
            { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string', minLength: 1 }, when: { type: 'string', minLength: 1 } } },
          ],
        },
      },
      verify: verifySchema,
      resources: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'type'],
          properties: { type: { enum: kinds.map((k) => k.kind) } },
          allOf: kinds.map(resourceBranch),
        },
      },
    },
  };
}
