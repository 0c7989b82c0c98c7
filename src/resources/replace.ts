import { ResourceError } from '../engine/diagnostics';
import { compileRegex, compileReplacement, type MatchGroups, type Regex, type RegexMatch } from './regex';
import { LineDoc } from './line-doc';
import { createProperty, textKind, type TextEdit } from './text-kind';

export interface ReplaceSpec {
  pattern: string;
  replacement?: string;
  after?: string;
  before?: string;
  create?: boolean;
}

/** The compiled spec: pattern is global and multiline (`^`/`$` at every line), like Ansible's re.MULTILINE. */
interface Substitution {
  pattern: Regex;
  expand: (m: MatchGroups) => string;
}

function substitutionOf(spec: ReplaceSpec): Substitution {
  return {
    pattern: compileRegex(spec.pattern, 'pattern', { multiline: true }),
    expand: compileReplacement(spec.replacement ?? '', 'replacement'),
  };
}

/** The slice of the file the pattern may touch: [start, end) offsets. */
interface Region {
  start: number;
  end: number;
}

function checkReplaceSpec(spec: ReplaceSpec): void {
  const sub = substitutionOf(spec);
  regexOf(spec.after, 'after');
  regexOf(spec.before, 'before');
  const replacement = spec.replacement ?? '';
  // A replacement without group references is known now: if the pattern rewrites it, every run would.
  if (!/\\(\d|g<)/.test(replacement) && substitute(replacement, sub).text !== replacement) throw neverConverges(replacement);
}

function regexOf(source: string | undefined, field: 'after' | 'before'): Regex | undefined {
  return source === undefined ? undefined : compileRegex(source, field, { multiline: true });
}

function neverConverges(example: string): ResourceError {
  return new ResourceError(
    `pattern still matches its own replacement ('${example}'), so replacing again would change the file again: it would never converge`,
    "make pattern match only the text to fix, not the fixed result: anchor it (^...$, \\b), or capture what must stay and put it back (pattern '^(server_tokens on;)', replacement '# \\1')",
    'pattern',
  );
}

/** Every match in `text` replaced; offsets are where each match started. */
function substitute(text: string, sub: Substitution): { text: string; offsets: number[] } {
  const view = new LineEndView(text);
  return replaceIn(view, { start: 0, end: view.norm.length }, sub);
}

/** Replaces the matches found in the region of the view's text, copying every other byte from the file itself. */
function replaceIn(view: LineEndView, region: Region, sub: Substitution): { text: string; offsets: number[] } {
  const inside = view.norm.slice(region.start, region.end);
  let out = '';
  let copied = 0;
  const offsets: number[] = [];
  for (let m = sub.pattern.exec(inside); m !== undefined; m = nextAfter(sub.pattern, inside, m)) {
    const start = view.original(region.start + m.index);
    out += view.text.slice(copied, start) + sub.expand(m.groups);
    copied = view.original(region.start + m.index + m.text.length);
    offsets.push(start);
  }
  return { text: out + view.text.slice(copied), offsets };
}

/**
 * A file as the regexes see it: CRLF line ends as "\n", since RE2's `$` (like Python's)
 * ends a line only before "\n", and Windows-edited files are common; `original` maps an
 * offset back, so every byte outside a match is copied from the file as it is.
 */
class LineEndView {
  readonly norm: string;
  /** Offsets in `norm` of each "\n" that had a "\r" before it in the file. */
  private readonly crs: number[] = [];

  constructor(readonly text: string) {
    let norm = '';
    let from = 0;
    for (let i = text.indexOf('\r\n'); i !== -1; i = text.indexOf('\r\n', i + 2)) {
      norm += text.slice(from, i);
      this.crs.push(norm.length);
      from = i + 1;
    }
    this.norm = from === 0 ? text : norm + text.slice(from);
  }

  original(offset: number): number {
    let lo = 0;
    let hi = this.crs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.crs[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return offset + lo;
  }
}

/** The next match that does not overlap `m`; after an empty match, one character on (it would be found again there forever). */
function nextAfter(re: Regex, text: string, m: RegexMatch): RegexMatch | undefined {
  const from = m.index + Math.max(m.text.length, 1);
  return from > text.length ? undefined : re.exec(text, from);
}

/** Every offset where `re` matches, overlapping ones included (Python's search tries each start). */
function matchStarts(text: string, re: Regex): RegexMatch[] {
  const found: RegexMatch[] = [];
  for (let m = re.exec(text); m !== undefined; m = m.index + 1 > text.length ? undefined : re.exec(text, m.index + 1)) found.push(m);
  return found;
}

/**
 * Ansible's region, from its `after(?P<subsection>.*?)before` search: after alone, from
 * the end of its first match to the end of the file; before alone, from the start of
 * the file to its last match (Ansible's greedy `.*`); both, from the first after match
 * that a before match follows, to the first such before match.
 */
function regionOf(text: string, spec: ReplaceSpec): Region | undefined {
  const after = regexOf(spec.after, 'after');
  const before = regexOf(spec.before, 'before');
  if (!after && !before) return { start: 0, end: text.length };
  if (!before) {
    const first = matchStarts(text, after!)[0];
    return first && { start: first.index + first.text.length, end: text.length };
  }
  if (!after) {
    const last = matchStarts(text, before).pop();
    return last && { start: 0, end: last.index };
  }
  for (const a of matchStarts(text, after)) {
    const start = a.index + a.text.length;
    const b = before.exec(text, start);
    if (b) return { start, end: b.index };
  }
  return undefined;
}

/** One pass of the edit: the region, the replaced text and where the matches were. */
function replaceOnce(text: string, spec: ReplaceSpec): { text: string; region?: Region; offsets: number[] } {
  const view = new LineEndView(text);
  const region = regionOf(view.norm, spec);
  if (!region) return { text, offsets: [] };
  return { ...replaceIn(view, region, substitutionOf(spec)), region };
}

/** 1-based line number of each offset (offsets ascending). */
function lineNumbersAt(text: string, offsets: number[]): number[] {
  const breaks = /\r\n|\n|\r/g;
  let line = 1;
  let next = breaks.exec(text);
  return offsets.map((offset) => {
    while (next !== null && next.index + next[0].length <= offset) {
      line++;
      next = breaks.exec(text);
    }
    return line;
  });
}

function matchesAt(text: string, offsets: number[]): string {
  return matchesOn(offsets.length, lineNumbersAt(text, offsets));
}

/** `3 matches (lines 4, 9)`: how many matches, on which lines (ascending). */
function matchesOn(count: number, lineNumbers: number[]): string {
  const lines = [...new Set(lineNumbers)];
  const shown = lines.length > 10 ? `${lines.slice(0, 10).join(', ')}, ...` : lines.join(', ');
  return `${count} match${count === 1 ? '' : 'es'} (line${lines.length === 1 ? '' : 's'} ${shown})`;
}

/** Pure: every match of pattern (in the region) replaced, and why. */
export function editReplace(text: string, spec: ReplaceSpec): TextEdit {
  const once = replaceOnce(text, spec);
  if (!once.region) return { text, reason: `${regionLabel(spec)} matches nothing in the file; nothing replaced` };
  if (once.offsets.length === 0) return { text, reason: `pattern matches nothing${spec.after !== undefined || spec.before !== undefined ? ` ${regionLabel(spec)}` : ''}` };
  if (once.text === text) return { text, reason: `${matchesAt(text, once.offsets)} already equal their replacement` };
  const again = replaceOnce(once.text, spec);
  if (again.text !== once.text) throw neverConverges(firstChangedLine(once.text, again.text));
  return { text: once.text, reason: `replaced ${matchesAt(text, once.offsets)}` };
}

function regionLabel(spec: ReplaceSpec): string {
  const parts = [spec.after !== undefined ? `after '${spec.after}'` : '', spec.before !== undefined ? `before '${spec.before}'` : ''];
  return parts.filter((p) => p !== '').join(' and ');
}

/** The line of `a` where `b` first differs, to show the user what would change again. */
function firstChangedLine(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const start = i === 0 ? 0 : a.lastIndexOf('\n', i - 1) + 1;
  const end = a.indexOf('\n', i);
  return a.slice(start, end === -1 ? a.length : end).replace(/\r$/, '');
}

/**
 * A pattern that may match a line break: `\s`, `\n`, `\W`, `\D`, a negated class, `(?s)`,
 * escapes by code... Conservative: such a pattern is run on the whole text.
 */
const MAY_CROSS_LINES = /\\[snrWDpPxuR0-9]|\[\^|\(\?[a-zA-Z]*s|\[:(space|cntrl):\]|[\r\n]/;

/** The file as lines, for many replace resources on one file; `loneCr`: a bare "\r" splits lines differently for the regex. */
interface ReplaceDoc {
  doc: LineDoc;
  loneCr: boolean;
}

/**
 * The fast path, exactly editReplace for a pattern that starts with a literal at a line
 * start (`^value1 = before$`), cannot match a line break and has no region: only the
 * lines that start with that literal are tried (LineDoc's prefix index), each on its own.
 * Anything else is editReplace on the whole text.
 */
function editReplaceDoc(state: ReplaceDoc, spec: ReplaceSpec): { doc: ReplaceDoc; reason: string; changed: boolean } {
  const sub = substitutionOf(spec);
  const lineLocal = spec.after === undefined && spec.before === undefined && !state.loneCr && sub.pattern.linePrefix() !== '' && !MAY_CROSS_LINES.test(spec.pattern);
  const whole = () => {
    const text = state.doc.text();
    const out = editReplace(text, spec);
    return { doc: out.text === text ? state : parseReplaceDoc(out.text), reason: out.reason, changed: out.text !== text };
  };
  if (!lineLocal) return whole();
  const once = state.doc.matching(sub.pattern).map((line) => ({ line, ...replaceIn(new LineEndView(line.text), { start: 0, end: line.text.length }, sub) }));
  if (once.some((o) => /[\r\n]/.test(o.text))) return whole();
  if (once.length === 0) return { doc: state, reason: 'pattern matches nothing', changed: false };
  const matches = matchesOn(
    once.reduce((n, o) => n + o.offsets.length, 0),
    once.map((o) => o.line.at + 1),
  );
  const changed = once.filter((o) => o.text !== o.line.text);
  if (changed.length === 0) return { doc: state, reason: `${matches} already equal their replacement`, changed: false };
  for (const o of changed) {
    const again = replaceIn(new LineEndView(o.text), { start: 0, end: o.text.length }, sub).text;
    if (again !== o.text) throw neverConverges(o.text);
  }
  for (const o of changed) state.doc.replace(o.line, o.text);
  return { doc: state, reason: `replaced ${matches}`, changed: true };
}

function parseReplaceDoc(text: string): ReplaceDoc {
  return { doc: new LineDoc(text), loneCr: /\r(?!\n)/.test(text) };
}

export const replaceKind = textKind<ReplaceSpec>({
  kind: 'replace',
  summary: 'Replaces every match of a regex in a file, optionally only between after and before, like Ansible replace.',
  schema: {
    properties: {
      pattern: {
        type: 'string',
        minLength: 1,
        description: 'Regex (Python syntax accepted, e.g. (?P<name>...)); multiline: ^ and $ match at every line. Every match is replaced. It must not match its own replacement.',
      },
      replacement: {
        type: 'string',
        default: '',
        description: 'Text for each match: \\1..\\99 and \\g<name> insert groups, \\n a newline, $ is literal. Default "": matches are removed.',
      },
      after: {
        type: 'string',
        description: 'Regex (multiline): only text after its first match is changed (to the end of the file, or to the first match of before that follows).',
      },
      before: {
        type: 'string',
        description: 'Regex (multiline): only text before its match is changed: the first one after the after match, or without after the last one in the file (Ansible).',
      },
      ...createProperty,
    },
    required: ['pattern'],
  },
  check: checkReplaceSpec,
  edit: editReplace,
  parsed: { parse: parseReplaceDoc, edit: editReplaceDoc, text: (state: ReplaceDoc) => state.doc.text() },
});
