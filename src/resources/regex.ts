import { ResourceError } from '../engine/diagnostics';
import type { Line } from '../engine/lines';

/**
 * Regexes as sysadmins write them for Ansible and sed: Python's `(?P<name>...)` and
 * `(?P=name)` are accepted; `^`/`$` anchor at line boundaries when `multiline` is set.
 */
export function compileRegex(source: string, field: string, opts: { multiline?: boolean; global?: boolean } = {}): RegExp {
  const { body, inline } = leadingFlags(source, field);
  const js = pythonAnchors(body.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>'));
  const flags = [...new Set((opts.global ? 'g' : '') + (opts.multiline ? 'm' : '') + inline)].join('');
  try {
    return new RegExp(js, flags);
  } catch (err) {
    throw new ResourceError(
      `${field} is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
      `fix the pattern in '${field}'; escape literal characters such as ( [ . * + ? with a backslash`,
      field,
    );
  }
}

/** Python's leading inline flags (`(?i)`, `(?s)`, `(?m)`, combined as `(?is)`) become JavaScript flags. */
function leadingFlags(source: string, field: string): { body: string; inline: string } {
  const m = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (!m) return { body: source, inline: '' };
  const unsupported = [...m[1]].filter((f) => !'ism'.includes(f));
  if (unsupported.length > 0) throw new ResourceError(`${field} uses the inline flag(s) '${unsupported.join('')}', which remedy's regexes do not support`, 'only (?i), (?s) and (?m) are supported, at the start of the pattern', field);
  return { body: source.slice(m[0].length), inline: m[1] };
}

/** Python's `\A` and `\Z` (start and end of the whole text) in JavaScript, where they would match the letters A and Z. */
function pythonAnchors(source: string): string {
  return source.replace(/\\\\|\\A|\\Z/g, (t) => (t === '\\A' ? '(?<![\\s\\S])' : t === '\\Z' ? '(?![\\s\\S])' : t));
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

export function groupsOf(m: RegExpExecArray): MatchGroups {
  return { numbered: Array.from(m), named: m.groups };
}

/** `BOF`, `EOF` or a regex: where to put something when nothing matches. */
export type Anchor = { kind: 'BOF' } | { kind: 'EOF' } | { kind: 'regex'; re: RegExp };

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
