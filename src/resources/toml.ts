import type { AST } from 'toml-eslint-parser';
import { ResourceError } from '../engine/diagnostics';
import { checkDataSpec, dataKindProperties, formatKeyPath, isMap as isDataMap, parseKeyPath, presentEdit, sameValue, type DataSpec, type DataValue, type KeySegment } from './key-path';
import { createProperty, textKind, type TextEdit } from './text-kind';

export type TomlSpec = DataSpec;

interface Splice {
  start: number;
  end: number;
  text: string;
}

/** A key-value pair with the whole path it sets: its table's key, then its own (dotted) key. */
interface Entry {
  path: KeySegment[];
  kv: AST.TOMLKeyValue;
}

/** The parsed file: its tables in file order (the top level first, path []) and every pair's full path. */
interface TomlDoc {
  text: string;
  eol: string;
  tables: { path: KeySegment[]; node: AST.TOMLTopLevelTable | AST.TOMLTable }[];
  entries: Entry[];
}

// Loaded on first use: only manifests with toml resources pay for the parser.
const parser = () => require('toml-eslint-parser') as typeof import('toml-eslint-parser');

const keyName = (k: AST.TOMLBare | AST.TOMLQuoted) => (k.type === 'TOMLBare' ? k.name : k.value);
const samePath = (a: readonly KeySegment[], b: readonly KeySegment[]) => a.length === b.length && a.every((s, i) => s === b[i]);
const startsWith = (a: readonly KeySegment[], prefix: readonly KeySegment[]) => prefix.length <= a.length && prefix.every((s, i) => s === a[i]);

function parseToml(text: string): TomlDoc {
  let program: AST.TOMLProgram;
  try {
    program = parser().parseTOML(text);
  } catch (e) {
    const err = e as { lineNumber?: number; column?: number; message: string };
    throw new ResourceError(`the file is not valid TOML: line ${err.lineNumber ?? '?'}, column ${(err.column ?? -1) + 1}: ${err.message}`, 'fix the file first (remedy edits only files that parse)');
  }
  const top = program.body[0];
  const tables: TomlDoc['tables'] = [{ path: [], node: top }];
  const entries: Entry[] = [];
  const addPairs = (base: KeySegment[], kvs: AST.TOMLKeyValue[]) => {
    for (const kv of kvs) entries.push({ path: [...base, ...kv.key.keys.map(keyName)], kv });
  };
  for (const item of top.body) {
    if (item.type === 'TOMLTable') {
      tables.push({ path: item.resolvedKey, node: item });
      addPairs(item.resolvedKey, item.body);
    } else addPairs([], [item]);
  }
  return { text, eol: text.includes('\r\n') ? '\r\n' : '\n', tables, entries };
}

// ------------------------------------------------------------------ rendering

function keyText(key: KeySegment): string {
  return typeof key === 'string' && /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(String(key));
}

/** A TOML value on one line; a string keeps the literal style ('...') of the value it replaces when it can. */
function valueText(v: DataValue, existing?: AST.TOMLContentNode): string {
  if (v === null) throw new ResourceError('TOML has no null', 'remove the key with ensure: absent, or give a value', 'value');
  if (typeof v === 'string') return existing?.type === 'TOMLValue' && existing.kind === 'string' && existing.style === 'literal' && !/['\r\n]/.test(v) ? `'${v}'` : JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : /[.e]/i.test(String(v)) ? String(v) : `${v}.0`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => valueText(x)).join(', ')}]`;
  const pairs = Object.entries(v).map(([k, x]) => `${keyText(k)} = ${valueText(x)}`);
  return pairs.length === 0 ? '{}' : `{ ${pairs.join(', ')} }`;
}

/** The value a node holds, for comparing: a date-time compares by its text. */
function valueOf(node: AST.TOMLContentNode): unknown {
  if (node.type === 'TOMLValue' && node.kind !== 'string' && node.kind !== 'integer' && node.kind !== 'float' && node.kind !== 'boolean') return node.datetime;
  return parser().getStaticTOMLValue(node);
}

function dateTimeText(v: DataValue, node: AST.TOMLContentNode): string | undefined {
  const isDateTime = node.type === 'TOMLValue' && !['string', 'integer', 'float', 'boolean'].includes(node.kind);
  if (!isDateTime) return undefined;
  if (typeof v === 'string' && /^(\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}:\d{2}(\.\d+)?)$/.test(v)) return v;
  return undefined;
}

// ------------------------------------------------------------------ text positions

const lineStart = (text: string, offset: number) => text.lastIndexOf('\n', offset - 1) + 1;
function lineEndAfter(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

/** A line added after the line where `after` ends (a file without a final newline gets one first). */
function lineAfter(doc: TomlDoc, after: number, line: string): Splice {
  const at = lineEndAfter(doc.text, after);
  const needsEol = at === doc.text.length && doc.text.length > 0 && !doc.text.endsWith('\n');
  return { start: at, end: at, text: `${needsEol ? doc.eol : ''}${line}${doc.eol}` };
}

const indentOf = (text: string, offset: number) => /^[ \t]*/.exec(text.slice(lineStart(text, offset), offset))![0];

// ------------------------------------------------------------------ locating

/** The content node at `path`, walking into inline tables and arrays below a pair. */
function nodeAt(doc: TomlDoc, path: KeySegment[]): AST.TOMLContentNode | undefined {
  for (const e of doc.entries) {
    if (samePath(e.path, path)) return e.kv.value;
    if (startsWith(path, e.path)) return below(e.kv.value, path.slice(e.path.length));
  }
  return undefined;
}

function below(node: AST.TOMLContentNode, rest: KeySegment[]): AST.TOMLContentNode | undefined {
  let at: AST.TOMLContentNode | undefined = node;
  for (let i = 0; i < rest.length && at; i++) {
    const segment = rest[i];
    if (at.type === 'TOMLArray' && typeof segment === 'number') at = at.elements[segment];
    else if (at.type === 'TOMLInlineTable' && typeof segment === 'string') {
      const kv: AST.TOMLKeyValue | undefined = at.body.find((p) => startsWith(rest.slice(i), p.key.keys.map(keyName)));
      if (!kv) return undefined;
      i += kv.key.keys.length - 1;
      at = kv.value;
    } else return undefined;
  }
  return at;
}

/** Where a pair for `path` goes in the file as it is, or undefined when no place fits. */
function newPairSplice(doc: TomlDoc, path: KeySegment[], value: DataValue): Splice | undefined {
  // Below an existing value: into its inline table, or appended to its array.
  for (const e of doc.entries) {
    if (!startsWith(path, e.path) || samePath(path, e.path)) continue;
    const rest = path.slice(e.path.length);
    const parent = below(e.kv.value, rest.slice(0, -1));
    const last = rest[rest.length - 1];
    if (parent?.type === 'TOMLInlineTable' && typeof last === 'string') return intoInlineTable(parent, last, value);
    if (parent?.type === 'TOMLArray' && last === parent.elements.length) return intoArray(doc, parent, value);
    return undefined;
  }
  // In the table whose key is the longest prefix of the path, as `key = value` (dotted when deeper).
  const table = [...doc.tables].sort((a, b) => b.path.length - a.path.length).find((t) => startsWith(path, t.path) && t.path.length < path.length);
  if (!table) return undefined;
  const rest = path.slice(table.path.length);
  if (rest.some((s) => typeof s === 'number')) return undefined;
  // A dotted key (`a.b = 1`) only beside dotted siblings; otherwise a [table] reads better.
  if (rest.length > 1 && !doc.entries.some((e) => e.kv.key.keys.length > 1 && startsWith(e.path, [...table.path, rest[0]]))) return undefined;
  const line = `${rest.map(keyText).join('.')} = ${valueText(value)}`;
  const pairs = table.node.type === 'TOMLTable' ? table.node.body : table.node.body.filter((x): x is AST.TOMLKeyValue => x.type === 'TOMLKeyValue');
  const lastPair = pairs[pairs.length - 1];
  if (lastPair) return lineAfter(doc, lastPair.range[1], indentOf(doc.text, lastPair.range[0]) + line);
  if (table.node.type === 'TOMLTable') return lineAfter(doc, table.node.key.range[1], indentOf(doc.text, table.node.range[0]) + pairIndentStep(doc) + line);
  // The top level without pairs: before the first table (and the comments just above it).
  const first = doc.tables[1]?.node;
  if (!first) return lineAfter(doc, doc.text.length, line);
  let at = lineStart(doc.text, first.range[0]);
  while (at > 0 && /^[ \t]*#/.test(doc.text.slice(lineStart(doc.text, at - 1), at))) at = lineStart(doc.text, at - 1);
  return { start: at, end: at, text: `${line}${doc.eol}${at === 0 ? doc.eol : ''}` };
}

/** How much deeper than their header the file indents a table's pairs (containerd's config: two spaces). */
function pairIndentStep(doc: TomlDoc): string {
  for (const t of doc.tables) {
    if (t.node.type !== 'TOMLTable' || t.node.body.length === 0) continue;
    const header = indentOf(doc.text, t.node.range[0]);
    const pair = indentOf(doc.text, t.node.body[0].range[0]);
    return pair.startsWith(header) ? pair.slice(header.length) : '';
  }
  return '';
}

function intoInlineTable(table: AST.TOMLInlineTable, key: string, value: DataValue): Splice {
  const last = table.body[table.body.length - 1];
  const pair = `${keyText(key)} = ${valueText(value)}`;
  if (!last) return { start: table.range[0] + 1, end: table.range[1] - 1, text: ` ${pair} ` };
  return { start: last.range[1], end: last.range[1], text: `, ${pair}` };
}

function intoArray(doc: TomlDoc, array: AST.TOMLArray, value: DataValue): Splice {
  const last = array.elements[array.elements.length - 1];
  if (!last) return { start: array.range[0] + 1, end: array.range[1] - 1, text: valueText(value) };
  const multiline = doc.text.slice(array.range[0], array.range[1]).includes('\n');
  if (!multiline) return { start: last.range[1], end: last.range[1], text: `, ${valueText(value)}` };
  // One item a line: after the last item (and its comma, when the array uses trailing commas).
  const comma = /^[ \t]*,/.exec(doc.text.slice(last.range[1]));
  const at = comma ? last.range[1] + comma[0].length : last.range[1];
  return { start: at, end: at, text: `${comma ? '' : ','}${doc.eol}${indentOf(doc.text, last.range[0])}${valueText(value)}${comma ? ',' : ''}` };
}

/** A table appended at the end of the file: `[a.b]` and `key = value`; `[[a]]` for an item of an array of tables. */
function newTableSplice(doc: TomlDoc, path: KeySegment[], value: DataValue): Splice | undefined {
  const last = path[path.length - 1];
  const header = (p: KeySegment[]) => p.map(keyText).join('.');
  const lines =
    typeof last === 'number'
      ? isDataMap(value)
        ? [`[[${header(path.slice(0, -1))}]]`, ...Object.entries(value).map(([k, v]) => `${keyText(k)} = ${valueText(v)}`)]
        : undefined
      : path.slice(0, -1).some((s) => typeof s === 'number')
        ? undefined
        : [`[${header(path.slice(0, -1))}]`, `${keyText(last)} = ${valueText(value)}`];
  if (!lines) return undefined;
  const blank = doc.text.trim() === '' || /\n[ \t]*\r?\n$/.test(doc.text) ? '' : doc.eol;
  return lineAfter(doc, doc.text.length, `${blank}${lines.join(doc.eol)}`);
}

// ------------------------------------------------------------------ edits

function applySplice(text: string, s: Splice): string {
  return text.slice(0, s.start) + s.text + text.slice(s.end);
}

/** What a path holds after an edit: the file must still parse, and hold exactly that (or nothing). */
function holds(text: string, path: KeySegment[]): { ok: boolean; value?: unknown } {
  try {
    const value = path.reduce<any>((v, s) => (v === undefined || v === null ? undefined : v[s]), parser().getStaticTOMLValue(parser().parseTOML(text)));
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}

/** The candidates for setting `path`, most fitting first: in place, beside its siblings, a new table. */
function setCandidates(doc: TomlDoc, path: KeySegment[], value: DataValue): Splice[] {
  for (let i = 1; i < path.length; i++) {
    const above = nodeAt(doc, path.slice(0, i));
    if (above?.type === 'TOMLValue') throw new ResourceError(`${formatKeyPath(path.slice(0, i))} is a ${above.kind}, not a table, so ${formatKeyPath(path)} cannot be set`, `fix key, or set ${formatKeyPath(path.slice(0, i))} itself to a map`, 'key');
  }
  const node = nodeAt(doc, path);
  if (node) return [{ start: node.range[0], end: node.range[1], text: dateTimeText(value, node) ?? valueText(value, node) }];
  const table = doc.tables.find((t) => samePath(t.path, path));
  if (table) throw new ResourceError(`${formatKeyPath(path)} is a table ([${formatKeyPath(path)}])`, 'set its keys one by one (key: table.key), or merge a map into it with merge: true', 'key');
  return [newPairSplice(doc, path, value), newTableSplice(doc, path, value)].filter((s): s is Splice => s !== undefined);
}

function setKey(text: string, path: KeySegment[], value: DataValue): string {
  const doc = parseToml(text);
  const node = nodeAt(doc, path);
  if (node && sameValue(valueOf(node), value)) return text;
  for (const splice of setCandidates(doc, path, value)) {
    const out = applySplice(text, splice);
    const after = holds(out, path);
    if (after.ok && (sameValue(after.value, value) || (node && dateTimeText(value, node) !== undefined))) return out;
  }
  throw new ResourceError(`${formatKeyPath(path)} cannot be set in this file without changing what other keys mean (it is below a value that is not a table, or its table is defined by dotted keys elsewhere)`, 'set the parent table or value itself, or edit the file by hand once', 'key');
}

/** The bytes that hold `path`: a pair (its line when alone on it), an array item or inline pair with its comma, or a whole table. */
function removeSplices(doc: TomlDoc, path: KeySegment[]): Splice[] {
  const entry = doc.entries.find((e) => samePath(e.path, path));
  if (entry) return [pairLines(doc, entry.kv)];
  const tables = doc.tables.filter((t) => t.path.length > 0 && startsWith(t.path, path));
  if (tables.length > 0) return tables.map((t) => ({ start: lineStart(doc.text, t.node.range[0]), end: lineEndAfter(doc.text, t.node.range[1]), text: '' }));
  const dotted = doc.entries.filter((e) => startsWith(e.path, path));
  if (dotted.length > 0) return dotted.map((e) => pairLines(doc, e.kv));
  const node = nodeAt(doc, path);
  if (!node) return [];
  const parent = node.parent;
  const items: { range: [number, number] }[] = parent.type === 'TOMLArray' ? parent.elements : parent.type === 'TOMLKeyValue' && parent.parent.type === 'TOMLInlineTable' ? parent.parent.body : [];
  const item = parent.type === 'TOMLArray' ? node : parent;
  const index = items.indexOf(item as { range: [number, number] });
  if (index < 0) return [];
  if (index > 0) return [{ start: items[index - 1].range[1], end: item.range[1], text: '' }];
  return [{ start: item.range[0], end: items[1] ? items[1].range[0] : item.range[1], text: '' }];
}

function pairLines(doc: TomlDoc, kv: AST.TOMLKeyValue): Splice {
  const start = lineStart(doc.text, kv.range[0]);
  if (kv.parent.type === 'TOMLInlineTable') {
    const siblings = kv.parent.body;
    const index = siblings.indexOf(kv);
    return index > 0 ? { start: siblings[index - 1].range[1], end: kv.range[1], text: '' } : { start: kv.range[0], end: siblings[1] ? siblings[1].range[0] : kv.range[1], text: '' };
  }
  return { start, end: lineEndAfter(doc.text, kv.range[1]), text: '' };
}

export function editToml(text: string, spec: TomlSpec): TextEdit {
  const path = parseKeyPath(spec.key);
  const name = formatKeyPath(path);
  const doc = parseToml(text);
  if (spec.ensure === 'absent') {
    const splices = removeSplices(doc, path).sort((a, b) => b.start - a.start);
    if (splices.length === 0) return { text, reason: `${name} is already absent` };
    return { text: splices.reduce(applySplice, text), reason: `remove ${name}` };
  }
  const current = parser().getStaticTOMLValue(parser().parseTOML(text)) as Record<string, unknown>;
  const existing = path.reduce<any>((v, s) => (v === undefined || v === null ? undefined : v[s]), current);
  return presentEdit(text, spec, path, existing === undefined ? undefined : { value: existing }, setKey);
}

export const tomlKind = textKind<TomlSpec>({
  kind: 'toml',
  summary: 'One key of a TOML file (containerd, Cargo, pyproject), comments and layout kept',
  schema: {
    properties: { ...dataKindProperties, ...createProperty },
    required: ['key'],
  },
  check: checkDataSpec,
  edit: editToml,
});
