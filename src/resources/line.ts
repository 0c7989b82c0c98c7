import { ResourceError } from '../engine/diagnostics';
import { insertLines, joinLines, removeLines, replaceLineText, splitLines, type Line } from '../engine/lines';
import { compileRegex, compileReplacement, countLines, insertPosition, parseAnchor, type Anchor, type Regex } from './regex';
import { createProperty, textEdit, textKind, type EditOutcome, type TextEdit } from './text-kind';

export interface LineSpec {
  line?: string;
  match?: string;
  multiple?: boolean;
  after?: string;
  before?: string;
  ensure?: 'present' | 'absent';
  backrefs?: boolean;
  replace?: boolean;
  create?: boolean;
}

/** Validate-time checks: everything that can be known wrong without reading the file. */
function checkLineSpec(spec: LineSpec): void {
  if (spec.line !== undefined && /[\r\n]/.test(spec.line)) {
    // A multi-line `line` is never equal to any one line of the file: it would be added on every run.
    throw new ResourceError('line contains a line break; a line resource manages exactly one line', 'use a block resource for several lines', 'line');
  }
  const match = matchOf(spec);
  parseAnchor(spec.after, 'after');
  parseAnchor(spec.before, 'before');
  if (spec.after !== undefined && spec.before !== undefined) {
    throw new ResourceError('after and before are both set; a new line has only one place', 'keep one of them', 'before');
  }
  if (spec.ensure === 'absent') return checkAbsentSpec(spec);
  if (spec.line === undefined) throw new ResourceError('line is required with ensure: present', 'add line: (the exact text the line must have)');
  if (spec.backrefs) return checkBackrefsSpec(spec);
  if (match && !match.test(spec.line)) {
    throw new ResourceError(
      `line '${spec.line}' does not match its own match '${spec.match}': after the edit, the next run would not find the line by match (Puppet and Ansible then insert it again), so it would never converge`,
      `make match also match line, e.g. match only the part that stays the same${keyHint(spec.line)}`,
      'match',
    );
  }
}

/** `: '^memory_limit'` for `memory_limit = 256M`: the line's first word, as a regex. */
function keyHint(line: string): string {
  const key = /^\s*([^\s=:]+)/.exec(line)?.[1];
  return key ? `: '^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'` : '';
}

function checkAbsentSpec(spec: LineSpec): void {
  if (spec.line === undefined && spec.match === undefined) throw new ResourceError('ensure: absent needs line (remove the lines equal to it) or match (remove the lines it matches)', 'add line: or match:');
  if (spec.backrefs) throw new ResourceError('backrefs only applies to ensure: present', 'remove backrefs', 'backrefs');
}

function checkBackrefsSpec(spec: LineSpec): void {
  if (spec.match === undefined) throw new ResourceError('backrefs needs match: line is expanded with the groups of the matched line', 'add match: with the groups that line refers to', 'backrefs');
  if (spec.replace === false) throw new ResourceError('backrefs with replace: false would never change anything', 'remove one of them', 'replace');
  const unused = spec.after !== undefined ? 'after' : spec.before !== undefined ? 'before' : undefined;
  if (unused) throw new ResourceError(`${unused} is never used with backrefs: backrefs only rewrites matching lines, it never adds one`, `remove ${unused}`, unused);
}

/** Pure: the text with the line ensured present or absent, and why. */
export function editLine(text: string, spec: LineSpec): TextEdit {
  const lines = splitLines(text);
  const edit = spec.ensure === 'absent' ? removeLine : spec.backrefs ? expandBackrefs : ensureLine;
  return textEdit(text, edit(lines, spec));
}

function indexesWhere(lines: Line[], test: (text: string) => boolean): number[] {
  return lines.flatMap((l, i) => (test(l.text) ? [i] : []));
}

function matchingLines(lines: Line[], regex: Regex | undefined): number[] {
  return regex ? indexesWhere(lines, (t) => regex.test(t)) : [];
}

function matchOf(spec: LineSpec): Regex | undefined {
  return spec.match === undefined ? undefined : compileRegex(spec.match, 'match');
}

/** 1-based line numbers, as editors show them. */
function numbers(indexes: number[]): string {
  return indexes.map((i) => i + 1).join(', ');
}

function unchanged(reason: string): EditOutcome {
  return { reason };
}

function ensureLine(lines: Line[], spec: LineSpec): EditOutcome {
  const line = spec.line!;
  const matching = matchingLines(lines, matchOf(spec));
  if (matching.length === 0) {
    // check() made match match line, so with match the line cannot be present here; without match, never add a duplicate.
    const present = lines.findIndex((l) => l.text === line);
    if (present >= 0) return unchanged(alreadyPresent([present], spec));
    return insertLine(lines, spec);
  }
  if (spec.replace === false) return unchanged(`line ${numbers(matching.slice(0, 1))} matches '${spec.match}'; replace: false leaves it as it is`);
  if (matching.length > 1 && !spec.multiple) throw severalMatches(spec.match!, matching);
  const stale = matching.filter((i) => lines[i].text !== line);
  if (stale.length === 0) return unchanged(alreadyPresent(matching, spec));
  const out = stale.reduce((acc, i) => replaceLineText(acc, i, line), lines);
  return { text: joinLines(out), reason: replacedReason(lines, out, stale) };
}

function alreadyPresent(indexes: number[], spec: LineSpec): string {
  const anchor = spec.after !== undefined ? 'after' : spec.before !== undefined ? 'before' : undefined;
  // ansible#74991: say that the insert position was not used, rather than ignore it silently.
  return `line already present at line ${numbers(indexes)}${anchor ? `; ${anchor} not used` : ''}`;
}

function severalMatches(match: string, indexes: number[]): ResourceError {
  return new ResourceError(
    `match '${match}' matches ${indexes.length} lines (${numbers(indexes)}); set multiple: true to replace them all, or make match more specific`,
    match.startsWith('^') ? 'make match select only the line you mean' : `anchor match at the line start ('^${match}') so that indented or commented copies do not match`,
    'match',
  );
}

function replacedReason(before: Line[], after: Line[], indexes: number[]): string {
  if (indexes.length === 1) {
    const i = indexes[0];
    return `replaced line ${i + 1} '${before[i].text}' with '${after[i].text}'`;
  }
  const texts = new Set(indexes.map((i) => after[i].text));
  const withText = texts.size === 1 ? ` with '${[...texts][0]}'` : '';
  return `replaced ${countLines(indexes.length)} (${numbers(indexes)})${withText}`;
}

/** Adds the line where `after` / `before` place it (see insertPosition). */
function insertLine(lines: Line[], spec: LineSpec): EditOutcome {
  const anchor: Anchor = parseAnchor(spec.after, 'after') ?? parseAnchor(spec.before, 'before') ?? { kind: 'EOF' };
  const { at, where } = insertPosition(lines, anchor, spec.after !== undefined ? 'after' : 'before');
  return { text: joinLines(insertLines(lines, at, [spec.line!])), reason: `added ${where}` };
}

function removeLine(lines: Line[], spec: LineSpec): EditOutcome {
  const doomed = spec.match !== undefined ? matchingLines(lines, matchOf(spec)) : indexesWhere(lines, (t) => t === spec.line);
  if (doomed.length === 0) {
    return unchanged(spec.match !== undefined ? `no line matches '${spec.match}'; nothing to remove` : `line '${spec.line}' is not in the file; nothing to remove`);
  }
  return { text: joinLines(removeLines(lines, doomed)), reason: `removed ${countLines(doomed.length)} (${numbers(doomed)})` };
}

/**
 * Ansible's backrefs: the last matching line (every one with multiple) becomes `line`
 * expanded with that line's groups; nothing matching adds nothing. Refuses a spec whose
 * result would be rewritten again by the next run.
 */
function expandBackrefs(lines: Line[], spec: LineSpec): EditOutcome {
  const once = expandOnce(lines, spec);
  if (once.changed.length === 0) {
    return unchanged(once.targets.length === 0 ? `no line matches '${spec.match}'; backrefs adds nothing` : alreadyPresent(once.targets, spec));
  }
  const again = expandOnce(once.lines, spec);
  if (again.changed.length > 0) {
    const i = again.changed[0];
    throw new ResourceError(
      `backrefs would never converge: after this edit the next run would rewrite line ${i + 1} '${once.lines[i].text}' to '${again.lines[i].text}'`,
      'make match stop matching the expanded line (e.g. match the old value only), or make line expand to itself',
      'match',
    );
  }
  return { text: joinLines(once.lines), reason: replacedReason(lines, once.lines, once.changed) };
}

function expandOnce(lines: Line[], spec: LineSpec): { lines: Line[]; targets: number[]; changed: number[] } {
  const match = matchOf(spec)!;
  const expand = compileReplacement(spec.line!, 'line');
  const matching = matchingLines(lines, match);
  const targets = spec.multiple ? matching : matching.slice(-1);
  let out = lines;
  const changed: number[] = [];
  for (const i of targets) {
    const expanded = expand(match.exec(lines[i].text)!.groups);
    if (/[\r\n]/.test(expanded)) throw new ResourceError(`line expands to text with a line break on line ${i + 1}`, 'a line resource manages one line; use a block resource for several', 'line');
    if (expanded === lines[i].text) continue;
    out = replaceLineText(out, i, expanded);
    changed.push(i);
  }
  return { lines: out, targets, changed };
}

export const lineKind = textKind<LineSpec>({
  kind: 'line',
  summary: 'Ensures one line is present (replacing the lines a regex matches) or absent, like Puppet file_line and Ansible lineinfile.',
  schema: {
    properties: {
      line: {
        type: 'string',
        description: 'The exact line (without line ending). Required with ensure: present; with ensure: absent, the lines equal to it are removed (unless match is given). With backrefs, a template: \\1, \\g<name>.',
      },
      match: {
        type: 'string',
        description:
          'Regex (Python syntax accepted) selecting the line(s) to replace with line; it must match line itself. With ensure: absent, every matching line is removed.',
      },
      multiple: { type: 'boolean', default: false, description: 'Replace every line that match selects. Default false: several matches are an error listing them.' },
      after: {
        type: 'string',
        description: 'Where a new line goes when nothing matches and line is absent: after the last line matching this regex, or BOF / EOF. Falls back to EOF when it matches no line.',
      },
      before: {
        type: 'string',
        description: 'Where a new line goes when nothing matches and line is absent: before the first line matching this regex, or BOF / EOF. Cannot be combined with after.',
      },
      ensure: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'present: the line is in the file; absent: lines equal to line (or matching match) are removed.' },
      backrefs: {
        type: 'boolean',
        default: false,
        description: 'Ansible backrefs: the last line matching match (all with multiple) is replaced by line expanded with its groups; when nothing matches, nothing is added.',
      },
      replace: { type: 'boolean', default: true, description: 'Puppet replace: false only adds the line when no line matches match; matching lines are left as they are.' },
      ...createProperty,
    },
  },
  check: checkLineSpec,
  edit: editLine,
});
