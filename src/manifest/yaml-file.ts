import * as fs from 'node:fs';
import { LineCounter, parseDocument, isMap, isNode, type Document, type YAMLError } from 'yaml';
import type { Diagnostic, SourcePos } from '../engine/diagnostics';

export type JsonPath = (string | number)[];

/** One parsed manifest file that can say where any value in it came from. */
export interface YamlFile {
  file: string;
  data: unknown;
  pos(at: JsonPath): SourcePos;
  /** Where the key of the value at `at` is written (an unknown field is its key). */
  keyPos(at: JsonPath): SourcePos;
}

export function readYamlFile(file: string, diagnostics: Diagnostic[]): YamlFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    diagnostics.push({ severity: 'error', summary: `cannot read manifest ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, hint: 'check the path and its permissions', source: { file, line: 1, column: 1 } });
    return undefined;
  }
  return parseYaml(file, text, diagnostics);
}

export function parseYaml(file: string, text: string, diagnostics: Diagnostic[]): YamlFile | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  for (const e of doc.errors) diagnostics.push(syntaxDiagnostic(e, at(e.pos[0])));
  if (doc.errors.length > 0) return undefined;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
    if (containsItself(data)) throw new Error('an alias is used inside its own anchor (&x [*x]), so the value would contain itself');
  } catch (err) {
    diagnostics.push({ severity: 'error', summary: `YAML error: ${firstLine((err as Error).message)}`, hint: 'simplify the anchors and aliases', source: at(0) });
    return undefined;
  }
  return { file, data, pos: (path) => at(nodeOffset(doc, path)), keyPos: (path) => at(keyOffset(doc, path) ?? nodeOffset(doc, path)) };
}

function syntaxDiagnostic(e: YAMLError, source: SourcePos): Diagnostic {
  if (e.code === 'MULTIPLE_DOCS') {
    return { severity: 'error', summary: 'the manifest holds more than one YAML document (a second `---`); remedy reads one', hint: 'remove the `---` line, or move the second document to its own file and list it under include:', source };
  }
  return { severity: 'error', summary: `YAML syntax error: ${firstLine(e.message)}`, hint: 'fix the YAML syntax at this position (indentation, quotes, colons)', source };
}

/** A cycle (`&x [*x]`) would send every later walk of the data (vars, schema) into endless recursion. */
function containsItself(value: unknown, ancestors = new Set<object>()): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const found = Object.values(value).some((v) => containsItself(v, ancestors));
  ancestors.delete(value);
  return found;
}

/** Offset of the deepest node that exists along `path`. */
function nodeOffset(doc: Document, path: JsonPath): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

function keyOffset(doc: Document, path: JsonPath): number | undefined {
  const parent = path.length === 0 ? undefined : path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === path[path.length - 1]);
  return pair && isNode(pair.key) ? pair.key.range?.[0] : undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
