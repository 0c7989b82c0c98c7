import { ResourceError } from '../engine/diagnostics';
import { LineDoc, type DocLine } from './line-doc';
import { compileRegex, compileReplacement, countLines, insertPosition, parseAnchor, type Anchor, type Regex } from './regex';
import { createProperty, textKind, type TextEdit } from './text-kind';

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
  const out = editLineDoc(new LineDoc(text), spec);
  return { text: out.changed ? out.doc.text() : text, reason: out.reason };
}

/** editLine on a file's lines, edited in place: the plan folds a run of line edits to one file on it. */
function editLineDoc(doc: LineDoc, spec: LineSpec): { doc: LineDoc; reason: string; changed: boolean } {
  const edit = spec.ensure === 'absent' ? removeLine : spec.backrefs ? expandBackrefs : ensureLine;
  const out = edit(doc, spec);
  return { doc, reason: out.reason, changed: out.changed };
}

interface Outcome {
  reason: string;
  changed: boolean;
}

function matchOf(spec: LineSpec): Regex | undefined {
  return spec.match === undefined ? undefined : compileRegex(spec.match, 'match');
}

/** 1-based line numbers, as editors show them. */
function numbers(lines: DocLine[]): string {
  return lines.map((l) => l.at + 1).join(', ');
}

function unchanged(reason: string): Outcome {
  return { reason, changed: false };
}

function ensureLine(doc: LineDoc, spec: LineSpec): Outcome {
  const line = spec.line!;
  const match = matchOf(spec);
  const matching = match ? doc.matching(match) : [];
  if (matching.length === 0) {
    // check() made match match line, so with match the line cannot be present here; without match, never add a duplicate.
    const present = doc.withText(line);
    if (present.length > 0) return unchanged(alreadyPresent(present.slice(0, 1), spec));
    return insertLine(doc, spec);
  }
  if (spec.replace === false) return unchanged(`line ${numbers(matching.slice(0, 1))} matches '${spec.match}'; replace: false leaves it as it is`);
  if (matching.length > 1 && !spec.multiple) throw severalMatches(spec.match!, matching);
  const stale = matching.filter((l) => l.text !== line);
  if (stale.length === 0) return unchanged(alreadyPresent(matching, spec));
  return rewrite(doc, new Map(stale.map((l) => [l, line])));
}

/** Rewrites lines in place; the reason names each with its old text. */
function rewrite(doc: LineDoc, changes: Map<DocLine, string>): Outcome {
  const lines = [...changes.keys()];
  const reason = replacedReason(lines, changes);
  for (const [l, text] of changes) doc.replace(l, text);
  return { reason, changed: true };
}

function alreadyPresent(lines: DocLine[], spec: LineSpec): string {
  const anchor = spec.after !== undefined ? 'after' : spec.before !== undefined ? 'before' : undefined;
  // ansible#74991: say that the insert position was not used, rather than ignore it silently.
  return `line already present at line ${numbers(lines)}${anchor ? `; ${anchor} not used` : ''}`;
}

function severalMatches(match: string, lines: DocLine[]): ResourceError {
  return new ResourceError(
    `match '${match}' matches ${lines.length} lines (${numbers(lines)}); set multiple: true to replace them all, or make match more specific`,
    match.startsWith('^') ? 'make match select only the line you mean' : `anchor match at the line start ('^${match}') so that indented or commented copies do not match`,
    'match',
  );
}

function replacedReason(lines: DocLine[], changes: Map<DocLine, string>): string {
  if (lines.length === 1) {
    const [l] = lines;
    return `replaced line ${l.at + 1} '${l.text}' with '${changes.get(l)}'`;
  }
  const texts = new Set(changes.values());
  const withText = texts.size === 1 ? ` with '${[...texts][0]}'` : '';
  return `replaced ${countLines(lines.length)} (${numbers(lines)})${withText}`;
}

/** Adds the line where `after` / `before` place it (see insertPosition). */
function insertLine(doc: LineDoc, spec: LineSpec): Outcome {
  const anchor: Anchor = parseAnchor(spec.after, 'after') ?? parseAnchor(spec.before, 'before') ?? { kind: 'EOF' };
  const { at, where } = insertPosition(doc.lines, anchor, spec.after !== undefined ? 'after' : 'before');
  doc.insert(at, [spec.line!]);
  return { reason: `added ${where}`, changed: true };
}

function removeLine(doc: LineDoc, spec: LineSpec): Outcome {
  const doomed = spec.match !== undefined ? doc.matching(matchOf(spec)!) : doc.withText(spec.line!);
  if (doomed.length === 0) {
    return unchanged(spec.match !== undefined ? `no line matches '${spec.match}'; nothing to remove` : `line '${spec.line}' is not in the file; nothing to remove`);
  }
  const reason = `removed ${countLines(doomed.length)} (${numbers(doomed)})`;
  doc.remove(doomed);
  return { reason, changed: true };
}

/**
 * Ansible's backrefs: the last matching line (every one with multiple) becomes `line`
 * expanded with that line's groups; nothing matching adds nothing. Refuses a spec whose
 * result would be rewritten again by the next run.
 */
function expandBackrefs(doc: LineDoc, spec: LineSpec): Outcome {
  const match = matchOf(spec)!;
  const matching = doc.matching(match);
  const once = expandOnce(matching, spec, (l) => l.text);
  if (once.changes.size === 0) {
    return unchanged(once.targets.length === 0 ? `no line matches '${spec.match}'; backrefs adds nothing` : alreadyPresent(once.targets, spec));
  }
  // The next run: only the rewritten lines have other text, so only they may stop matching.
  const textOf = (l: DocLine) => once.changes.get(l) ?? l.text;
  const again = expandOnce(matching.filter((l) => !once.changes.has(l) || match.test(textOf(l))), spec, textOf);
  const [l, text] = [...again.changes][0] ?? [];
  if (l) {
    throw new ResourceError(
      `backrefs would never converge: after this edit the next run would rewrite line ${l.at + 1} '${textOf(l)}' to '${text}'`,
      'make match stop matching the expanded line (e.g. match the old value only), or make line expand to itself',
      'match',
    );
  }
  return rewrite(doc, once.changes);
}

/** What one run of backrefs rewrites, on the lines as `textOf` gives them. */
function expandOnce(matching: DocLine[], spec: LineSpec, textOf: (l: DocLine) => string): { targets: DocLine[]; changes: Map<DocLine, string> } {
  const match = matchOf(spec)!;
  const expand = compileReplacement(spec.line!, 'line');
  const targets = spec.multiple ? matching : matching.slice(-1);
  const changes = new Map<DocLine, string>();
  for (const l of targets) {
    const expanded = expand(match.exec(textOf(l))!.groups);
    if (/[\r\n]/.test(expanded)) throw new ResourceError(`line expands to text with a line break on line ${l.at + 1}`, 'a line resource manages one line; use a block resource for several', 'line');
    if (expanded !== textOf(l)) changes.set(l, expanded);
  }
  return { targets, changes };
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
  parsed: { parse: (text: string) => new LineDoc(text), edit: editLineDoc, text: (doc: LineDoc) => doc.text() },
});
