import { ResourceError } from '../engine/diagnostics';
import { before, IniDoc, type BlockFact, type Gap, type IniBlock, type IniLine, type LineEdits } from './ini-doc';
import { createProperty, textKind, type TextEdit } from './text-kind';

export interface IniSpec {
  section: string;
  key: string;
  value?: string;
  values?: string[];
  ensure?: 'present' | 'absent';
  separator?: string;
  create?: boolean;
  sensitive?: boolean;
}

const DEFAULT_SEPARATOR = ' = ';
const BLANK = /^\s*$/;

/** How key lines are read and written for one separator. */
interface IniSyntax {
  /** Written between key and value on new lines. */
  separator: string;
  /** The separator's visible part (`=`, `:`), '' for a whitespace-only separator (`key value`). */
  core: string;
  /** Regex source for the separator as files write it: its core with any spaces or tabs around it. */
  spacing: string;
  /** The last setting line of a block and the least indentation of its settings, whatever their key. */
  lastSetting: BlockFact;
  leastIndent: BlockFact;
}

const syntaxes = new Map<string, IniSyntax>();

function syntaxOf(separator: string): IniSyntax {
  const known = syntaxes.get(separator);
  if (known) return known;
  const core = separator.trim();
  const spacing = core === '' ? '[ \\t]+' : `[ \\t]*${escapeRegex(core)}[ \\t]*`;
  const anySetting = new RegExp(`^([ \\t]*)[^;#\\s\\[].*?${spacing}`);
  const indentOf = (text: string) => anySetting.exec(text)?.[1];
  const syntax: IniSyntax = {
    separator,
    core,
    spacing,
    lastSetting: { key: `last setting ${spacing}`, capture: indentOf, better: (line, _, than) => before(than.line, line) },
    // The first of the least indented, as a scan in file order keeps it.
    leastIndent: { key: `least indent ${spacing}`, capture: indentOf, better: (line, indent, than) => indent.length < than.capture.length || (indent.length === than.capture.length && before(line, than.line)) },
  };
  syntaxes.set(separator, syntax);
  return syntax;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** One line that sets the key, active or commented out: `<indent>[<marker>]<key><spacing><value><trailing>`. */
interface KeyLine {
  line: IniLine;
  indent: string;
  spacing: string;
  value: string;
  trailing: string;
  /** The line as written, for reasons ("uncommented ;date.timezone ="). */
  text: string;
}

/** Everything an edit of one key needs to know about the file. */
interface KeyView {
  doc: IniDoc;
  syntax: IniSyntax;
  spec: IniSpec;
  /** Every block of the section (a header may repeat); empty when the section is missing. */
  blocks: IniBlock[];
}

function parseIni(text: string): IniDoc {
  return new IniDoc(text);
}

function findBlocks(doc: IniDoc, section: string): IniBlock[] {
  return section === '' ? [doc.global] : doc.blocksOf(section);
}

/** Position of a key line in the file, for order comparisons. */
function rank(l: KeyLine): number {
  return l.line.block.order * 2 ** 31 + l.line.at;
}

/**
 * The key line for `key` at the start of `text` after its indentation and `marker`
 * (a comment mark, when looking for commented copies), as
 * `^([ \t]*)MARKER KEY (SPACING)(.*?)([ \t]*)$` reads it; undefined when it is none.
 */
function keyLineOf(line: IniLine, key: string, syntax: IniSyntax, commented: boolean): KeyLine | undefined {
  const text = line.text;
  let i = skipBlanks(text, 0);
  const indent = text.slice(0, i);
  if (commented) {
    if (text[i] !== ';' && text[i] !== '#') return undefined;
    i += 1;
    if (text[i] === ' ' || text[i] === '\t') i += 1;
  }
  if (!text.startsWith(key, i)) return undefined;
  const spaceStart = i + key.length;
  let j = skipBlanks(text, spaceStart);
  if (syntax.core === '') {
    if (j === spaceStart) return undefined;
  } else {
    if (!text.startsWith(syntax.core, j)) return undefined;
    j = skipBlanks(text, j + syntax.core.length);
  }
  const rest = text.slice(j);
  // `.` stops at these in the regex this stands for.
  if (rest.includes('\u2028') || rest.includes('\u2029')) return undefined;
  const value = rest.replace(/[ \t]+$/, '');
  return { line, indent, spacing: text.slice(spaceStart, j), value, trailing: rest.slice(value.length), text };
}

function skipBlanks(text: string, from: number): number {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

function matchKeyLines(view: KeyView, commented: boolean): KeyLine[] {
  const out: KeyLine[] = [];
  for (const line of candidateLines(view)) {
    const k = keyLineOf(line, view.spec.key, view.syntax, commented);
    if (k) out.push(k);
  }
  return out;
}

/**
 * The lines of the section that may set the key: those starting with the key's leading
 * word. Every line of the section when that word cannot tell (a key that starts
 * with a symbol, or a separator that starts with a word character).
 */
function candidateLines(view: KeyView): readonly IniLine[] {
  const word = /^[\w.-]+/.exec(view.spec.key)?.[0];
  if (word === undefined || /^[\w.-]/.test(view.syntax.core)) return bodyOf(view);
  return view.doc.linesStarting(word, view.blocks);
}

/** Every line under the section's headers, in file order. */
function bodyOf(view: KeyView): IniLine[] {
  return view.blocks.flatMap((b) => b.lines.slice(b.bodyStart));
}

/** The lines that set the key, in file order. */
function activeLines(view: KeyView): KeyLine[] {
  return matchKeyLines(view, false);
}

/**
 * Commented-out settings of this very key: one `;` or `#`, at most one space, then
 * `key<separator>`. Prose (`; display_errors`, `;   Default Value: On`) and indented
 * examples (`;     session.save_path = "N;/path"`) are not settings and are never touched.
 */
function commentedCopies(view: KeyView): KeyLine[] {
  return matchKeyLines(view, true);
}

/** How a key line is written: its indentation and the separator with its spacing. */
interface LineStyle {
  indent: string;
  spacing: string;
}

/** A line's style; an empty value's spacing mirrors the space before the separator (`;date.timezone =` -> ` = `). */
function styleOf(line: KeyLine, syntax: IniSyntax): LineStyle {
  if (line.value !== '' || syntax.core === '') return { indent: line.indent, spacing: line.spacing };
  const before = /^[ \t]*/.exec(line.spacing)![0];
  return { indent: line.indent, spacing: before + syntax.core + before };
}

function settingText(key: string, style: LineStyle, value: string, syntax: IniSyntax, trailing = ''): string {
  if (value === '' && syntax.core !== '') return style.indent + key + style.spacing.trimEnd();
  return style.indent + key + style.spacing + value + trailing;
}

function noEdits(): LineEdits {
  return { rewrites: new Map(), removals: new Set(), inserts: new Map(), notes: [] };
}

function gapKey(gap: Gap): string {
  return `${gap.block.order}:${gap.at}`;
}

/** The new lines waiting at a gap (a new list when none do). */
function insertsAt(edits: LineEdits, gap: Gap): string[] {
  const key = gapKey(gap);
  const waiting = edits.inserts.get(key) ?? { gap, texts: [] };
  edits.inserts.set(key, waiting);
  return waiting.texts;
}

/** Values and lines as reasons show them: hidden for sensitive resources. */
interface Wording {
  value(v: string): string;
  line(text: string): string;
  where: string;
}

function wordingFor(spec: IniSpec): Wording {
  const where = spec.section === '' ? 'the global area' : `[${spec.section}]`;
  if (spec.sensitive) return { value: () => '(sensitive)', line: () => `${spec.key} = (sensitive)`, where };
  return { value: (v) => v, line: (text) => text.trim(), where };
}

/** An empty previous value reads as "(was )", which looks like a cut-off message. */
function wasValue(value: string, say: Wording): string {
  return value === '' ? 'empty' : say.value(value);
}

/** The pure edit: the file's text with the key as the spec wants it, and why. */
export function editIni(text: string, spec: IniSpec): TextEdit {
  const out = editIniDoc(parseIni(text), spec);
  return { text: out.changed ? out.doc.text() : text, reason: out.reason };
}

/** editIni on a parsed file: the plan folds a run of ini edits to one file on it (ParsedText). */
function editIniDoc(doc: IniDoc, spec: IniSpec): { doc: IniDoc; reason: string; changed: boolean } {
  const blocks = findBlocks(doc, spec.section);
  const view: KeyView = { doc, syntax: syntaxOf(spec.separator ?? DEFAULT_SEPARATOR), spec, blocks };
  const say = wordingFor(spec);
  const edits = noEdits();
  const settled = spec.ensure === 'absent' ? removeKey(view, edits, say) : setKey(view, edits, say);
  if (edits.notes.length === 0) return { doc, reason: settled, changed: false };
  doc.apply(edits);
  return { doc, reason: edits.notes.join(', '), changed: true };
}

/** `Match User backup`, `Host *.lan`, `<Directory /var/www>`: lines that open a block in `key value` files. */
const BLOCK_OPENER = /^[ \t]*(?:(?:match|host)[ \t]|<[^/])/i;

/** The first line of a block that opens a `key value` block. */
const FIRST_OPENER: BlockFact = { key: 'first opener', capture: (text) => (BLOCK_OPENER.test(text) ? '' : undefined), better: (line, _, than) => before(line, than.line) };

function firstOpener(view: KeyView): IniLine | undefined {
  for (const block of view.blocks) {
    const found = view.doc.fact(block, FIRST_OPENER);
    if (found) return found.line;
  }
  return undefined;
}

/**
 * In a `key value` file (sshd_config, ssh_config, Apache) an indented line, or any line after
 * one that opens a block, belongs to that block (`Match` runs to the next one or EOF): ini
 * semantics would delete or rewrite a conditional setting as if it were a stray copy.
 */
function refuseBlockLines(view: KeyView, removed: KeyLine[], setting?: KeyLine): void {
  if (view.syntax.core !== '' || (removed.length === 0 && !setting)) return;
  const opener = firstOpener(view);
  const afterOpener = (l: KeyLine) => opener !== undefined && before(opener, l.line);
  // An indented line is only kept from removal: its value may be set in place, in its style.
  // But the line taken as the setting must not be in a block, even when its value is right.
  const inBlock = removed.find((l) => l.indent !== '' || afterOpener(l)) ?? (setting && afterOpener(setting) ? setting : undefined);
  if (!inBlock) return;
  throw new ResourceError(
    `line ${view.doc.lineNumber(inBlock.line) + 1} ('${inBlock.text.trim()}') may belong to a block of a \`key value\` file (${afterOpener(inBlock) ? `it follows '${opener!.text.trim()}'` : 'it is indented'}); the ini kind would change a conditional setting`,
    'the ini kind edits only top-level lines of such files: move the block after the global settings, or manage this file with a line or block resource',
    'key',
  );
}

/** Records the edits for ensure: absent; returns the reason when nothing changes. */
function removeKey(view: KeyView, edits: LineEdits, say: Wording): string {
  const { key, values } = view.spec;
  const doomed = activeLines(view).filter((l) => values === undefined || values.includes(l.value));
  refuseBlockLines(view, doomed);
  for (const l of doomed) edits.removals.add(l.line);
  if (doomed.length > 0) edits.notes.push(`removed ${doomed.length === 1 ? '1 line' : `${doomed.length} lines`} setting ${key} from ${say.where}`);
  if (values === undefined) return `${key} is already absent from ${say.where}`;
  return `${key} has none of the values ${values.map(say.value).join(', ')} in ${say.where}`;
}

/** Records the edits for ensure: present; returns the reason when nothing changes. */
function setKey(view: KeyView, edits: LineEdits, say: Wording): string {
  const { key, value, values } = view.spec;
  const wanted = values ?? [value!];
  const active = activeLines(view);
  if (view.blocks.length === 0) appendSection(view, wanted, edits, say);
  else if (values === undefined && active.length > 0) collapseTo(view, active, value!, edits, say);
  else placeValues(view, active, wanted, edits, say);
  if (values === undefined) return `${key} is already ${say.value(value!)}`;
  if (values.length === 0) return `${key} is already absent from ${say.where}`;
  return `${key} already has the values ${values.map(say.value).join(', ')} in ${say.where}`;
}

/** A single value on a key set once or more: the first copy keeps its place and style, the others go. */
function collapseTo(view: KeyView, active: KeyLine[], value: string, edits: LineEdits, say: Wording): void {
  const [first, ...others] = active;
  refuseBlockLines(view, others, first);
  if (first.value !== value) {
    edits.rewrites.set(first.line, settingText(view.spec.key, styleOf(first, view.syntax), value, view.syntax, first.trailing));
    edits.notes.push(`set ${view.spec.key} = ${say.value(value)} (was ${wasValue(first.value, say)})`);
  }
  for (const l of others) edits.removals.add(l.line);
  if (others.length > 0) edits.notes.push(`removed ${others.length} other ${others.length === 1 ? 'copy' : 'copies'} of ${view.spec.key} from ${say.where}`);
}

/**
 * The key ends up with exactly `wanted`, in order: matching lines stay where they are, a
 * commented copy with a wanted value is uncommented in place, the rest are added next to
 * their neighbours in the list, and lines with other values go.
 */
function placeValues(view: KeyView, active: KeyLine[], wanted: string[], edits: LineEdits, say: Wording): void {
  const kept = alignValues(active.map((l) => l.value), wanted);
  const slots: (KeyLine | undefined)[] = wanted.map((_, i) => (kept.has(i) ? active[kept.get(i)!] : undefined));
  const keptLines = new Set(slots);
  const dropped = active.filter((l) => !keptLines.has(l));
  refuseBlockLines(view, dropped);
  for (const l of dropped) edits.removals.add(l.line);
  if (dropped.length > 0) edits.notes.push(`removed ${dropped.map((l) => say.line(l.text)).join(', ')} from ${say.where}`);
  uncommentMatchingCopies(view, slots, wanted, edits, say);
  if (wanted.length === 0) return;
  if (!slots.some((s) => s !== undefined)) {
    // Nothing to keep: the new lines take the place and style of the last copy.
    const last = active[active.length - 1];
    if (last) return insertAround(view, slots, wanted, edits, say, { gap: after(last.line), style: styleOf(last, view.syntax) });
    const copy = commentedCopies(view).pop();
    if (copy) slots[0] = uncomment(view, copy, wanted[0], edits, say);
    else return insertAround(view, slots, wanted, edits, say, newKeyPlace(view, edits));
  }
  insertAround(view, slots, wanted, edits, say);
}

/** Pairs existing values with wanted ones (wanted index -> existing index): the longest order-keeping match, earliest lines first. */
function alignValues(existing: string[], wanted: string[]): Map<number, number> {
  const n = existing.length;
  const m = wanted.length;
  const longest = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      longest[i][j] = existing[i] === wanted[j] ? longest[i + 1][j + 1] + 1 : Math.max(longest[i + 1][j], longest[i][j + 1]);
    }
  }
  const pairs = new Map<number, number>();
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (existing[i] === wanted[j]) pairs.set(j++, i++);
    else if (longest[i + 1][j] >= longest[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

/** For each missing value, the last commented copy with exactly that value, if it sits where the order allows. */
function uncommentMatchingCopies(view: KeyView, slots: (KeyLine | undefined)[], wanted: string[], edits: LineEdits, say: Wording): void {
  const copies = commentedCopies(view);
  wanted.forEach((value, i) => {
    if (slots[i] !== undefined) return;
    const previousLine = Math.max(-1, ...slots.slice(0, i).flatMap((s) => (s ? [rank(s)] : [])));
    const nextLine = Math.min(Infinity, ...slots.slice(i + 1).flatMap((s) => (s ? [rank(s)] : [])));
    const copy = copies.filter((c) => c.value === value && rank(c) > previousLine && rank(c) < nextLine && !slots.includes(c)).pop();
    if (copy) slots[i] = uncomment(view, copy, value, edits, say);
  });
}

function uncomment(view: KeyView, copy: KeyLine, value: string, edits: LineEdits, say: Wording): KeyLine {
  const style = styleOf(copy, view.syntax);
  const text = settingText(view.spec.key, style, value, view.syntax, copy.value === '' ? '' : copy.trailing);
  edits.rewrites.set(copy.line, text);
  edits.notes.push(copy.value === value ? `uncommented ${say.line(copy.text)}` : `uncommented ${say.line(copy.text)} and set it to ${say.value(value)}`);
  return { ...copy, ...style, text, value };
}

/** Where a brand-new key goes in its existing section, and how it is written. */
interface NewKeyPlace {
  gap: Gap;
  style: LineStyle;
}

/**
 * After the section's last setting line (its trailing comments and blank lines belong to
 * what follows); in a section without settings, after its last non-blank line; indented
 * like the least-indented setting of the section.
 */
function newKeyPlace(view: KeyView, edits: LineEdits): NewKeyPlace {
  const { doc, syntax, blocks } = view;
  const least = blocks.map((b) => doc.fact(b, syntax.leastIndent)).reduce((a, b) => (b && (!a || b.capture.length < a.capture.length) ? b : a), null);
  const style = { indent: least?.capture ?? '', spacing: syntax.separator };
  const lastSetting = blocks.map((b) => doc.fact(b, syntax.lastSetting)).reduce((a, b) => b ?? a, null);
  if (lastSetting) return { gap: after(lastSetting.line), style };
  const block = blocks[blocks.length - 1];
  const lastNonBlank = block.lines.findLastIndex((l, i) => i >= block.bodyStart && !BLANK.test(l.text));
  if (lastNonBlank >= 0) return { gap: { block, at: lastNonBlank + 1 }, style };
  // An empty global area: keep a blank line between the new key and the first header, as Puppet does.
  if (block === doc.global && block.lines.length === 0 && doc.blocks.length > 1) insertsAt(edits, { block, at: 0 }).push('');
  return { gap: { block, at: block.bodyStart }, style };
}

/** The gap just after a line. */
function after(line: IniLine): Gap {
  return { block: line.block, at: line.at + 1 };
}

/**
 * Adds the values that have no line yet: each right after the previous value of the list,
 * or, before the first placed one, just above it; `first` places them when no value has a line.
 */
function insertAround(view: KeyView, slots: (KeyLine | undefined)[], wanted: string[], edits: LineEdits, say: Wording, first?: NewKeyPlace): void {
  const anchor = slots.find((s) => s !== undefined);
  const style = anchor ? styleOf(anchor, view.syntax) : first!.style;
  const added: string[] = [];
  let pending: string[] = [];
  const flush = (gap: Gap) => {
    const texts = pending.map((v) => settingText(view.spec.key, style, v, view.syntax));
    // In front of whatever already waits at this gap (the blank line before a first header).
    if (texts.length > 0) insertsAt(edits, gap).unshift(...texts);
    for (const text of texts) added.push(text);
    pending = [];
  };
  let previous: KeyLine | undefined;
  for (const [i, value] of wanted.entries()) {
    const slot = slots[i];
    if (slot === undefined) {
      pending.push(value);
      continue;
    }
    flush(previous ? after(previous.line) : { block: slot.line.block, at: slot.line.at });
    previous = slot;
  }
  flush(previous ? after(previous.line) : first!.gap);
  if (added.length > 0) edits.notes.push(`added ${added.map(say.line).join(', ')} to ${say.where}`);
}

/** A missing section is appended at the end as `[name]` + key, after one blank line unless the file is empty or already ends with one. */
function appendSection(view: KeyView, wanted: string[], edits: LineEdits, say: Wording): void {
  if (wanted.length === 0) return;
  const { doc, spec, syntax } = view;
  const last = doc.lastLine();
  const style = { indent: '', spacing: syntax.separator };
  const settings = wanted.map((v) => settingText(spec.key, style, v, syntax));
  edits.newSection = { name: spec.section, texts: [`[${spec.section}]`, ...settings], spacer: last !== undefined && !BLANK.test(last.text) };
  edits.notes.push(`added ${say.where} with ${settings.map(say.line).join(', ')}`);
}

/** Spec-only checks, before any file is read. */
function checkIni(spec: IniSpec): void {
  const absent = spec.ensure === 'absent';
  if (spec.value !== undefined && spec.values !== undefined) {
    throw new ResourceError('value and values cannot be used together', 'use value for a key set once, values for a repeated key such as extension=', 'values');
  }
  if (!absent && spec.value === undefined && spec.values === undefined) {
    throw new ResourceError('ensure: present needs value or values', 'set value: "..." (quote numbers and On/Off), or ensure: absent to remove the key', 'value');
  }
  if (absent && spec.value !== undefined) {
    throw new ResourceError('value has no meaning with ensure: absent, which removes every copy of the key', 'drop value, or use values: [...] to remove only the lines with those values', 'value');
  }
  if (absent && spec.values?.length === 0) throw new ResourceError('values is empty, so ensure: absent would remove nothing', 'drop values to remove every copy of the key', 'values');
  if (absent && spec.create === true) throw new ResourceError('create: true has no meaning with ensure: absent', 'drop create', 'create');
  const syntax = syntaxOf(spec.separator ?? DEFAULT_SEPARATOR);
  checkOneLine(spec.section, 'section');
  checkOneLine(syntax.separator, 'separator');
  checkKey(spec.key, syntax);
  for (const v of spec.values ?? (spec.value === undefined ? [] : [spec.value])) checkValue(v, spec.values ? 'values' : 'value');
}

function checkOneLine(text: string, field: string): void {
  if (/[\r\n]/.test(text)) throw new ResourceError(`${field} contains a line break`, `write ${field} on one line`, field);
}

function checkKey(key: string, syntax: IniSyntax): void {
  checkOneLine(key, 'key');
  if (key.trim() !== key) throw new ResourceError(`key '${key}' has whitespace at its start or end`, 'remove it: keys are matched exactly', 'key');
  if (/^[;#[]/.test(key)) throw new ResourceError(`key '${key}' starts with ${key[0]}, which starts a comment or a section header`, 'to uncomment a setting, name the key without its comment mark', 'key');
  const clash = syntax.core === '' ? /\s/.test(key) : key.includes(syntax.core);
  if (clash) throw new ResourceError(`key '${key}' contains the separator '${syntax.core || ' '}'`, 'other tools would read the line as a different key; check key and separator', 'key');
}

function checkValue(value: string, field: string): void {
  checkOneLine(value, field);
  if (value.trim() !== value) {
    throw new ResourceError(`${field} '${value}' has whitespace at its start or end`, 'remove it: values are compared without surrounding whitespace, so it could never match', field);
  }
}

export const iniKind = textKind<IniSpec>({
  kind: 'ini',
  summary: 'One key of an INI file (php.ini, my.cnf, git config): set, uncomment, add or remove it, leaving every other byte alone.',
  schema: {
    properties: {
      section: { type: 'string', description: 'Section name, matched exactly (`PHP`, `section:sub`, `branch "main"`). "" is the global area before the first header.' },
      key: { type: 'string', minLength: 1, description: 'Key name, matched exactly (dots and spaces are literal).' },
      value: { type: 'string', description: 'The value the key must have; the whole text after the separator is the value. A key set several times is collapsed to one line.' },
      values: {
        type: 'array',
        items: { type: 'string' },
        uniqueItems: true,
        description: 'For a repeated key (php.ini `extension=`): the key appears exactly with these values, in this order. With ensure: absent, only the lines with these values are removed.',
      },
      ensure: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'present: the key has the value(s); absent: its lines are removed (header and comments stay).' },
      separator: {
        type: 'string',
        minLength: 1,
        default: DEFAULT_SEPARATOR,
        description: 'Written between key and value on new lines. Existing lines are read with any spaces around its visible part (`=` matches `k=v` and `k = v`; ": " matches `k: v`); a blank separator means `key value`.',
      },
      ...createProperty,
    },
    required: ['section', 'key'],
  },
  check: checkIni,
  edit: editIni,
  parsed: { parse: parseIni, edit: editIniDoc, text: (doc: IniDoc) => doc.text() },
});
