import type { RE2JS } from 're2js';
import { ResourceError } from '../engine/diagnostics';
import type { Line } from '../engine/lines';

/**
 * A regex from a manifest, run by RE2 (re2js): matching takes time linear in the text
 * whatever the pattern, so no pattern (`^(a+)+$`) can hang a plan or hold the run lock.
 * RE2 has no lookahead and no backreference inside a pattern; those are refused at plan.
 */
export class Regex {
  private prefix: string | undefined;

  constructor(
    readonly source: string,
    private readonly re: RE2JS,
  ) {}

  /**
   * The literal text at the start of every line this regex matches, tested line by line
   * (`^memory_limit\s*=` -> `memory_limit`); '' when there is none (no `^`, an alternation,
   * a class, case folding first). A fold looks only at the lines that start with it.
   */
  linePrefix(): string {
    return (this.prefix ??= anchoredLiteral(this.re));
  }

  test(text: string): boolean {
    return this.re.test(text);
  }

  /** The first match that starts at `from` or later. */
  exec(text: string, from = 0): RegexMatch | undefined {
    const m = this.re.matcher(text);
    if (!m.find(from)) return undefined;
    const numbered = Array.from({ length: m.groupCount() + 1 }, (_, i) => m.group(i) ?? undefined);
    const names = Object.keys(this.re.namedGroups());
    const named = names.length > 0 ? Object.fromEntries(names.map((n) => [n, m.group(n) ?? undefined])) : undefined;
    return { index: m.start(), text: m.group() ?? '', groups: { numbered, named } };
  }
}

/** re2js's compiled program, as far as anchoredLiteral reads it. */
interface Program {
  start: number;
  numLb: number;
  inst: { op: number; out: number; arg: number; runes: ArrayLike<number> }[];
}

// re2js's instruction codes and flags (Inst, Utils, RE2Flags); a self-check below turns the prefix off if they ever differ.
const OP = { CAPTURE: 3, EMPTY_WIDTH: 4, NOP: 7, RUNE1: 9 };
const EMPTY_BEGIN_LINE = 1;
const EMPTY_BEGIN_TEXT = 4;
const FOLD_CASE = 1;

/** Follows the program from its start: a start-of-text (or line) anchor, then single literal runes. */
function anchoredLiteral(re: RE2JS): string {
  const prog = (re as unknown as { re2Input?: { prog?: Program } }).re2Input?.prog;
  if (!prog || prog.numLb > 0 || !programReadable()) return '';
  const skip = (pc: number) => {
    let inst = prog.inst[pc];
    while (inst.op === OP.NOP || inst.op === OP.CAPTURE) inst = prog.inst[inst.out];
    return inst;
  };
  let inst = skip(prog.start);
  if (inst.op !== OP.EMPTY_WIDTH || inst.arg === 0 || (inst.arg & ~(EMPTY_BEGIN_LINE | EMPTY_BEGIN_TEXT)) !== 0) return '';
  let prefix = '';
  for (inst = skip(inst.out); inst.op === OP.RUNE1 && inst.runes.length === 1 && (inst.arg & FOLD_CASE) === 0; inst = skip(inst.out)) prefix += String.fromCodePoint(inst.runes[0]);
  return prefix;
}

let readable: boolean | undefined;
/** Whether the program reads as expected on known patterns (a newer re2js may lay it out otherwise). */
function programReadable(): boolean {
  if (readable === undefined) {
    readable = true;
    const { RE2JS } = loadRe2();
    readable = anchoredLiteral(RE2JS.compile('^(ab)c\\d')) === 'abc' && anchoredLiteral(RE2JS.compile('^a|b')) === '' && anchoredLiteral(RE2JS.compile('(?i)^ab')) === '';
  }
  return readable;
}

export interface RegexMatch {
  index: number;
  text: string;
  groups: MatchGroups;
}

/**
 * Regexes as sysadmins write them for Ansible and sed (Python syntax: `(?P<name>...)`,
 * leading `(?i)`, `\A`, `\Z`); `^`/`$` anchor at line boundaries when `multiline` is set.
 */
export function compileRegex(source: string, field: string, opts: { multiline?: boolean } = {}): Regex {
  // A plan compiles a resource's regex at its check, at its edit and at each idempotence proof: once is enough.
  const key = `${opts.multiline ? 'm' : '-'}${field}\0${source}`;
  let regex = compiled.get(key);
  if (!regex) compiled.set(key, (regex = compileUncached(source, field, opts)));
  return regex;
}

/** Compiled regexes by field and source: a Regex is an immutable value (its matcher is made per call). */
const compiled = new Map<string, Regex>();

function compileUncached(source: string, field: string, opts: { multiline?: boolean }): Regex {
  const { body, inline } = leadingFlags(source, field);
  refuseBacktrackingSyntax(body, field);
  const { RE2JS } = loadRe2();
  const flags = [...inline].reduce((f, c) => f | INLINE_FLAGS[c](RE2JS), (opts.multiline ? RE2JS.MULTILINE : 0) | RE2JS.LOOKBEHINDS);
  try {
    return new Regex(source, RE2JS.compile(pythonEndAnchor(body), flags));
  } catch (err) {
    throw new ResourceError(
      // Without the fragment RE2 quotes: the pattern of a sensitive resource may hold the secret.
      `${field} is not a valid regular expression: ${(err as Error).message.replace(/^error parsing regexp: /, '').replace(/: `[\s\S]*`$/, '')}`,
      `fix the pattern in '${field}'; escape literal characters such as ( [ . * + ? with a backslash`,
      field,
    );
  }
}

type Re2Module = typeof import('re2js');
/** Loaded on first use: a run whose manifest has no regex does not pay for it. */
let re2: Re2Module | undefined;
function loadRe2(): Re2Module {
  return (re2 ??= require('re2js') as Re2Module);
}

const INLINE_FLAGS: Record<string, (r: Re2Module['RE2JS']) => number> = { i: (r) => r.CASE_INSENSITIVE, s: (r) => r.DOTALL, m: (r) => r.MULTILINE };

/** Python's leading inline flags (`(?i)`, `(?s)`, `(?m)`, combined as `(?is)`). */
function leadingFlags(source: string, field: string): { body: string; inline: string } {
  const m = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (!m) return { body: source, inline: '' };
  const unsupported = [...m[1]].filter((f) => !'ism'.includes(f));
  if (unsupported.length > 0) throw new ResourceError(`${field} uses the inline flag(s) '${unsupported.join('')}', which remedy's regexes do not support`, 'only (?i), (?s) and (?m) are supported, at the start of the pattern', field);
  return { body: source.slice(m[0].length), inline: m[1] };
}

/**
 * Lookahead and backreferences need a backtracking engine, whose time can explode with
 * the text (ReDoS); RE2 refuses them with a terse message, so say what to write instead.
 */
function refuseBacktrackingSyntax(body: string, field: string): void {
  const unescaped = body.replace(/\\[\s\S]/g, (t) => (/^\\[1-9k]$/.test(t) ? t : '__'));
  if (/\(\?[=!]/.test(unescaped)) {
    throw new ResourceError(`${field} uses a lookahead ((?=...) or (?!...)), which remedy's linear-time regexes (RE2) do not support`, "capture the text that must stay and put it back in the replacement (pattern '^(server_tokens on;)', replacement '# \\1'), or match the wrong values themselves", field);
  }
  if (/\\[1-9]|\(\?P=|\\k</.test(unescaped)) {
    throw new ResourceError(`${field} uses a backreference (\\1, (?P=name)), which remedy's linear-time regexes (RE2) do not support`, 'match the repeated text explicitly, or list the values it may take (a|b|c)', field);
  }
}

/** Python's `\Z` (the very end of the text) is RE2's `\z`; `\A` is the same in both. */
function pythonEndAnchor(source: string): string {
  return source.replace(/\\\\|\\Z/g, (t) => (t === '\\Z' ? '\\z' : t));
}

/** A match as the replacement needs it: the groups by number and by name. */
export interface MatchGroups {
  numbered: (string | undefined)[];
  named?: Record<string, string | undefined>;
}

/**
 * Compiles a sed/Python-style replacement: `\1`..`\99`, `\g<1>`, `\g<name>`, `\\`, `\n`,
 * `\r`, `\t`. A `$` is literal (unlike JavaScript's own replacement strings).
 */
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\' };

export function compileReplacement(template: string, field: string): (m: MatchGroups) => string {
  const parts: Array<string | ((m: MatchGroups) => string)> = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '\\' || i === template.length - 1) {
      literal += c;
      continue;
    }
    const next = template[i + 1];
    const named = /^g<([^>]+)>/.exec(template.slice(i + 1));
    const digits = /^\d{1,2}/.exec(template.slice(i + 1));
    if (named) {
      flush();
      parts.push(groupRef(named[1], field));
      i += named[0].length;
    } else if (digits) {
      flush();
      parts.push(groupRef(digits[0], field));
      i += digits[0].length;
    } else {
      literal += ESCAPES[next] ?? '\\' + next;
      i += 1;
    }
  }
  flush();
  return (m) => parts.map((p) => (typeof p === 'string' ? p : p(m))).join('');
}

function groupRef(ref: string, field: string): (m: MatchGroups) => string {
  if (/^\d+$/.test(ref)) {
    const n = Number(ref);
    return (m) => {
      if (n >= m.numbered.length) throw new ResourceError(`${field} refers to group \\${n}, but the pattern has only ${m.numbered.length - 1} group(s)`);
      return m.numbered[n] ?? '';
    };
  }
  if (!/^[A-Za-z_]\w*$/.test(ref)) throw new ResourceError(`${field} has a bad group reference \\g<${ref}>`, 'use \\g<name> or \\g<number>');
  return (m) => {
    if (!m.named || !(ref in m.named)) throw new ResourceError(`${field} refers to group '${ref}', which the pattern does not define`);
    return m.named[ref] ?? '';
  };
}

/** `BOF`, `EOF` or a regex: where to put something when nothing matches. */
export type Anchor = { kind: 'BOF' } | { kind: 'EOF' } | { kind: 'regex'; re: Regex };

export function parseAnchor(value: string | undefined, field: string): Anchor | undefined {
  if (value === undefined) return undefined;
  if (value === 'BOF') return { kind: 'BOF' };
  if (value === 'EOF') return { kind: 'EOF' };
  return { kind: 'regex', re: compileRegex(value, field) };
}

/**
 * Where new lines go: after the last line matching an `after` anchor, before the first line
 * matching a `before` one; EOF by default or when the anchor matches nothing. `where` says so.
 */
export function insertPosition(lines: Line[], anchor: Anchor, field: 'after' | 'before' | undefined): { at: number; where: string } {
  const end = { at: lines.length, where: `at the end of the file (line ${lines.length + 1})` };
  if (anchor.kind === 'BOF') return { at: 0, where: 'at the beginning of the file' };
  if (anchor.kind === 'EOF') return end;
  const hits = lines.flatMap((l, i) => (anchor.re.test(l.text) ? [i] : []));
  if (hits.length === 0) return { at: end.at, where: `${end.where}: ${field} '${anchor.re.source}' matches no line` };
  if (field === 'after') {
    const last = hits[hits.length - 1];
    return { at: last + 1, where: `after line ${last + 1}` };
  }
  return { at: hits[0], where: `before line ${hits[0] + 1}` };
}

/** "1 line", "3 lines": for reasons. */
export function countLines(n: number): string {
  return `${n} line${n === 1 ? '' : 's'}`;
}
