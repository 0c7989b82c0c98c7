import { ResourceError } from '../engine/diagnostics';
import { insertLines, joinLines, removeLines, replaceLineText, splitLines, type Line } from '../engine/lines';
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
const HEADER = /^[ \t]*\[(.*)\][ \t]*$/;
const BLANK = /^\s*$/;

/** How key lines are read and written for one separator. */
interface IniSyntax {
  /** Written between key and value on new lines. */
  separator: string;
  /** The separator's visible part (`=`, `:`), '' for a whitespace-only separator (`key value`). */
  core: string;
  /** Regex source for the separator as files write it: its core with any spaces or tabs around it. */
  spacing: string;
}

function syntaxOf(separator: string): IniSyntax {
  const core = separator.trim();
  return { separator, core, spacing: core === '' ? '[ \\t]+' : `[ \\t]*${escapeRegex(core)}[ \\t]*` };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** One line that sets the key, active or commented out: `<indent>[<marker>]<key><spacing><value><trailing>`. */
interface KeyLine {
  index: number;
  indent: string;
  spacing: string;
  value: string;
  trailing: string;
  /** The line as written, for reasons ("uncommented ;date.timezone ="). */
  text: string;
}

/** A run of lines under one header (header -1: the global area before the first header). */
interface Block {
  header: number;
  start: number;
  end: number;
}

/** Everything an edit of one key needs to know about the file. */
interface KeyView {
  lines: Line[];
  syntax: IniSyntax;
  spec: IniSpec;
  /** Every block of the section (a header may repeat); empty when the section is missing. */
  blocks: Block[];
  index: IniIndex;
}

interface Header {
  index: number;
  name: string;
}

/** A parsed ini file: its lines and where its section headers are. */
interface IniDoc {
  lines: Line[];
  headers: Header[];
  /** Made on first use and kept right by in-place rewrites, so that a run of 10,000 edits to one section finds each key without scanning the section. */
  index?: IniIndex;
}

/** Positions of `headers` by section name, the header lines, and the lines by the word a setting starts with. */
interface IniIndex {
  sections: Map<string, number[]>;
  headerLines: Set<number>;
  words: Map<string, number[]>;
}

/**
 * The word a line starts with after its indentation and an optional comment mark: a key
 * line starts with its key, so the key's own leading word finds its lines (and commented copies).
 */
const LEADING_WORD = /^[ \t]*(?:[;#][ \t]?)?([\w.-]+)/;

function indexOf(doc: IniDoc): IniIndex {
  if (doc.index) return doc.index;
  const sections = new Map<string, number[]>();
  doc.headers.forEach((h, k) => pushTo(sections, h.name, k));
  const words = new Map<string, number[]>();
  doc.lines.forEach((l, i) => {
    const word = LEADING_WORD.exec(l.text)?.[1];
    if (word !== undefined) pushTo(words, word, i);
  });
  return (doc.index = { sections, headerLines: new Set(doc.headers.map((h) => h.index)), words });
}

function pushTo<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Moves line `i` from the word of its old text to the word of its new one, keeping each list in line order. */
function reindexLine(index: IniIndex, i: number, before: string, after: string): void {
  const was = LEADING_WORD.exec(before)?.[1];
  const now = LEADING_WORD.exec(after)?.[1];
  if (was === now) return;
  if (was !== undefined) {
    const list = index.words.get(was)!;
    list.splice(list.indexOf(i), 1);
  }
  if (now === undefined) return;
  const list = index.words.get(now) ?? [];
  let at = list.length;
  while (at > 0 && list[at - 1] > i) at--;
  list.splice(at, 0, i);
  index.words.set(now, list);
}

function headersIn(lines: Line[], from: number, to: number): Header[] {
  const headers: Header[] = [];
  for (let i = from; i < to; i++) {
    const m = lines[i].text.includes('[') ? HEADER.exec(lines[i].text) : null;
    if (m) headers.push({ index: i, name: m[1] });
  }
  return headers;
}

function parseIni(text: string): IniDoc {
  const lines = splitLines(text);
  return { lines, headers: headersIn(lines, 0, lines.length) };
}

/**
 * The document after an edit. Rewrites only (setting a value, the usual case) change the
 * lines in place: the plan fold never reads a document again once an edit changed it, and
 * copying a big file's lines at each of 10,000 edits would be quadratic. Other edits copy.
 */
function editedIni(doc: IniDoc, edits: LineEdits): IniDoc {
  if (edits.removals.size > 0 || edits.inserts.size > 0) return reindexed(doc, applyEdits(doc.lines, edits));
  const index = indexOf(doc);
  const headersMoved = [...edits.rewrites].some(([i, text]) => index.headerLines.has(i) || HEADER.test(text));
  for (const [i, text] of edits.rewrites) {
    reindexLine(index, i, doc.lines[i].text, text);
    doc.lines[i] = { text, eol: doc.lines[i].eol };
  }
  return headersMoved ? { lines: doc.lines, headers: headersIn(doc.lines, 0, doc.lines.length) } : doc;
}

/**
 * The document for a copy of the old lines in which only the touched entries are new
 * objects: headers above them stay, headers below them shift, only the changed window is scanned.
 */
function reindexed(before: IniDoc, lines: Line[]): IniDoc {
  const shortest = Math.min(before.lines.length, lines.length);
  let start = 0;
  while (start < shortest && before.lines[start] === lines[start]) start++;
  let same = 0;
  while (same < shortest - start && before.lines[before.lines.length - 1 - same] === lines[lines.length - 1 - same]) same++;
  const end = before.lines.length - same;
  const grown = lines.length - before.lines.length;
  const above = before.headers.filter((h) => h.index < start);
  const below = before.headers.filter((h) => h.index >= end).map((h) => ({ index: h.index + grown, name: h.name }));
  return { lines, headers: [...above, ...headersIn(lines, start, end + grown), ...below] };
}

function findBlocks(doc: IniDoc, section: string): Block[] {
  const { headers, lines } = doc;
  const endOf = (k: number) => headers[k + 1]?.index ?? lines.length;
  if (section === '') return [{ header: -1, start: 0, end: headers[0]?.index ?? lines.length }];
  return (indexOf(doc).sections.get(section) ?? []).map((k) => ({ header: headers[k].index, start: headers[k].index + 1, end: endOf(k) }));
}

function inBlocks(blocks: Block[], index: number): boolean {
  return blocks.some((b) => index >= b.start && index < b.end);
}

function indexesOf(blocks: Block[]): number[] {
  const out: number[] = [];
  for (const b of blocks) for (let i = b.start; i < b.end; i++) out.push(i);
  return out;
}

function matchKeyLines(view: KeyView, prefix: string): KeyLine[] {
  const pattern = new RegExp(`^([ \\t]*)${prefix}${escapeRegex(view.spec.key)}(${view.syntax.spacing})(.*?)([ \\t]*)$`);
  return candidateLines(view).flatMap((index) => {
    const text = view.lines[index].text;
    const m = text.includes(view.spec.key) ? pattern.exec(text) : null;
    return m ? [{ index, indent: m[1], spacing: m[2], value: m[3], trailing: m[4], text }] : [];
  });
}

/**
 * The lines of the section that may set the key: those starting with the key's leading
 * word. Every other line of the section when that word cannot tell (a key that starts
 * with a symbol, or a separator that starts with a word character).
 */
function candidateLines(view: KeyView): number[] {
  const word = /^[\w.-]+/.exec(view.spec.key)?.[0];
  if (word === undefined || /^[\w.-]/.test(view.syntax.core)) return bodyOf(view);
  return (view.index.words.get(word) ?? []).filter((i) => inBlocks(view.blocks, i));
}

/** Every line index under the section's headers, in file order. */
function bodyOf(view: KeyView): number[] {
  return indexesOf(view.blocks);
}

/** The lines that set the key, in file order. */
function activeLines(view: KeyView): KeyLine[] {
  return matchKeyLines(view, '');
}

/**
 * Commented-out settings of this very key: one `;` or `#`, at most one space, then
 * `key<separator>`. Prose (`; display_errors`, `;   Default Value: On`) and indented
 * examples (`;     session.save_path = "N;/path"`) are not settings and are never touched.
 */
function commentedCopies(view: KeyView): KeyLine[] {
  return matchKeyLines(view, '[;#][ \\t]?');
}

/** Indentation of every setting line of the section, whatever its key. */
function settingIndents(view: KeyView): { index: number; indent: string }[] {
  const anySetting = new RegExp(`^([ \\t]*)[^;#\\s\\[].*?${view.syntax.spacing}`);
  return bodyOf(view).flatMap((index) => {
    const m = anySetting.exec(view.lines[index].text);
    return m ? [{ index, indent: m[1] }] : [];
  });
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

/** Line edits by original index, applied together so that no index shifts under another. */
interface LineEdits {
  rewrites: Map<number, string>;
  removals: Set<number>;
  /** New lines by gap: gap g is just before original line g. */
  inserts: Map<number, string[]>;
  notes: string[];
}

function noEdits(): LineEdits {
  return { rewrites: new Map(), removals: new Set(), inserts: new Map(), notes: [] };
}

function addInsert(edits: LineEdits, gap: number, texts: string[]): void {
  edits.inserts.set(gap, [...(edits.inserts.get(gap) ?? []), ...texts]);
}

function applyEdits(lines: Line[], edits: LineEdits): Line[] {
  let out = lines;
  for (const [i, text] of edits.rewrites) out = replaceLineText(out, i, text);
  // From the bottom up, so the indexes still to visit keep their meaning.
  const positions = [...new Set([...edits.removals, ...edits.inserts.keys()])].sort((a, b) => b - a);
  for (const p of positions) {
    if (edits.removals.has(p)) out = removeLines(out, [p]);
    const texts = edits.inserts.get(p);
    if (texts) out = insertLines(out, p, texts);
  }
  return out;
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
  return { text: out.changed ? joinLines(out.doc.lines) : text, reason: out.reason };
}

/** editIni on a parsed file: the plan folds a run of ini edits to one file on it (ParsedText). */
function editIniDoc(doc: IniDoc, spec: IniSpec): { doc: IniDoc; reason: string; changed: boolean } {
  const blocks = findBlocks(doc, spec.section);
  const view: KeyView = { lines: doc.lines, syntax: syntaxOf(spec.separator ?? DEFAULT_SEPARATOR), spec, blocks, index: indexOf(doc) };
  const say = wordingFor(spec);
  const edits = noEdits();
  const settled = spec.ensure === 'absent' ? removeKey(view, edits, say) : setKey(view, edits, say);
  if (edits.notes.length === 0) return { doc, reason: settled, changed: false };
  return { doc: editedIni(doc, edits), reason: edits.notes.join(', '), changed: true };
}

/** `Match User backup`, `Host *.lan`, `<Directory /var/www>`: lines that open a block in `key value` files. */
const BLOCK_OPENER = /^[ \t]*(?:(?:match|host)[ \t]|<[^/])/i;

/**
 * In a `key value` file (sshd_config, ssh_config, Apache) an indented line, or any line after
 * one that opens a block, belongs to that block (`Match` runs to the next one or EOF): ini
 * semantics would delete or rewrite a conditional setting as if it were a stray copy.
 */
function refuseBlockLines(view: KeyView, removed: KeyLine[], setting?: KeyLine): void {
  if (view.syntax.core !== '' || (removed.length === 0 && !setting)) return;
  const opener = bodyOf(view).find((index) => BLOCK_OPENER.test(view.lines[index].text));
  const afterOpener = (l: KeyLine) => opener !== undefined && l.index > opener;
  // An indented line is only kept from removal: its value may be set in place, in its style.
  // But the line taken as the setting must not be in a block, even when its value is right.
  const inBlock = removed.find((l) => l.indent !== '' || afterOpener(l)) ?? (setting && afterOpener(setting) ? setting : undefined);
  if (!inBlock) return;
  throw new ResourceError(
    `line ${inBlock.index + 1} ('${inBlock.text.trim()}') may belong to a block of a \`key value\` file (${afterOpener(inBlock) ? `it follows '${view.lines[opener!].text.trim()}'` : 'it is indented'}); the ini kind would change a conditional setting`,
    'the ini kind edits only top-level lines of such files: move the block after the global settings, or manage this file with a line or block resource',
    'key',
  );
}

/** Records the edits for ensure: absent; returns the reason when nothing changes. */
function removeKey(view: KeyView, edits: LineEdits, say: Wording): string {
  const { key, values } = view.spec;
  const doomed = activeLines(view).filter((l) => values === undefined || values.includes(l.value));
  refuseBlockLines(view, doomed);
  for (const l of doomed) edits.removals.add(l.index);
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
    edits.rewrites.set(first.index, settingText(view.spec.key, styleOf(first, view.syntax), value, view.syntax, first.trailing));
    edits.notes.push(`set ${view.spec.key} = ${say.value(value)} (was ${wasValue(first.value, say)})`);
  }
  for (const l of others) edits.removals.add(l.index);
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
  for (const l of dropped) edits.removals.add(l.index);
  if (dropped.length > 0) edits.notes.push(`removed ${dropped.map((l) => say.line(l.text)).join(', ')} from ${say.where}`);
  uncommentMatchingCopies(view, slots, wanted, edits, say);
  if (wanted.length === 0) return;
  if (!slots.some((s) => s !== undefined)) {
    // Nothing to keep: the new lines take the place and style of the last copy.
    const last = active[active.length - 1];
    if (last) return insertAround(view, slots, wanted, edits, say, { gap: last.index + 1, style: styleOf(last, view.syntax) });
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
    const previousLine = Math.max(-1, ...slots.slice(0, i).flatMap((s) => (s ? [s.index] : [])));
    const nextLine = Math.min(Infinity, ...slots.slice(i + 1).flatMap((s) => (s ? [s.index] : [])));
    const copy = copies.filter((c) => c.value === value && c.index > previousLine && c.index < nextLine && !slots.includes(c)).pop();
    if (copy) slots[i] = uncomment(view, copy, value, edits, say);
  });
}

function uncomment(view: KeyView, copy: KeyLine, value: string, edits: LineEdits, say: Wording): KeyLine {
  const style = styleOf(copy, view.syntax);
  const text = settingText(view.spec.key, style, value, view.syntax, copy.value === '' ? '' : copy.trailing);
  edits.rewrites.set(copy.index, text);
  edits.notes.push(copy.value === value ? `uncommented ${say.line(copy.text)}` : `uncommented ${say.line(copy.text)} and set it to ${say.value(value)}`);
  return { ...copy, ...style, text, value };
}

/** Where a brand-new key goes in its existing section, and how it is written. */
interface NewKeyPlace {
  gap: number;
  style: LineStyle;
}

/**
 * After the section's last setting line (its trailing comments and blank lines belong to
 * what follows); in a section without settings, after its last non-blank line; indented
 * like the least-indented setting of the section.
 */
function newKeyPlace(view: KeyView, edits: LineEdits): NewKeyPlace {
  const settings = settingIndents(view);
  const indent = settings.map((s) => s.indent).reduce((a, b) => (b.length < a.length ? b : a), settings[0]?.indent ?? '');
  const style = { indent, spacing: view.syntax.separator };
  if (settings.length > 0) return { gap: settings[settings.length - 1].index + 1, style };
  const block = view.blocks[view.blocks.length - 1];
  const nonBlank = indexesOf([block]).filter((i) => !BLANK.test(view.lines[i].text));
  if (nonBlank.length > 0) return { gap: nonBlank[nonBlank.length - 1] + 1, style };
  // An empty global area: keep a blank line between the new key and the first header, as Puppet does.
  if (block.header === -1 && block.start < view.lines.length && HEADER.test(view.lines[block.start].text)) addInsert(edits, block.start, ['']);
  return { gap: block.start, style };
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
  const flush = (gap: number) => {
    const texts = pending.map((v) => settingText(view.spec.key, style, v, view.syntax));
    // In front of whatever already waits at this gap (the blank line before a first header).
    if (texts.length > 0) edits.inserts.set(gap, [...texts, ...(edits.inserts.get(gap) ?? [])]);
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
    flush(previous ? previous.index + 1 : slot.index);
    previous = slot;
  }
  flush(previous ? previous.index + 1 : first!.gap);
  if (added.length > 0) edits.notes.push(`added ${added.map(say.line).join(', ')} to ${say.where}`);
}

/** A missing section is appended at the end as `[name]` + key, after one blank line unless the file is empty or already ends with one. */
function appendSection(view: KeyView, wanted: string[], edits: LineEdits, say: Wording): void {
  if (wanted.length === 0) return;
  const { lines, spec, syntax } = view;
  const last = lines[lines.length - 1];
  const spacer = last && !BLANK.test(last.text) ? [''] : [];
  const style = { indent: '', spacing: syntax.separator };
  const settings = wanted.map((v) => settingText(spec.key, style, v, syntax));
  addInsert(edits, lines.length, [...spacer, `[${spec.section}]`, ...settings]);
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
  parsed: { parse: parseIni, edit: editIniDoc, text: (doc: IniDoc) => joinLines(doc.lines) },
});
