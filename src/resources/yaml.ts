import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, stringify, type Document, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { ResourceError } from '../engine/diagnostics';
import { checkDataSpec, dataKindProperties, formatKeyPath, isMap as isDataMap, nestedValue, parseKeyPath, presentEdit, sameValue, type DataSpec, type DataValue, type KeySegment } from './key-path';
import { createProperty, textKind, type TextEdit } from './text-kind';

export interface YamlSpec extends DataSpec {
  /** Which document of a multi-document file (`---`), from 0. */
  document?: number;
}

type Collection = YAMLMap | YAMLSeq;

interface YamlStyle {
  eol: string;
  /** Spaces per nesting level. */
  step: number;
}

interface Splice {
  start: number;
  end: number;
  text: string;
}

/** The file's text with helpers for offsets: lines, columns, the end of a node's own bytes. */
class Source {
  constructor(readonly text: string) {}

  lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** The offset after the line holding `offset` (after its newline), or the end of the text. */
  lineEndAfter(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    return nl === -1 ? this.text.length : nl + 1;
  }

  /** Where the line holding `offset` ends, before its terminator. */
  lineEnd(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    if (nl === -1) return this.text.length;
    return nl > offset && this.text[nl - 1] === '\r' ? nl - 1 : nl;
  }

  column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  /** True when nothing but spaces comes before `offset` on its line. */
  startsLine(offset: number): boolean {
    return /^[ \t]*$/.test(this.text.slice(this.lineStart(offset), offset));
  }

  /** Just after the `:` that follows a block map's key. */
  colonAfter(key: Node): number {
    const colon = /[ \t]*:/y;
    colon.lastIndex = key.range![1];
    const m = colon.exec(this.text);
    if (!m) throw new ResourceError('a map key without a plain ":" after it (a complex "? key")', 'edit this key by hand or with a file resource');
    return key.range![1] + m[0].length;
  }
}

/** Where a node's own bytes end: a block collection's range runs on over the newline and comments after it. */
function contentEnd(node: Node | null | undefined, fallback: number): number {
  if (!node) return fallback;
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    const last = node.items[node.items.length - 1] as Pair | Node | undefined;
    if (!last) return node.range![0];
    if (isMap(node)) {
      const pair = last as Pair<Node, Node | null>;
      return contentEnd(pair.value, pair.key.range![1]);
    }
    return contentEnd(last as Node, node.range![0]);
  }
  return node.range![1];
}

function styleOf(text: string): YamlStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let least = Infinity;
  for (const m of text.matchAll(/^( +)[^\s#-]/gm)) least = Math.min(least, m[1].length);
  return { eol, step: least === Infinity ? 2 : least };
}

const renderOptions = (style: YamlStyle) => ({ version: '1.1' as const, lineWidth: 0, indent: style.step });
const isCollectionValue = (v: DataValue) => (Array.isArray(v) && v.length > 0) || (isDataMap(v) && Object.keys(v).length > 0);

/**
 * A scalar (or an empty list or map) as YAML 1.1 readers (PyYAML, Go's yaml.v2) read it:
 * `yes`, `on`, `0777` and `1:20` are quoted, so a string stays a string. The existing quote
 * style is kept; a multi-line string is written double-quoted, on one line.
 */
function scalarText(v: DataValue, existing?: Node | null): string {
  const quoted = quotedLike(v, existing);
  if (quoted) return quoted;
  const text = Array.isArray(v) ? '[]' : isDataMap(v) ? '{}' : stringify(v, { version: '1.1', lineWidth: 0 }).trimEnd();
  return text.includes('\n') ? JSON.stringify(v) : text;
}

/** A string in the quote style of `existing`, when that is a quoted scalar. */
function quotedLike(v: DataValue, existing?: Node | null): string | undefined {
  if (typeof v !== 'string' || !isScalar(existing) || v.includes('\n')) return undefined;
  if (existing.type === 'QUOTE_DOUBLE') return JSON.stringify(v);
  if (existing.type === 'QUOTE_SINGLE') return `'${v.replace(/'/g, "''")}'`;
  return undefined;
}

/** A scalar inside `[...]` or `{...}`, where `,` `[` `{` and friends need quotes: the library's own flow rules, read off a one-item list. */
function flowScalarText(v: DataValue, existing?: Node | null): string {
  return quotedLike(v, existing) ?? stringify([v], { version: '1.1', lineWidth: 0, collectionStyle: 'flow' }).trim().slice(1, -1).trim();
}

/** A list or map laid out in block style, every line indented by `indent`. */
function blockText(v: DataValue, indent: string, style: YamlStyle): string {
  return stringify(v, renderOptions(style))
    .trimEnd()
    .split('\n')
    .map((line) => indent + line)
    .join(style.eol);
}

function flowText(v: DataValue, style: YamlStyle, existing?: Node | null): string {
  return isCollectionValue(v) ? stringify(v, { ...renderOptions(style), collectionStyle: 'flow' }).trimEnd() : flowScalarText(v, existing);
}

function keyText(key: string): string {
  return scalarText(key);
}

/** `key: value` or `key:` + the block on the next lines, for a map whose keys start at `indent`; a string quoted like `sibling`. */
function pairText(key: string, v: DataValue, indent: string, style: YamlStyle, sibling?: Node | null): string {
  return isCollectionValue(v) ? `${keyText(key)}:${style.eol}${blockText(v, indent + ' '.repeat(style.step), style)}` : `${keyText(key)}: ${scalarText(v, sibling)}`;
}

/** `- value`, a map or list continuing on lines indented under the item. */
function itemText(v: DataValue, dashIndent: string, style: YamlStyle, sibling?: Node | null): string {
  if (!isCollectionValue(v)) return `- ${scalarText(v, sibling)}`;
  const inner = dashIndent + '  ';
  return `- ${blockText(v, inner, style).slice(inner.length)}`;
}

/** Text to add at the end of the file: after a newline, which a file without a final one gets first. */
function atEnd(src: Source, line: string, style: YamlStyle): Splice {
  const end = src.text.length;
  const needsEol = end > 0 && !src.text.endsWith('\n');
  return { start: end, end, text: `${needsEol ? style.eol : ''}${line}${style.eol}` };
}

/** The splice that adds a line after the line where `after` ends. */
function lineAfter(src: Source, after: number, line: string, style: YamlStyle): Splice {
  const at = src.lineEndAfter(after);
  if (at === src.text.length) return atEnd(src, line, style);
  return { start: at, end: at, text: line + style.eol };
}

function addPair(src: Source, map: YAMLMap, key: string, v: DataValue, style: YamlStyle): Splice {
  const items = map.items as Pair<Node, Node | null>[];
  if (map.flow) {
    const last = items[items.length - 1];
    if (!last) return { start: map.range![0] + 1, end: map.range![0] + 1, text: `${flowScalarText(key)}: ${flowText(v, style)}` };
    const end = contentEnd(last.value, last.key.range![1]);
    return { start: end, end, text: `, ${flowScalarText(key)}: ${flowText(v, style, last.value)}` };
  }
  const indent = ' '.repeat(src.column(items[0].key.range![0]));
  const last = items[items.length - 1];
  return lineAfter(src, contentEnd(last.value, last.key.range![1]), indent + pairText(key, v, indent, style, last.value), style);
}

function addItem(src: Source, seq: YAMLSeq, v: DataValue, style: YamlStyle): Splice {
  const items = seq.items as Node[];
  const last = items[items.length - 1];
  if (seq.flow) {
    if (!last) return { start: seq.range![0] + 1, end: seq.range![0] + 1, text: flowText(v, style) };
    return { start: contentEnd(last, 0), end: contentEnd(last, 0), text: `, ${flowText(v, style, last)}` };
  }
  const dashIndent = ' '.repeat(src.column(seq.range![0]));
  return lineAfter(src, contentEnd(last, seq.range![0]), dashIndent + itemText(v, dashIndent, style, last), style);
}

/** The splice that puts `v` where `node` is, as the value of a pair (`key`), an item (`dash` column) or the document. */
function replaceValue(src: Source, node: Node, v: DataValue, place: Place, style: YamlStyle): Splice {
  const end = contentEnd(node, node.range![0]);
  if (place.container?.flow) return { start: node.range![0], end, text: flowText(v, style, node) };
  const wasBlock = (isMap(node) || isSeq(node)) && !node.flow;
  const isEmpty = isScalar(node) && node.range![0] === node.range![1];
  if (place.key) {
    if (!wasBlock && !isEmpty && !isCollectionValue(v)) return { start: node.range![0], end, text: scalarText(v, node) };
    const colon = src.colonAfter(place.key);
    const indent = ' '.repeat(src.column(place.key.range![0]) + style.step);
    return { start: colon, end, text: isCollectionValue(v) ? `${style.eol}${blockText(v, indent, style)}` : ` ${scalarText(v, node)}` };
  }
  if (!isCollectionValue(v)) return { start: node.range![0], end, text: scalarText(v, node) };
  const indent = ' '.repeat(src.column(node.range![0]));
  return { start: node.range![0], end, text: blockText(v, indent, style).slice(indent.length) };
}

/** Where a node sits: in which collection, and under which key for a map's value. */
interface Place {
  container?: Collection;
  key?: Node;
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String((pair.key as Scalar).value) : undefined;
}

function findPair(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  return (map.items as Pair<Node, Node | null>[]).find((p) => keyOf(p) === key);
}

const kindName = (node: Node | null | undefined) => (isMap(node) ? 'a map' : isSeq(node) ? 'a list' : isAlias(node) ? `an alias (*${node.source})` : 'a scalar');

/** The splice that makes `path` hold `value` in the document, or none when it does. */
function setSplice(src: Source, doc: Document, path: KeySegment[], value: DataValue, style: YamlStyle): Splice | undefined {
  let node = doc.contents as Node | null;
  let place: Place = {};
  if (!node || (isScalar(node) && node.value === null && node.range![0] === node.range![1])) return atEnd(src, blockText(nestedValue(path, value), '', style), style);
  for (const [i, segment] of path.entries()) {
    const below = () => nestedValue(path.slice(i + 1), value);
    const where = () => (i === 0 ? 'the document' : formatKeyPath(path.slice(0, i)));
    if (isMap(node) && typeof segment === 'string') {
      const pair = findPair(node, segment);
      if (!pair) return addPair(src, node, segment, below(), style);
      place = { container: node, key: pair.key };
      if (!pair.value) return { start: src.colonAfter(pair.key), end: src.colonAfter(pair.key), text: isCollectionValue(below()) ? `${style.eol}${blockText(below(), ' '.repeat(src.column(pair.key.range![0]) + style.step), style)}` : ` ${scalarText(below())}` };
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const items = node.items as Node[];
      if (segment === items.length) return addItem(src, node, below(), style);
      if (segment > items.length) throw new ResourceError(`${formatKeyPath(path.slice(0, i + 1))} is past the end of a list of ${items.length}`, `use [${items.length}] to append, or give the whole list as the value of ${where()}`, 'key');
      place = { container: node };
      node = items[segment];
    } else {
      const what = typeof segment === 'number' ? 'a list' : 'a map';
      throw new ResourceError(`${where()} is ${kindName(node)}, not ${what}, so ${formatKeyPath(path)} cannot be set`, isAlias(node) ? 'edit the anchor the alias points to' : `fix key, or set ${where()} itself to a map or list`, 'key');
    }
  }
  if (isAlias(node)) throw new ResourceError(`${formatKeyPath(path)} is an alias (*${node.source}); setting it would cut it from its anchor`, 'edit the anchored value, or replace the alias by hand', 'key');
  if (sameValue(node!.toJS(doc), value)) return undefined;
  return replaceValue(src, node!, value, place, style);
}

/** The splice that removes `path` (its lines when it has lines of its own), or none when it is absent. */
function removeSplice(src: Source, doc: Document, path: KeySegment[]): Splice | undefined {
  const found = locate(doc, path);
  if (!found) return undefined;
  const { container, index } = found;
  const items = container.items as (Pair<Node, Node | null> | Node)[];
  const item = items[index];
  const start = isMap(container) ? (item as Pair<Node, Node | null>).key.range![0] : (item as Node).range![0];
  const end = isMap(container) ? contentEnd((item as Pair<Node, Node | null>).value, (item as Pair<Node, Node | null>).key.range![1]) : contentEnd(item as Node, start);
  if (container.flow) {
    if (index > 0) {
      const previous = items[index - 1];
      const previousEnd = isMap(container) ? contentEnd((previous as Pair<Node, Node | null>).value, (previous as Pair<Node>).key.range![1]) : contentEnd(previous as Node, 0);
      return { start: previousEnd, end, text: '' };
    }
    const next = items[index + 1];
    return { start, end: next ? (isMap(container) ? (next as Pair<Node>).key.range![0] : (next as Node).range![0]) : end, text: '' };
  }
  const lineStart = src.lineStart(start);
  // A seq item's own line starts with its dash; a map's first key may share the line of the dash above it.
  const ownLines = isSeq(container) ? /^[ \t]*-[ \t]*$/.test(src.text.slice(lineStart, start)) : src.startsLine(start);
  if (ownLines) return { start: lineStart, end: src.lineEndAfter(end), text: '' };
  if (index + 1 === items.length && index === 0) return { start, end, text: '{}' };
  // `- first: 1` loses its first key: the dash stays, alone on its line, and the rest of the map (with its comments) follows on the next lines.
  const dashEnd = src.text.lastIndexOf('-', start) + 1;
  return { start: dashEnd, end: src.lineEnd(end), text: '' };
}

function locate(doc: Document, path: KeySegment[]): { container: Collection; index: number } | undefined {
  let node = doc.contents as Node | null;
  for (const [i, segment] of path.entries()) {
    let container: Collection;
    let index: number;
    if (isMap(node) && typeof segment === 'string') {
      container = node;
      index = (node.items as Pair[]).findIndex((p) => keyOf(p) === segment);
    } else if (isSeq(node) && typeof segment === 'number') {
      container = node;
      index = segment < node.items.length ? segment : -1;
    } else return undefined;
    if (index < 0) return undefined;
    if (i === path.length - 1) return { container, index };
    const item = container.items[index] as Pair<Node, Node | null> | Node;
    node = isMap(container) ? (item as Pair<Node, Node | null>).value : (item as Node);
  }
  return undefined;
}

function documentOf(text: string, spec: YamlSpec): Document {
  const docs = parseAllDocuments(text);
  for (const d of docs) {
    const e = d.errors[0];
    if (e) throw new ResourceError(`the file is not valid YAML: line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0]}`, 'fix the file first (remedy edits only files that parse)');
  }
  if (docs.length > 1 && spec.document === undefined) throw new ResourceError(`the file holds ${docs.length} documents (---)`, `say which with document: N (0 to ${docs.length - 1})`, 'document');
  const index = spec.document ?? 0;
  if (docs.length === 0 && index === 0) return parseAllDocuments('{}')[0] as Document;
  if (index >= docs.length) throw new ResourceError(`document ${index} does not exist: the file holds ${docs.length}`, `use document: 0 to ${Math.max(docs.length - 1, 0)}`, 'document');
  return docs[index] as Document;
}

function applySplice(text: string, s: Splice | undefined): string {
  return s ? text.slice(0, s.start) + s.text + text.slice(s.end) : text;
}

function setKey(text: string, spec: YamlSpec, path: KeySegment[], value: DataValue): string {
  if (text.trim() === '' || parseAllDocuments(text).length === 0) return applySplice(text, atEnd(new Source(text), blockText(nestedValue(path, value), '', styleOf(text)), styleOf(text)));
  return applySplice(text, setSplice(new Source(text), documentOf(text, spec), path, value, styleOf(text)));
}

export function editYaml(text: string, spec: YamlSpec): TextEdit {
  const path = parseKeyPath(spec.key);
  const name = formatKeyPath(path);
  const doc = documentOf(text, spec);
  if (spec.ensure === 'absent') {
    const out = applySplice(text, removeSplice(new Source(text), doc, path));
    return { text: out, reason: out === text ? `${name} is already absent` : `remove ${name}` };
  }
  const found = locate(doc, path);
  const current = found && (isMap(found.container) ? (found.container.items[found.index] as Pair<Node, Node | null>).value : (found.container.items[found.index] as Node));
  return presentEdit(text, spec, path, found && { value: current?.toJS(doc) ?? null }, (t, p, v) => setKey(t, spec, p, v));
}

export const yamlKind = textKind<YamlSpec>({
  kind: 'yaml',
  summary: 'One key of a YAML file (Prometheus, Grafana, compose files), comments and layout kept',
  schema: {
    properties: {
      ...dataKindProperties,
      document: { type: 'integer', minimum: 0, description: 'Which document of a multi-document file (---), from 0. Required when the file has several.' },
      ...createProperty,
    },
    required: ['key'],
  },
  check: checkDataSpec,
  edit: editYaml,
});
