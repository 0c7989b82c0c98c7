import { ResourceError } from '../engine/diagnostics';
import { insertLines, joinLines, removeLines, splitLines, type Line } from '../engine/lines';
import { countLines, insertPosition, parseAnchor, type Anchor } from './regex';
import { createProperty, textEdit, textKind, type EditOutcome, type TextEdit } from './text-kind';

export interface BlockSpec {
  /** The resource id (a common field): part of the default marker, so blocks of several resources coexist. */
  id: string;
  content?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  after?: string;
  before?: string;
  ensure?: 'present' | 'absent';
  create?: boolean;
}

const DEFAULT_MARKER = '# {mark} REMEDY MANAGED BLOCK {id}';

/** The two marker lines, rendered; they are found in the file by their text without surrounding whitespace. */
interface Markers {
  begin: string;
  end: string;
}

/** Everything the edit needs, derived from the spec alone (validate time and edit time share it). */
interface WantedBlock {
  markers: Markers;
  /** The content's lines; none means the block must not be in the file. */
  lines: string[];
  anchor: Anchor;
  anchorField?: 'after' | 'before';
  template: string;
  /** What `{mark}` becomes on each marker line. */
  marks: Markers;
  /** The template's text after `{mark}`, rendered: how a marker written with another prefix still ends. */
  tail: string;
}

/** Replaces every `key` by `value`, literally (String#replace would expand `$&` in value). */
function fill(template: string, key: string, value: string): string {
  return template.split(key).join(value);
}

/** check() may see a spec whose id the schema check already refused. */
function idOf(spec: BlockSpec): string {
  return typeof spec.id === 'string' ? spec.id : '';
}

function oneLine(text: string | undefined, field: string): void {
  if (text !== undefined && /[\r\n]/.test(text)) throw new ResourceError(`${field} contains a line break; a marker is one line`, `write ${field} on one line`, field);
}

function markersOf(spec: BlockSpec, template: string, marks: Markers): Markers {
  for (const field of ['marker', 'marker_begin', 'marker_end'] as const) oneLine(spec[field], field);
  if (!template.includes('{mark}')) {
    throw new ResourceError(
      `marker '${template}' has no {mark} placeholder, so the BEGIN and END lines would be the same line`,
      `put {mark} where BEGIN and END go, e.g. '${DEFAULT_MARKER}'`,
      'marker',
    );
  }
  const render = (mark: string) => fill(fill(template, '{id}', idOf(spec)), '{mark}', mark);
  const markers = { begin: render(marks.begin), end: render(marks.end) };
  if (markers.begin.trim() === '') throw new ResourceError('the BEGIN marker is blank; it would match every blank line', 'give marker or marker_begin some text', 'marker_begin');
  if (markers.end.trim() === '') throw new ResourceError('the END marker is blank; it would match every blank line', 'give marker or marker_end some text', 'marker_end');
  if (markers.begin.trim() === markers.end.trim()) {
    throw new ResourceError(`the BEGIN and END markers are both '${markers.begin.trim()}'; the block's start and end could not be told apart`, 'make marker_begin and marker_end differ', 'marker_end');
  }
  return markers;
}

/** Python's splitlines: `a\nb\n` is two lines; `""` is none. */
function contentLines(content: string): string[] {
  return splitLines(content).map((l) => l.text);
}

/** A content line equal to a marker would be read back as the block's end (or a second start): refuse it. */
function checkContent(lines: string[], markers: Markers): void {
  const i = lines.findIndex((l) => l.trim() === markers.begin.trim() || l.trim() === markers.end.trim());
  if (i < 0) return;
  const which = lines[i].trim() === markers.begin.trim() ? 'BEGIN' : 'END';
  throw new ResourceError(
    `content line ${i + 1} '${lines[i]}' is the block's own ${which} marker; the next run would read the block back wrongly`,
    'remove that line from content, or set marker to text the content does not contain',
    'content',
  );
}

function anchorOf(spec: BlockSpec): { anchor: Anchor; anchorField?: 'after' | 'before' } {
  const after = parseAnchor(spec.after, 'after');
  const before = parseAnchor(spec.before, 'before');
  if (after && before) throw new ResourceError('after and before are both set; a new block has only one place', 'keep one of them', 'before');
  if (after) return { anchor: after, anchorField: 'after' };
  if (before) return { anchor: before, anchorField: 'before' };
  return { anchor: { kind: 'EOF' } };
}

function wantedBlockOf(spec: BlockSpec): WantedBlock {
  const template = spec.marker ?? DEFAULT_MARKER;
  const marks = { begin: spec.marker_begin ?? 'BEGIN', end: spec.marker_end ?? 'END' };
  const markers = markersOf(spec, template, marks);
  const absent = spec.ensure === 'absent';
  if (!absent && spec.content === undefined) {
    throw new ResourceError('content is required with ensure: present', 'add content: | with the block\'s lines, or set ensure: absent to remove the block', 'content');
  }
  const lines = absent ? [] : contentLines(spec.content!);
  checkContent(lines, markers);
  const tail = fill(template.slice(template.indexOf('{mark}') + '{mark}'.length), '{id}', idOf(spec));
  return { markers, lines, template, marks, tail, ...anchorOf(spec) };
}

/** Validate-time checks: everything that can be known wrong without reading the file. */
function checkBlockSpec(spec: BlockSpec): void {
  wantedBlockOf(spec);
}

/** `line 3` or `lines 3, 10`: 1-based, as editors show them. */
function atLines(indexes: number[]): string {
  return `line${indexes.length === 1 ? '' : 's'} ${indexes.map((i) => i + 1).join(', ')}`;
}

/** Where the block is: first and last marker line (0-based, inclusive). */
interface Found {
  begin: number;
  end: number;
}

function indexesWhere(lines: Line[], text: string): number[] {
  return lines.flatMap((l, i) => (l.text.trim() === text.trim() ? [i] : []));
}

/**
 * The block's one BEGIN/END pair, or undefined when neither marker is there. Anything
 * else (a marker alone, two pairs, END before BEGIN) is refused with its line numbers:
 * remedy never guesses where a damaged block starts or ends.
 */
function locate(lines: Line[], markers: Markers): Found | undefined {
  const begins = indexesWhere(lines, markers.begin);
  const ends = indexesWhere(lines, markers.end);
  if (begins.length === 0 && ends.length === 0) return undefined;
  if (begins.length === 1 && ends.length === 1 && begins[0] < ends[0]) return { begin: begins[0], end: ends[0] };
  throw damaged(begins, ends, markers);
}

function damaged(begins: number[], ends: number[], markers: Markers): ResourceError {
  const fix = 'remedy does not guess which lines belong to the block: fix the file by hand so that it has exactly one BEGIN line followed by one END line, or none';
  if (ends.length === 0) return new ResourceError(`the block's BEGIN marker is at ${atLines(begins)} but its END marker '${markers.end.trim()}' is missing`, fix);
  if (begins.length === 0) return new ResourceError(`the block's END marker is at ${atLines(ends)} but its BEGIN marker '${markers.begin.trim()}' is missing`, fix);
  if (begins.length === 1 && ends.length === 1) return new ResourceError(`the block's END marker (${atLines(ends)}) comes before its BEGIN marker (${atLines(begins)})`, fix);
  return new ResourceError(`the block's markers appear more than once: BEGIN at ${atLines(begins)}, END at ${atLines(ends)}`, fix);
}

/** A marker line as it would be written with another comment prefix, found in the file. */
interface StaleMarker {
  index: number;
  text: string;
  /** What stands before `{mark}` on that line ('; ' for '; BEGIN ...'). */
  prefix: string;
  expected: string;
}

/**
 * A line that ends like this block's marker but is not it (`; BEGIN ... web` when the
 * marker is `# {mark} ... {id}`): the marker changed since the block was written.
 * Only looked for when the marker has text after {mark}, or every line ending in BEGIN would do.
 */
function staleMarker(lines: Line[], want: WantedBlock): StaleMarker | undefined {
  if (want.tail.trim() === '') return undefined;
  const endings = [
    { ending: (want.marks.begin + want.tail).trim(), expected: want.markers.begin.trim() },
    { ending: (want.marks.end + want.tail).trim(), expected: want.markers.end.trim() },
  ];
  for (const [index, line] of lines.entries()) {
    const text = line.text.trim();
    const hit = endings.find((e) => text.endsWith(e.ending));
    if (hit) return { index, text, prefix: text.slice(0, text.length - hit.ending.length), expected: hit.expected };
  }
  return undefined;
}

/** Adding the block next to a stale copy would leave two; removing it would leave the copy: refuse both. */
function refuseStaleMarker(lines: Line[], want: WantedBlock): void {
  const stale = staleMarker(lines, want);
  if (!stale) return;
  const outcome = want.lines.length > 0 ? 'adding the block would leave two copies' : 'removing the block would leave that copy in place';
  throw new ResourceError(
    `line ${stale.index + 1} '${stale.text}' looks like this block's marker written with another prefix (expected '${stale.expected}'); ${outcome}`,
    `set marker: '${stale.prefix}${want.template.slice(want.template.indexOf('{mark}'))}' to manage that block, or remove the old block from the file`,
    'marker',
  );
}

function span(found: Found): string {
  return `lines ${found.begin + 1}-${found.end + 1}`;
}

function unchanged(reason: string): EditOutcome {
  return { reason };
}

/** Pure: the text with the block present (updated in place, or inserted once) or absent, and why. */
export function editBlock(text: string, spec: BlockSpec): TextEdit {
  const want = wantedBlockOf(spec);
  const lines = splitLines(text);
  const found = locate(lines, want.markers);
  if (found === undefined) refuseStaleMarker(lines, want);
  if (want.lines.length === 0) return textEdit(text, removeBlock(lines, found, spec));
  return textEdit(text, found === undefined ? insertBlock(lines, want) : updateBlock(lines, found, want));
}

function removeBlock(lines: Line[], found: Found | undefined, spec: BlockSpec): EditOutcome {
  // Ansible's rule: an empty block is no block.
  const why = spec.ensure === 'absent' ? '' : 'content is empty: ';
  if (found === undefined) return unchanged(`${why}the block is not in the file; nothing to remove`);
  const doomed = Array.from({ length: found.end - found.begin + 1 }, (_, k) => found.begin + k);
  return { text: joinLines(removeLines(lines, doomed)), reason: `${why}removed the block (${span(found)}, ${countLines(doomed.length)} with its markers)` };
}

/** An existing block keeps its place and its marker lines as written; only the lines between them change. */
function updateBlock(lines: Line[], found: Found, want: WantedBlock): EditOutcome {
  const current = lines.slice(found.begin + 1, found.end);
  const anchorNote = want.anchorField ? `; ${want.anchorField} not used` : '';
  if (current.length === want.lines.length && current.every((l, k) => l.text === want.lines[k])) {
    return unchanged(`block already up to date at ${span(found)}${anchorNote}`);
  }
  // The block's own line ending (its BEGIN line always has one, since END follows).
  const eol = lines[found.begin].eol;
  const inner = want.lines.map((t) => ({ text: t, eol }));
  const out = [...lines.slice(0, found.begin + 1), ...inner, ...lines.slice(found.end)];
  const was = current.length === 0 ? 'filled the empty block' : `replaced the block's ${countLines(current.length)}`;
  return { text: joinLines(out), reason: `${was} at ${span(found)} with ${countLines(inner.length)}${anchorNote}` };
}

function insertBlock(lines: Line[], want: WantedBlock): EditOutcome {
  const { at, where } = insertPosition(lines, want.anchor, want.anchorField);
  const block = [want.markers.begin, ...want.lines, want.markers.end];
  return { text: joinLines(insertLines(lines, at, block)), reason: `inserted the block (${countLines(want.lines.length)}) ${where}` };
}

export const blockKind = textKind<BlockSpec>({
  kind: 'block',
  summary: 'Keeps a block of lines between two marker lines present (updated in place) or absent, like Ansible blockinfile.',
  schema: {
    properties: {
      content: {
        type: 'string',
        description:
          'The block\'s lines (a YAML | block; one final newline does not add an empty line). Required with ensure: present. "" removes the block, as in Ansible. No line may equal one of the markers.',
      },
      marker: {
        type: 'string',
        minLength: 1,
        default: DEFAULT_MARKER,
        description: 'Template of the marker lines: {mark} becomes marker_begin / marker_end, {id} the resource id. Markers are whole lines, found without their surrounding whitespace.',
      },
      marker_begin: { type: 'string', minLength: 1, default: 'BEGIN', description: 'What {mark} becomes on the first marker line.' },
      marker_end: { type: 'string', minLength: 1, default: 'END', description: 'What {mark} becomes on the last marker line.' },
      after: {
        type: 'string',
        description: 'Where a new block goes: after the last line matching this regex, or BOF / EOF. Falls back to EOF when it matches no line. Not used when the block is already in the file.',
      },
      before: {
        type: 'string',
        description: 'Where a new block goes: before the first line matching this regex, or BOF / EOF. Not used when the block is already in the file. Cannot be combined with after.',
      },
      ensure: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'present: the block is in the file with exactly content; absent: the block and its markers are removed.' },
      ...createProperty,
    },
  },
  check: checkBlockSpec,
  edit: editBlock,
});
