import { ResourceError } from '../engine/diagnostics';

/** One step of a key path: a map key or a list index. */
export type KeySegment = string | number;

/** Any value JSON can hold: what `value` of the json, yaml and toml kinds is. */
export type DataValue = null | boolean | number | string | DataValue[] | { [key: string]: DataValue };

/** Segments that have no separator or quote in them need no quotes. */
const BARE = /^[^.[\]"\s]+$/;

/**
 * `a.b[0].c` -> ['a', 'b', 0, 'c']. A key holding dots, brackets or spaces is quoted
 * as a JSON string: `log-opts."max-size"`, `"a.b".c`.
 */
export function parseKeyPath(key: string): KeySegment[] {
  const segments: KeySegment[] = [];
  let at = 0;
  const fail = (why: string) =>
    new ResourceError(`key ${JSON.stringify(key)} is not a key path: ${why} at character ${at + 1}`, 'write keys as a.b[0].c; quote a key that holds dots, brackets or spaces: log-opts."max-size"', 'key');
  while (at < key.length) {
    if (key[at] === '[') {
      const close = /^\[(\d+)\]/.exec(key.slice(at));
      if (!close) throw fail('a list index must be [N] with N a number');
      segments.push(Number(close[1]));
      at += close[0].length;
    } else {
      if (segments.length > 0) {
        if (key[at] !== '.') throw fail("expected '.' or '[' between keys");
        at++;
      }
      const quoted = key[at] === '"' ? /^"(?:[^"\\]|\\.)*"/.exec(key.slice(at)) : null;
      if (quoted) {
        segments.push(JSON.parse(quoted[0]) as string);
        at += quoted[0].length;
        continue;
      }
      const bare = /^[^.[\]"]+/.exec(key.slice(at))?.[0] ?? '';
      if (!BARE.test(bare)) throw fail('an empty key, an unclosed quote or a space');
      segments.push(bare);
      at += bare.length;
    }
  }
  if (segments.length === 0) throw fail('it is empty');
  return segments;
}

/** The path as users write it, for messages: a.b[0]."x.y". */
export function formatKeyPath(segments: readonly KeySegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i > 0 ? '.' : ''}${BARE.test(s) ? s : JSON.stringify(s)}`)).join('');
}

export function isMap(v: unknown): v is { [key: string]: DataValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of data values; map key order does not matter, list order does. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}

/** The value that stands for `rest` of a path below a key that does not exist yet: {b: {c: value}}. */
export function nestedValue(rest: readonly KeySegment[], value: DataValue): DataValue {
  return rest.reduceRight<DataValue>((inner, segment) => {
    if (typeof segment === 'number') throw new ResourceError(`list index [${segment}] is below a key that does not exist`, 'create the list first (a value that is a list), then address its items', 'key');
    return { [segment]: inner };
  }, value);
}

/**
 * The leaf edits `merge: true` makes: every key of `value` that is not already equal,
 * recursing into maps present on both sides, so only the differing bytes change.
 */
export function mergeEdits(current: unknown, value: DataValue, at: KeySegment[]): { path: KeySegment[]; value: DataValue }[] {
  if (!isMap(current) || !isMap(value)) return sameValue(current, value) ? [] : [{ path: at, value }];
  return Object.entries(value).flatMap(([k, v]) => (Object.prototype.hasOwnProperty.call(current, k) ? mergeEdits(current[k], v, [...at, k]) : [{ path: [...at, k], value: v }]));
}

/**
 * `ensure: present` of a data kind: the value set at `path` (with `merge`, each differing
 * leaf of it), and why. `current` is the value there now (absent: the key is new).
 */
export function presentEdit(text: string, spec: DataSpec, path: KeySegment[], current: { value: unknown } | undefined, setKey: (text: string, path: KeySegment[], value: DataValue) => string): { text: string; reason: string } {
  const name = formatKeyPath(path);
  const edits = spec.merge && current ? mergeEdits(current.value, spec.value!, path) : [{ path, value: spec.value! }];
  const out = edits.reduce((t, e) => setKey(t, e.path, e.value), text);
  if (out === text) return { text, reason: `${name} is already ${spec.merge ? 'merged' : 'set'}` };
  return { text: out, reason: current ? `set ${name}${spec.merge ? ` (merge: ${edits.map((e) => formatKeyPath(e.path)).join(', ')})` : ''}` : `add ${name}` };
}

/** Shared schema fields of the data-format kinds (json, yaml, toml). */
export const dataKindProperties = {
  key: { type: 'string', minLength: 1, description: 'Key path: a.b[0].c; quote keys holding dots: log-opts."max-size".' },
  value: { description: 'The value the key must have: a string, number, boolean, null, list or map.' },
  ensure: { enum: ['present', 'absent'], description: 'present (default) sets the key; absent removes it.' },
  merge: { type: 'boolean', description: 'With a map value: deep-merge it into the map at the key instead of replacing that map.' },
};

export interface DataSpec {
  key: string;
  value?: DataValue;
  ensure?: 'present' | 'absent';
  merge?: boolean;
  create?: boolean;
}

/** What every data kind checks before it reads a file. */
export function checkDataSpec(spec: DataSpec): void {
  parseKeyPath(spec.key);
  const absent = spec.ensure === 'absent';
  if (absent && spec.value !== undefined) throw new ResourceError('ensure: absent removes the key, so value must not be given', 'drop value, or use ensure: present', 'value');
  if (!absent && spec.value === undefined) throw new ResourceError('value is required with ensure: present', 'give the value the key must have (null is a value: value: null)', 'value');
  if (spec.merge && !isMap(spec.value)) throw new ResourceError('merge: true needs a map value', 'give value as a map, or drop merge', 'merge');
  if (absent && spec.create) throw new ResourceError('create: true with ensure: absent would create a file only to remove from it', 'drop create', 'create');
}

/** The line and column (1-based) of an offset, for syntax errors in managed files. */
export function lineColumnAt(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}
