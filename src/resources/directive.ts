import * as path from 'node:path';
import { ResourceError } from '../engine/diagnostics';
import { insertLines, joinLines, removeLines, splitLines, type Line } from '../engine/lines';
import type { TransformContext } from '../engine/types';
import { createProperty, textKind, type TextEdit } from './text-kind';

export interface DirectiveSpec {
  key: string;
  value?: string;
  values?: string[];
  ensure?: 'present' | 'absent';
  /** The block the key belongs to (`Match User backup`, `<Directory /var/www/>`); default: outside every block. */
  scope?: string;
  syntax?: 'ssh' | 'apache';
  create?: boolean;
}

/** `<indent>Keyword<separator>value`: sshd takes `Key value`, `Key=value` and `Key = value`. */
const DIRECTIVE = /^([ \t]*)([A-Za-z][A-Za-z0-9_.-]*)([ \t]*=[ \t]*|[ \t]+|(?=[ \t]*$))(.*?)([ \t]*)$/;
const SSH_BLOCK = /^(match|host)$/i;
const APACHE_OPEN = /^[ \t]*<([A-Za-z][\w.-]*)([^>]*)>[ \t]*$/;
const APACHE_CLOSE = /^[ \t]*<\/([A-Za-z][\w.-]*)[ \t]*>[ \t]*$/;
/** Where sshd and ssh look for an Include given without an absolute path. */
const SSH_INCLUDE_DIR = '/etc/ssh';

/** One active `Keyword value` line. */
interface Directive {
  index: number;
  indent: string;
  keyword: string;
  separator: string;
  value: string;
  trailing: string;
}

/** A block's lines: those directly in it (an Apache section's nested sections and its close are its parent's). */
interface Region {
  /** The block's header line, -1 outside every block. */
  header: number;
  lines: number[];
}

function directiveOf(lines: Line[], index: number): Directive | undefined {
  const m = DIRECTIVE.exec(lines[index].text);
  return m ? { index, indent: m[1], keyword: m[2], separator: m[3], value: m[4], trailing: m[5] } : undefined;
}

const sameWords = (a: string, b: string) => a.trim().split(/\s+/).join(' ') === b.trim().split(/\s+/).join(' ');

/** A block header as its words, keyword lowercased and quotes dropped: `Match User backup` -> `match user backup`. */
function headerWords(keyword: string, args: string): string {
  return [keyword.toLowerCase(), ...args.replace(/"/g, '').trim().split(/\s+/).filter(Boolean)].join(' ');
}

/** The scope as users write it, in headerWords form (`<Directory "/var/www/">` and `Directory /var/www/` are the same). */
function scopeWords(scope: string): string {
  const inner = scope.trim().replace(/^<(.*)>$/, '$1');
  const [keyword, ...args] = inner.split(/\s+/);
  return headerWords(keyword, args.join(' '));
}

/** Every region of the file: the top level first, then each block in file order. */
function regionsOf(lines: Line[], syntax: 'ssh' | 'apache'): Region[] {
  return syntax === 'ssh' ? sshRegions(lines) : apacheRegions(lines);
}

/** sshd_config / ssh_config: a Match or Host line starts a block that runs to the next one. */
function sshRegions(lines: Line[]): Region[] {
  const regions: Region[] = [{ header: -1, lines: [] }];
  for (let i = 0; i < lines.length; i++) {
    const d = directiveOf(lines, i);
    if (d && SSH_BLOCK.test(d.keyword)) regions.push({ header: i, lines: [] });
    else regions[regions.length - 1].lines.push(i);
  }
  return regions;
}

/** Apache: `<Section args>` ... `</Section>`, nested; a line belongs to the innermost open section. */
function apacheRegions(lines: Line[]): Region[] {
  const top: Region = { header: -1, lines: [] };
  const regions: Region[] = [top];
  const open: Region[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].text;
    const current = open[open.length - 1] ?? top;
    if (APACHE_OPEN.test(text)) {
      current.lines.push(i);
      const section: Region = { header: i, lines: [] };
      regions.push(section);
      open.push(section);
    } else if (APACHE_CLOSE.test(text) && open.length > 0) {
      open.pop();
      (open[open.length - 1] ?? top).lines.push(i);
    } else current.lines.push(i);
  }
  if (open.length > 0) throw new ResourceError(`<${APACHE_OPEN.exec(lines[open[open.length - 1].header].text)![1]}> at line ${open[open.length - 1].header + 1} is never closed`, 'fix the file first: every <Section> needs its </Section>');
  return regions;
}

function headerOf(lines: Line[], region: Region, syntax: 'ssh' | 'apache'): string {
  if (syntax === 'ssh') {
    const d = directiveOf(lines, region.header)!;
    return headerWords(d.keyword, d.value);
  }
  const m = APACHE_OPEN.exec(lines[region.header].text)!;
  return headerWords(m[1], m[2]);
}

function regionFor(lines: Line[], spec: DirectiveSpec, syntax: 'ssh' | 'apache'): Region | undefined {
  const regions = regionsOf(lines, syntax);
  if (spec.scope === undefined) return regions[0];
  const wanted = scopeWords(spec.scope);
  return regions.find((r) => r.header >= 0 && headerOf(lines, r, syntax) === wanted);
}

/** The region's active lines for the key, in file order (keywords are case-insensitive). */
function occurrences(lines: Line[], region: Region, key: string): Directive[] {
  const lower = key.toLowerCase();
  return region.lines.flatMap((i) => {
    const d = directiveOf(lines, i);
    return d && d.keyword.toLowerCase() === lower ? [d] : [];
  });
}

/**
 * A commented default of the key in the region: `#PermitRootLogin prohibit-password`, a
 * `#` directly followed by the keyword. Prose (`# Change to yes ...`) has a space after
 * the `#`; the lines after a commented example block (`#Match User anoncvs`) belong to it.
 */
function commentedCopy(lines: Line[], region: Region, key: string, syntax: 'ssh' | 'apache'): Directive | undefined {
  const lower = key.toLowerCase();
  for (const i of region.lines) {
    const m = /^([ \t]*)#(?=[A-Za-z<])/.exec(lines[i].text);
    if (!m) continue;
    const d = directiveOf([{ text: m[1] + lines[i].text.slice(m[0].length), eol: '' }], 0);
    if (syntax === 'ssh' && d && SSH_BLOCK.test(d.keyword)) return undefined;
    if (d && d.keyword.toLowerCase() === lower) return { ...d, index: i };
  }
  return undefined;
}

function rewrite(d: Directive, value: string): string {
  return `${d.indent}${d.keyword}${d.separator === '' ? ' ' : d.separator}${value}${d.trailing}`;
}

/** The indentation of a block's lines: its own, or the file's first indented directive, or four spaces. */
function indentFor(lines: Line[], region: Region, syntax: 'ssh' | 'apache'): string {
  if (region.header < 0) return '';
  const own = region.lines.map((i) => directiveOf(lines, i)).find((d) => d !== undefined);
  if (own) return own.indent;
  const headerIndent = /^[ \t]*/.exec(lines[region.header].text)![0];
  if (syntax === 'apache') return headerIndent + (headerIndent.startsWith('\t') ? '\t' : '    ');
  return lines.map((_, i) => directiveOf(lines, i)).find((d) => d && d.indent !== '')?.indent ?? '    ';
}

/** Where a new line of the region goes: after its last directive, else right after its header. */
function insertionPoint(lines: Line[], region: Region, syntax: 'ssh' | 'apache'): number {
  const last = [...region.lines].reverse().find((i) => directiveOf(lines, i) !== undefined);
  if (last !== undefined) return last + 1;
  if (region.header >= 0) return region.header + 1;
  // Top level without directives: before the first block, else at the end.
  const firstBlock = syntax === 'ssh' ? sshRegions(lines)[1]?.header : region.lines.find((i) => APACHE_OPEN.test(lines[i].text));
  return firstBlock ?? lines.length;
}

/** A missing block, appended at the end: its header, the key, and the close for Apache. */
function newBlock(lines: Line[], spec: DirectiveSpec, syntax: 'ssh' | 'apache', entries: string[]): Line[] {
  const inner = spec.scope!.trim().replace(/^<(.*)>$/, '$1');
  const indent = syntax === 'ssh' ? (lines.map((_, i) => directiveOf(lines, i)).find((d) => d && d.indent !== '')?.indent ?? '    ') : '    ';
  const block = [syntax === 'ssh' ? inner : `<${inner}>`, ...entries.map((e) => indent + e), ...(syntax === 'apache' ? [`</${inner.split(/\s+/)[0]}>`] : [])];
  const endsBlank = lines.length === 0 || lines[lines.length - 1].text.trim() === '';
  return insertLines(lines, lines.length, endsBlank ? block : ['', ...block]);
}

/**
 * sshd and ssh read Include files where the line is; a relative pattern is under /etc/ssh.
 * Their glob(3) has no `**`: it is one `*`, so a hostile `Include /**` cannot make remedy walk the tree.
 */
function includedFiles(include: Directive, ctx: TransformContext): { path: string; lines: Line[] }[] {
  return include.value
    .split(/\s+/)
    .filter(Boolean)
    .map((pattern) => pattern.replace(/\*{2,}/g, '*'))
    .flatMap((pattern) => ctx.readManaged(path.posix.isAbsolute(pattern) ? pattern : path.posix.join(SSH_INCLUDE_DIR, pattern)))
    .map((f) => ({ path: f.path, lines: splitLines(f.content) }));
}

/** The first drop-in setting of the key that sshd reads before line `before` of the top level. */
function earlierDropIn(lines: Line[], top: Region, key: string, before: number, ctx: TransformContext): { path: string; line: number; value: string; include: number } | undefined {
  for (const include of occurrences(lines, top, 'Include').filter((d) => d.index < before)) {
    for (const file of includedFiles(include, ctx)) {
      const found = occurrences(file.lines, sshRegions(file.lines)[0], key)[0];
      if (found) return { path: file.path, line: found.index + 1, value: found.value, include: include.index + 1 };
    }
  }
  return undefined;
}

/** sshd keeps the first value of a key, Apache the last. */
function effectiveOf(found: Directive[], syntax: 'ssh' | 'apache'): Directive | undefined {
  return syntax === 'ssh' ? found[0] : found[found.length - 1];
}

function setValue(text: string, spec: DirectiveSpec, ctx: TransformContext): TextEdit {
  const syntax = spec.syntax ?? 'ssh';
  const lines = splitLines(text);
  const value = spec.value!;
  const region = regionFor(lines, spec, syntax);
  if (!region) return { text: joinLines(newBlock(lines, spec, syntax, [`${spec.key} ${value}`])), reason: `add ${spec.scope} with ${spec.key} ${value}` };
  const effective = effectiveOf(occurrences(lines, region, spec.key), syntax);
  const copy = effective ? undefined : commentedCopy(lines, region, spec.key, syntax);
  const at = effective?.index ?? copy?.index ?? insertionPoint(lines, region, syntax);
  if (syntax === 'ssh' && region.header < 0) {
    const dropIn = earlierDropIn(lines, region, spec.key, at, ctx);
    if (dropIn && sameWords(dropIn.value, value)) return { text, reason: `${spec.key} is already ${value} (set by ${dropIn.path}:${dropIn.line}, included first)` };
    if (dropIn) {
      throw new ResourceError(
        `${spec.key} is set to '${dropIn.value}' by ${dropIn.path}:${dropIn.line}, which the Include at line ${dropIn.include} reads first, and the first value wins: a line in this file would not take effect`,
        `manage ${spec.key} in that drop-in (a directive resource with path: ${dropIn.path}), or remove it there`,
        'key',
      );
    }
  }
  const where = spec.scope ? ` in ${spec.scope}` : '';
  if (effective && sameWords(effective.value, value)) return { text, reason: `${spec.key} is already ${value}${where}` };
  const out = lines.slice();
  if (effective) {
    out[effective.index] = { ...out[effective.index], text: rewrite(effective, value) };
    return { text: joinLines(out), reason: `set ${spec.key} ${value}${where} (was ${effective.value})` };
  }
  if (copy) {
    out[copy.index] = { ...out[copy.index], text: rewrite(copy, value) };
    return { text: joinLines(out), reason: `uncomment ${spec.key} and set it to ${value}${where}` };
  }
  return { text: joinLines(insertLines(lines, at, [`${indentFor(lines, region, syntax)}${spec.key} ${value}`])), reason: `add ${spec.key} ${value}${where}` };
}

/** A repeated keyword (HostKey, AcceptEnv, Listen): its lines in the region are exactly `values`, in order. */
function setValues(text: string, spec: DirectiveSpec, ctx: TransformContext): TextEdit {
  const syntax = spec.syntax ?? 'ssh';
  const wanted = spec.values!;
  const lines = splitLines(text);
  const region = regionFor(lines, spec, syntax);
  if (!region) return { text: joinLines(newBlock(lines, spec, syntax, wanted.map((v) => `${spec.key} ${v}`))), reason: `add ${spec.scope} with ${wanted.length} ${spec.key} lines` };
  const found = occurrences(lines, region, spec.key);
  if (found.length === 0) {
    if (wanted.length === 0) return { text, reason: `${spec.key} is already unset` };
    // The first value takes the place a single value would (a commented default, else the end); the rest follow it.
    const first = setValue(text, { ...spec, value: wanted[0], values: undefined }, ctx);
    const after = splitLines(first.text);
    const placed = occurrences(after, regionFor(after, spec, syntax)!, spec.key)[0];
    const rest = wanted.slice(1).map((v) => `${placed.indent}${spec.key} ${v}`);
    return { text: joinLines(insertLines(after, placed.index + 1, rest)), reason: `set ${spec.key} to ${wanted.join(', ')}` };
  }
  if (found.length === wanted.length && found.every((d, i) => sameWords(d.value, wanted[i]))) return { text, reason: `${spec.key} is already ${wanted.join(', ')}` };
  const out = lines.slice();
  found.slice(0, wanted.length).forEach((d, i) => (out[d.index] = { ...out[d.index], text: rewrite(d, wanted[i]) }));
  const last = found[Math.min(found.length, wanted.length) - 1];
  const added = wanted.slice(found.length).map((v) => `${last?.indent ?? ''}${spec.key} ${v}`);
  const kept = removeLines(out, found.slice(wanted.length).map((d) => d.index));
  const insertAt = last ? last.index + 1 : found[0].index;
  return { text: joinLines(insertLines(kept, insertAt, added)), reason: `set ${spec.key} to ${wanted.join(', ') || 'nothing'} (was ${found.map((d) => d.value).join(', ')})` };
}

function removeKey(text: string, spec: DirectiveSpec): TextEdit {
  const syntax = spec.syntax ?? 'ssh';
  const lines = splitLines(text);
  const region = regionFor(lines, spec, syntax);
  const found = region ? occurrences(lines, region, spec.key).filter((d) => !spec.values || spec.values.some((v) => sameWords(v, d.value))) : [];
  if (found.length === 0) return { text, reason: `${spec.key} is already absent${spec.scope ? ` from ${spec.scope}` : ''}` };
  return { text: joinLines(removeLines(lines, found.map((d) => d.index))), reason: `remove ${found.length === 1 ? `${spec.key} ${found[0].value}` : `${found.length} ${spec.key} lines`}` };
}

export function editDirective(text: string, spec: DirectiveSpec, ctx: TransformContext): TextEdit {
  if (spec.ensure === 'absent') return removeKey(text, spec);
  return spec.values ? setValues(text, spec, ctx) : setValue(text, spec, ctx);
}

function checkDirectiveSpec(spec: DirectiveSpec): void {
  const absent = spec.ensure === 'absent';
  if (spec.value !== undefined && spec.values !== undefined) throw new ResourceError('value and values are both given', 'use value for a keyword set once, values for a repeated one (HostKey, AcceptEnv)', 'values');
  if (!absent && spec.value === undefined && spec.values === undefined) throw new ResourceError('ensure: present needs value or values', 'give the value the keyword must have', 'value');
  if (absent && spec.value !== undefined) throw new ResourceError('ensure: absent removes every line of the keyword, so value must not be given', 'drop value (values: [...] removes only those values)', 'value');
  if (absent && spec.create) throw new ResourceError('create: true with ensure: absent would create a file only to remove from it', 'drop create', 'create');
  const syntax = spec.syntax ?? 'ssh';
  if (syntax === 'ssh' && SSH_BLOCK.test(spec.key)) throw new ResourceError(`${spec.key} starts a block; it is not a key`, `name the block with scope: "${spec.key} ..." and the key inside it with key`, 'key');
  for (const v of [spec.value, ...(spec.values ?? [])]) {
    if (v !== undefined && /[\r\n]/.test(v)) throw new ResourceError('a value cannot hold a line break', 'give one line; use values for several lines of the keyword', spec.value !== undefined ? 'value' : 'values');
  }
}

export const directiveKind = textKind<DirectiveSpec>({
  kind: 'directive',
  summary: 'One keyword of a `Keyword value` file with blocks (sshd_config, ssh_config, Apache), first-match-wins aware',
  schema: {
    properties: {
      key: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.-]*$', description: 'The keyword, matched case-insensitively: PermitRootLogin, ServerTokens.' },
      value: { type: 'string', description: 'The value the keyword must have (its arguments, as one string).' },
      values: { type: 'array', items: { type: 'string' }, description: 'For a repeated keyword (HostKey, AcceptEnv, Listen): its lines in the scope are exactly these, in order.' },
      ensure: { enum: ['present', 'absent'], description: 'present (default) sets the keyword; absent removes its lines in the scope.' },
      scope: { type: 'string', minLength: 1, description: 'The block: "Match User backup", "Host *.example.org", "<Directory /var/www/>". Default: the top level, outside every block.' },
      syntax: { enum: ['ssh', 'apache'], description: 'ssh (default): Match/Host blocks, the first value wins, Include drop-ins are read. apache: <Section> blocks, the last value wins.' },
      ...createProperty,
    },
    required: ['key'],
  },
  check: checkDirectiveSpec,
  edit: editDirective,
});
