import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Environment } from 'nunjucks';
import { isInside } from '../engine/root';

/**
 * `when:` expressions and `template:` files in Jinja's language, by nunjucks (loaded on
 * first use): no HTML autoescape, an undefined value in output is an error, templates
 * load only from the manifest's folder, and no name reaches JavaScript's object
 * internals (`constructor`, `__proto__`), which nunjucks would otherwise let a
 * template climb to `process`.
 */

/** What expressions and templates see: the manifest's vars, `facts`, `host` and `item`. */
export type TemplateScope = Record<string, unknown>;

/** A template or expression problem, with where in the template it is when known. */
export class JinjaError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const FORBIDDEN = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__']);
/** `x is defined` and friends must not fail on the name they test. */
const EXISTENCE_TESTS = new Set(['defined', 'undefined', 'none']);

const nunjucks = () => require('nunjucks') as typeof import('nunjucks');

interface AstNode {
  typename: string;
  value?: unknown;
  fields?: string[];
  children?: AstNode[];
  [field: string]: unknown;
}

/** The template's tree; a syntax error names `file:line:column` (nunjucks counts lines from 1 here, columns from 0). */
function parse(source: string, file?: string): AstNode {
  try {
    return (nunjucks() as unknown as { parser: { parse(src: string): AstNode } }).parser.parse(source);
  } catch (e) {
    const { lineno, colno } = e as { lineno?: number; colno?: number };
    const where = file && lineno !== undefined ? `${file}:${lineno}:${(colno ?? 0) + 1}: ` : '';
    throw new JinjaError(`${where}syntax error: ${cleanMessage(e)}`, file ? 'fix the template at that line (Jinja syntax)' : "check the expression's quotes and operators (Jinja syntax: and, or, not, in, ==)");
  }
}

/** Every node of the tree, depth first; `visit` returns false to leave a node's own children out. */
function walk(node: unknown, visit: (n: AstNode) => boolean): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  if (!node || typeof node !== 'object' || typeof (node as AstNode).typename !== 'string') return;
  const n = node as AstNode;
  if (!visit(n)) return;
  for (const field of n.fields ?? []) walk(n[field], visit);
}

/** `facts.os.id` as ['facts', 'os', 'id'] when the lookup is by plain names; undefined for computed lookups. */
function chainOf(node: AstNode): string[] | undefined {
  if (node.typename === 'Symbol') return [String(node.value)];
  if (node.typename === 'LookupVal') {
    const target = chainOf(node.target as AstNode);
    const key = node.val as AstNode;
    if (target && key.typename === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) return [...target, String(key.value)];
  }
  return undefined;
}

function refuseInternals(tree: AstNode): void {
  walk(tree, (n) => {
    if ((n.typename === 'Literal' || n.typename === 'Symbol') && typeof n.value === 'string' && FORBIDDEN.has(n.value)) {
      throw new JinjaError(`'${n.value}' is not allowed: it reaches JavaScript internals, not data`, 'name only vars, facts, host and item');
    }
    return true;
  });
}

/** The first name the expression uses that the scope does not have, with what it does have there. */
function unknownName(tree: AstNode, scope: TemplateScope): { name: string; known: string[] } | undefined {
  let found: { name: string; known: string[] } | undefined;
  walk(tree, (n) => {
    if (found) return false;
    if (n.typename === 'Is' && EXISTENCE_TESTS.has(String((n.right as AstNode)?.value))) return false;
    if (n.typename === 'Filter' || n.typename === 'FunCall') {
      walk(n.args, (a) => (found ? false : (found = check(a, scope)) === undefined));
      return false;
    }
    if (n.typename !== 'Symbol' && n.typename !== 'LookupVal') return true;
    found = check(n, scope);
    return false;
  });
  return found;
}

function check(n: AstNode, scope: TemplateScope): { name: string; known: string[] } | undefined {
  if (n.typename !== 'Symbol' && n.typename !== 'LookupVal') return undefined;
  const chain = chainOf(n);
  if (!chain) return unknownName(n.target as AstNode, scope) ?? unknownName(n.val as AstNode, scope);
  let at: unknown = scope;
  for (const [i, key] of chain.entries()) {
    const known = at !== null && typeof at === 'object' ? Object.keys(at as object) : [];
    if (!(at !== null && typeof at === 'object' && Object.prototype.hasOwnProperty.call(at, key))) return { name: chain.slice(0, i + 1).join('.'), known };
    at = (at as Record<string, unknown>)[key];
  }
  return undefined;
}

/** Names a template binds itself (`set`, `for`, macro arguments, imports) and nunjucks' own (`loop`, `caller`). */
function boundNames(tree: AstNode): Set<string> {
  const bound = new Set(['loop', 'caller', 'super']);
  const symbols = (node: unknown) => walk(node, (n) => (n.typename === 'Symbol' && bound.add(String(n.value)), true));
  walk(tree, (n) => {
    if (n.typename === 'Set') symbols(n.targets);
    if (n.typename === 'For' || n.typename === 'AsyncEach' || n.typename === 'AsyncAll') symbols(n.name);
    if (n.typename === 'Macro' || n.typename === 'Caller') symbols(n.args);
    if (n.typename === 'Import') symbols(n.target);
    if (n.typename === 'FromImport') symbols(n.names);
    return true;
  });
  return bound;
}

/** The first name a template prints that is neither bound by it nor in the scope, as `file:line:col`. */
function unprintable(tree: AstNode, scope: TemplateScope, file: string): JinjaError | undefined {
  const bound = boundNames(tree);
  let problem: JinjaError | undefined;
  walk(tree, (n) => {
    if (problem) return false;
    if (n.typename !== 'Output') return true;
    for (const child of (n.children ?? []) as AstNode[]) {
      const root = chainOf(child)?.[0];
      if (root === undefined || bound.has(root)) continue;
      const unknown = check(child, scope);
      if (unknown) {
        problem = new JinjaError(`${file}:${Number(child.lineno) + 1}:${Number(child.colno) + 1}: '${unknown.name}' is not defined`, `known here: ${unknown.known.slice(0, 20).join(', ') || 'nothing'}; define it under vars:, or test it with {% if ${unknown.name} is defined %}`);
        break;
      }
    }
    return false;
  });
  return problem;
}

function environment(loader?: { getSource(name: string): { src: string; path: string; noCache: boolean } }): Environment {
  const n = nunjucks();
  return new n.Environment(loader as never, { autoescape: false, throwOnUndefined: true });
}

/**
 * The truth of a `when:` expression. A name the scope does not have is an error, never
 * false (Ansible's undefined-variable surprise); `x is defined` may test one.
 */
export function evaluateWhen(expression: string, scope: TemplateScope): boolean {
  const tree = parse(`{{ ${expression} }}`);
  refuseInternals(tree);
  const unknown = unknownName(tree, scope);
  if (unknown) {
    const known = unknown.known.length > 0 ? `known here: ${unknown.known.slice(0, 20).join(', ')}` : 'it has no keys';
    throw new JinjaError(`'${unknown.name}' is not defined`, `${known}; test an optional name with \`${unknown.name} is defined\``);
  }
  try {
    return environment().renderString(`{% if ${expression} %}true{% endif %}`, scope) === 'true';
  } catch (e) {
    throw new JinjaError(cleanMessage(e), "check the expression (Jinja syntax: and, or, not, in, ==)");
  }
}

/** A template rendered, and the files it read (itself and what it includes or extends), for a saved plan's stale check. */
export interface Rendered {
  text: string;
  files: string[];
}

/**
 * Renders `file` (relative to `folder`, the manifest's) with the scope; `include` and
 * `extends` load only from inside `folder`, links resolved. Rendered twice: output that
 * differs with the same inputs (a random value) would never converge.
 */
export function renderTemplate(file: string, folder: string, scope: TemplateScope): Rendered {
  const files: string[] = [];
  const realFolder = fs.realpathSync(folder);
  // nunjucks wraps what a loader throws: the loader's own error, with its hint, is rethrown as it was.
  let refused: JinjaError | undefined;
  const refuse = (e: JinjaError) => {
    refused = e;
    throw e;
  };
  const loader = {
    getSource(name: string) {
      const full = path.resolve(folder, name);
      const shown = path.relative(folder, full);
      // Outside by its name is refused before the file is looked for: the error never says what exists out there.
      const outside = () => refuse(new JinjaError(`${name} is outside the manifest's folder ${folder}`, "keep templates in the manifest's folder or below it (templates/); include them by that path"));
      if (!isInside(path.resolve(folder), full)) outside();
      let real = '';
      try {
        real = fs.realpathSync(full);
      } catch {
        refuse(new JinjaError(`${name} does not exist (looked for ${full})`, "give templates and their includes relative to the manifest's folder"));
      }
      if (!isInside(realFolder, real)) outside();
      const src = fs.readFileSync(real, 'utf8');
      let tree: AstNode | undefined;
      try {
        tree = parse(src, shown);
        refuseInternals(tree);
      } catch (e) {
        refuse(e as JinjaError);
      }
      const problem = unprintable(tree!, scope, shown);
      if (problem) refuse(problem);
      if (!files.includes(full)) files.push(full);
      return { src, path: shown, noCache: true };
    },
  };
  const env = environment(loader);
  const render = () => {
    try {
      return env.render(file, scope);
    } catch (e) {
      if (refused) throw refused;
      throw new JinjaError(cleanMessage(e), 'fix the template at that line; every name it prints must be a var, a fact, host or item');
    }
  };
  const text = render();
  if (render() !== text) throw new JinjaError(`${file} renders differently each time with the same inputs (a random value or a clock?)`, 'a run would never converge: make the template depend only on vars, facts, host and item');
  return { text, files };
}

/** nunjucks' messages: "(file) [Line 3, Column 5]\n  Error: ..." -> "file:3:5: ..." on one line. */
function cleanMessage(e: unknown): string {
  const message = (e instanceof Error ? e.message : String(e)).replace(/^Template render error:\s*/, '');
  const m = /^\(([^)]*)\)\s*(?:\[Line (\d+), Column (\d+)\])?\s*(?:Error:\s*)?([\s\S]*)$/.exec(message);
  const file = m && m[1] !== 'unknown path' ? m[1] : undefined;
  const where = m ? [file, m[2], m[3]].filter(Boolean).join(':') : '';
  return `${where ? `${where}: ` : ''}${m ? m[4] : message}`.replace(/\s*\n\s*/g, ' ').replace(/^Error:\s*/, '').trim();
}
