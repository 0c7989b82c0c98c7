import type { Node, ParseError } from 'jsonc-parser';
import { ResourceError } from '../engine/diagnostics';
import { checkDataSpec, dataKindProperties, formatKeyPath, isMap, lineColumnAt, nestedValue, parseKeyPath, presentEdit, sameValue, type DataSpec, type DataValue, type KeySegment } from './key-path';
import { createProperty, textKind, type TextEdit } from './text-kind';

export type JsonSpec = DataSpec;

// Loaded on first use: only manifests with json resources pay for the parser.
const jsonc = () => require('jsonc-parser') as typeof import('jsonc-parser');

/** How the file writes JSON, so new bytes look like the old ones. */
interface JsonStyle {
  eol: string;
  /** One level of indentation: a tab or N spaces. */
  step: string;
}

/** A text splice: [start, end) becomes `text`. */
interface Splice {
  start: number;
  end: number;
  text: string;
}

function styleOf(text: string): JsonStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const firstIndent = /^([ \t]+)\S/m.exec(text)?.[1];
  if (firstIndent?.startsWith('\t')) return { eol, step: '\t' };
  let least = Infinity;
  for (const m of text.matchAll(/^( +)\S/gm)) least = Math.min(least, m[1].length);
  return { eol, step: least === Infinity ? '  ' : ' '.repeat(least) };
}

function parseJson(text: string): Node | undefined {
  const errors: ParseError[] = [];
  const tree = jsonc().parseTree(text, errors, { allowTrailingComma: true, allowEmptyContent: true });
  if (errors.length > 0) {
    const e = errors[0];
    throw new ResourceError(`the file is not valid JSON: ${lineColumnAt(text, e.offset)}: ${jsonc().printParseErrorCode(e.error)}`, 'fix the file first (remedy edits only files that parse); comments and trailing commas (JSONC) are accepted');
  }
  return tree;
}

/** `{"a": 1}` with the spacing people write on one line. */
function inline(v: DataValue): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (isMap(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}

/** The value laid out over lines, its inner lines indented from `base`. */
function block(v: DataValue, base: string, style: JsonStyle): string {
  if ((Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0)) return inline(v);
  return JSON.stringify(v, null, style.step).split('\n').join(style.eol + base);
}

const isOneLine = (text: string, node: Node) => !/[\r\n]/.test(text.slice(node.offset, node.offset + node.length));

/** The whitespace that starts the line holding `offset`. */
function indentAt(text: string, offset: number): string {
  const lineStart = Math.max(text.lastIndexOf('\n', offset - 1) + 1, 0);
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

/** Where a value would be written: laid out like its neighbours, one-line inside a one-line container. */
function render(text: string, v: DataValue, container: Node | undefined, at: number, style: JsonStyle): string {
  return container && isOneLine(text, container) ? inline(v) : block(v, indentAt(text, at), style);
}

/** The splices that add `value` (under `key` in a map) as the container's last child. */
function appendChild(text: string, container: Node, key: string | undefined, value: DataValue, style: JsonStyle): Splice[] {
  const entry = (base: string | undefined) => `${key === undefined ? '' : `${JSON.stringify(key)}: `}${base === undefined ? inline(value) : block(value, base, style)}`;
  const children = container.children ?? [];
  const closing = container.offset + container.length - 1;
  if (children.length === 0) {
    if (container.parent && isOneLine(text, container.parent)) return [{ start: closing, end: closing, text: entry(undefined) }];
    const base = indentAt(text, container.offset);
    const inner = base + style.step;
    const interiorBlank = /^\s*$/.test(text.slice(container.offset + 1, closing));
    return [{ start: container.offset + 1, end: interiorBlank ? closing : container.offset + 1, text: `${style.eol}${inner}${entry(inner)}${interiorBlank ? style.eol + base : ''}` }];
  }
  const last = children[children.length - 1];
  const lastEnd = last.offset + last.length;
  const trailingComma = /^[ \t]*,/.exec(text.slice(lastEnd));
  const afterLast = trailingComma ? lastEnd + trailingComma[0].length : lastEnd;
  if (isOneLine(text, container)) return [{ start: afterLast, end: afterLast, text: trailingComma ? ` ${entry(undefined)},` : `, ${entry(undefined)}` }];
  const base = indentAt(text, last.offset);
  // After a comment that ends the last child's line, so the comment stays with its child.
  const rest = /^[ \t]*(\/\/[^\r\n]*|\/\*[^\r\n]*?\*\/)?[ \t]*(?=\r?\n)/.exec(text.slice(afterLast));
  const at = rest ? afterLast + rest[0].length : afterLast;
  const added = `${style.eol}${base}${entry(base)}${trailingComma ? ',' : ''}`;
  if (trailingComma || at === lastEnd) return [{ start: at, end: at, text: (trailingComma ? '' : ',') + added }];
  return [{ start: lastEnd, end: lastEnd, text: ',' }, { start: at, end: at, text: added }];
}

/** Optional comma, then an optional comment, to the end of the line. */
const LINE_REST = /^[ \t]*,?[ \t]*(\/\/[^\r\n]*|\/\*[^\r\n]*?\*\/)?[ \t]*(\r?\n|$)/;

/**
 * The splices that remove a map property or list item. A child on lines of its own goes
 * with those lines (and its comment); when it was the last, the comma before it goes too.
 * Anything else is jsonc-parser's removal, which takes the child and its comma.
 */
function removeSplices(text: string, child: Node, path: KeySegment[]): Splice[] {
  const container = child.parent!;
  const siblings = container.children!;
  const lineStart = text.lastIndexOf('\n', child.offset - 1) + 1;
  const end = child.offset + child.length;
  const rest = LINE_REST.exec(text.slice(end));
  if (!/^[ \t]*$/.test(text.slice(lineStart, child.offset)) || !rest) return applyEditsAsSplices(jsonc().modify(text, path, undefined, {}));
  const splices: Splice[] = [{ start: lineStart, end: end + rest[0].length, text: '' }];
  const index = siblings.indexOf(child);
  const previous = siblings[index - 1];
  if (index === siblings.length - 1 && previous && !rest[0].trimStart().startsWith(',')) {
    const previousEnd = previous.offset + previous.length;
    const comma = /^[ \t]*,/.exec(text.slice(previousEnd));
    if (comma) splices.push({ start: previousEnd + comma[0].length - 1, end: previousEnd + comma[0].length, text: '' });
  }
  return splices;
}

function applyEditsAsSplices(edits: { offset: number; length: number; content: string }[]): Splice[] {
  return edits.map((e) => ({ start: e.offset, end: e.offset + e.length, text: e.content }));
}

function applySplices(text: string, splices: Splice[]): string {
  return [...splices].sort((a, b) => b.start - a.start).reduce((t, s) => t.slice(0, s.start) + s.text + t.slice(s.end), text);
}

/** The last property named `key` (the one JSON readers keep). */
function propertyOf(object: Node, key: string): Node | undefined {
  return object.children?.filter((p) => p.children?.[0]?.value === key).pop();
}

const kindName = (node: Node) => (node.type === 'object' ? 'a map' : node.type === 'array' ? 'a list' : `a ${node.type}`);

/** The splices that make `path` hold `value`; none when it already does. */
function setSplices(text: string, tree: Node, path: KeySegment[], value: DataValue, style: JsonStyle): Splice[] {
  let node = tree;
  for (const [i, segment] of path.entries()) {
    const below = () => nestedValue(path.slice(i + 1), value);
    if (node.type === 'object' && typeof segment === 'string') {
      const property = propertyOf(node, segment);
      if (!property) return appendChild(text, node, segment, below(), style);
      node = property.children![1];
    } else if (node.type === 'array' && typeof segment === 'number') {
      const items = node.children ?? [];
      if (segment === items.length) return appendChild(text, node, undefined, below(), style);
      if (segment > items.length) throw new ResourceError(`${formatKeyPath(path.slice(0, i + 1))} is past the end of a list of ${items.length}`, `use [${items.length}] to append, or give the whole list as the value of ${formatKeyPath(path.slice(0, i))}`, 'key');
      node = items[segment];
    } else {
      const what = typeof segment === 'number' ? 'a list' : 'a map';
      throw new ResourceError(`${i === 0 ? 'the document' : formatKeyPath(path.slice(0, i))} is ${kindName(node)}, not ${what}, so ${formatKeyPath(path)} cannot be set`, `fix key, or set ${i === 0 ? 'the document' : formatKeyPath(path.slice(0, i))} itself to a map or list`, 'key');
    }
  }
  if (sameValue(jsonc().getNodeValue(node), value)) return [];
  return [{ start: node.offset, end: node.offset + node.length, text: render(text, value, containerOf(node), node.offset, style) }];
}

/** The map or list a value sits in (a map's values sit in a property node). */
function containerOf(node: Node): Node | undefined {
  return node.parent?.type === 'property' ? node.parent.parent : node.parent;
}

function nodeAt(tree: Node | undefined, path: KeySegment[]): Node | undefined {
  let node = tree;
  for (const segment of path) {
    if (node?.type === 'object' && typeof segment === 'string') node = propertyOf(node, segment)?.children?.[1];
    else if (node?.type === 'array' && typeof segment === 'number') node = node.children?.[segment];
    else return undefined;
  }
  return node;
}

function setKey(text: string, path: KeySegment[], value: DataValue): string {
  const style = styleOf(text);
  const tree = parseJson(text);
  if (!tree) return block(nestedValue(path, value), '', style) + style.eol;
  return applySplices(text, setSplices(text, tree, path, value, style));
}

export function editJson(text: string, spec: JsonSpec): TextEdit {
  const path = parseKeyPath(spec.key);
  const tree = parseJson(text);
  const name = formatKeyPath(path);
  if (spec.ensure === 'absent') {
    const node = nodeAt(tree, path);
    if (!node) return { text, reason: `${name} is already absent` };
    return { text: applySplices(text, removeSplices(text, node.parent?.type === 'property' ? node.parent : node, path)), reason: `remove ${name}` };
  }
  const current = nodeAt(tree, path);
  return presentEdit(text, spec, path, current && { value: jsonc().getNodeValue(current) }, setKey);
}

export const jsonKind = textKind<JsonSpec>({
  kind: 'json',
  summary: 'One key of a JSON or JSONC file (daemon.json, composer.json, package.json), every other byte kept',
  schema: {
    properties: { ...dataKindProperties, ...createProperty },
    required: ['key'],
  },
  check: checkDataSpec,
  edit: editJson,
});
