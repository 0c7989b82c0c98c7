import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../engine/diagnostics';
// Compiled at build time from schema/manifest.schema.json (scripts/write-validator.js): no run loads ajv's compiler.
import { validate as compiledValidator } from './manifest-validator.generated';
import type { JsonPath, YamlFile } from './yaml-file';

const validateManifest = compiledValidator as unknown as ValidateFunction;

/** Validates one manifest file's data against the published schema; positions come from the YAML. */
export function schemaDiagnostics(src: YamlFile, data: unknown): Diagnostic[] {
  if (validateManifest(data)) return [];
  const all = validateManifest.errors ?? [];
  const errors = all.filter((e) => e.keyword !== 'if' && !(e.keyword === 'oneOf' && hasDeeper(e, all)));
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of errors) {
    const d = toDiagnostic(src, data, e);
    const key = `${d.source?.line}:${d.source?.column}:${d.summary}`;
    if (!seen.has(key)) out.push(d);
    seen.add(key);
  }
  return out;
}

function hasDeeper(e: ErrorObject, all: ErrorObject[]): boolean {
  return all.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== 'oneOf');
}

function pathOf(instancePath: string): JsonPath {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function toDiagnostic(src: YamlFile, data: unknown, e: ErrorObject): Diagnostic {
  const at = pathOf(e.instancePath);
  const resourceId = at[0] === 'resources' && typeof at[1] === 'number' ? idAt(data, at[1]) : undefined;
  const field = at.length > 0 ? at.slice(at[0] === 'resources' ? 2 : 0).join('.') : '';
  const where = field ? `'${field}'` : resourceId ? 'the resource' : 'the manifest';
  const { summary, hint, extra } = describe(e, where);
  return { severity: 'error', summary, hint, resourceId, source: extra === undefined ? src.pos(at) : src.keyPos([...at, extra]) };
}

function idAt(data: unknown, index: number): string | undefined {
  const r = (data as { resources?: unknown[] }).resources?.[index] as { id?: unknown } | undefined;
  return typeof r?.id === 'string' ? r.id : undefined;
}

function describe(e: ErrorObject, where: string): { summary: string; hint?: string; extra?: string } {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { summary: `unknown field '${p.additionalProperty}' in ${where}`, hint: 'remove it or check its spelling; `remedy schema` lists every field of every type', extra: p.additionalProperty };
    case 'required':
      return { summary: `missing required field '${p.missingProperty}' in ${where}`, hint: `add ${p.missingProperty}:` };
    case 'enum':
      return { summary: `${where} must be one of: ${p.allowedValues.join(', ')}`, hint: 'use one of the listed values' };
    case 'const':
      return { summary: `${where} must be ${JSON.stringify(p.allowedValue)}`, hint: `write ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return typeError(where, String(p.type).split(','));
    case 'pattern':
      return { summary: `${where} must match ${p.pattern}`, hint: 'see the field\'s description in `remedy schema`' };
    case 'oneOf':
    case 'anyOf':
      return { summary: `${where} ${e.message}`, hint: 'see the field\'s description in `remedy schema`' };
    default:
      return { summary: `${where} ${e.message}` };
  }
}

/** What to write for each JSON type, as YAML: the hint a type error needs. */
const TYPE_EXAMPLES: Record<string, [string, string]> = {
  string: ['a string', 'quote the value, e.g. "Off", "0644"'],
  integer: ['a whole number', 'write digits without quotes, e.g. 30'],
  number: ['a number', 'write it without quotes, e.g. 2.5'],
  boolean: ['true or false', 'write true or false without quotes'],
  array: ['a list', 'write a list: [a, b] or one "- item" per line'],
  object: ['a mapping', 'write "key: value" lines indented under it'],
  null: ['null', 'write null'],
};

function typeError(where: string, types: string[]): { summary: string; hint: string } {
  const known = types.map((t) => TYPE_EXAMPLES[t] ?? [t, '']);
  return { summary: `${where} must be ${known.map(([what]) => what).join(' or ')}`, hint: known.map(([, how]) => how).filter((h) => h !== '').join('; or ') };
}
