import { dominantEol, keepLoneCrApart, splitLines, type Line } from '../engine/lines';

/**
 * An ini file as blocks (the global area, then one block per header) of lines, edited in
 * place. A line knows its block and its place in it, so an edit touches only its block:
 * inserting a key renumbers the lines after it in its section, never the rest of the file,
 * and a fold of 10,000 edits to one file costs one parse, one join and the edits.
 */
export interface IniLine extends Line {
  block: IniBlock;
  /** Index in block.lines. */
  at: number;
}

export interface IniBlock {
  /** Position among the file's blocks (blocks are only ever appended). */
  order: number;
  /** The section name; undefined for the global area before the first header. */
  name?: string;
  /** The header line first (named blocks), then the body. */
  lines: IniLine[];
  bodyStart: number;
  /** The body's lines by leading word, each list in file order: made at the block's second look, then kept up to date. */
  words?: Map<string, IniLine[]>;
  looks: number;
  /** Facts about the body, by BlockFact key, that edits keep up to date (known undefined: found again on next use). */
  facts: Map<string, { fact: BlockFact; known: Tracked | undefined }>;
}

/** A line the block tracks (the first or last line of some sort, with its capture); null: the block has none. */
export type Tracked = { line: IniLine; capture: string } | null;

/**
 * A fact of a block's body: the line of some sort that wins by `better`. Kept right as
 * lines change: a better line replaces it; the line itself changing or going makes it unknown.
 */
export interface BlockFact {
  key: string;
  /** The capture that ranks a line of this sort, or undefined for a line of another sort. */
  capture(text: string): string | undefined;
  better(line: IniLine, capture: string, than: NonNullable<Tracked>): boolean;
}

export const HEADER = /^[ \t]*\[(.*)\][ \t]*$/;

/** The word a line starts with after its indentation and an optional comment mark: a key line starts with its key. */
const LEADING_WORD = /^[ \t]*(?:[;#][ \t]?)?([\w.-]+)/;

export function leadingWord(text: string): string | undefined {
  return LEADING_WORD.exec(text)?.[1];
}

/** a before b in the file. */
export function before(a: IniLine, b: IniLine): boolean {
  return a.block.order < b.block.order || (a.block === b.block && a.at < b.at);
}

/** New lines before block.lines[at]. */
export interface Gap {
  block: IniBlock;
  at: number;
}

/** The edits of one resource, by line object, applied together. */
export interface LineEdits {
  rewrites: Map<IniLine, string>;
  removals: Set<IniLine>;
  inserts: Map<string, { gap: Gap; texts: string[] }>;
  /** A section appended at the end of the file: its header line and settings, after a blank line when `spacer`. */
  newSection?: { name: string; texts: string[]; spacer: boolean };
  notes: string[];
}

export class IniDoc {
  readonly blocks: IniBlock[] = [];
  private readonly sections = new Map<string, IniBlock[]>();

  constructor(text: string) {
    this.openBlock(undefined);
    for (const line of splitLines(text)) {
      const m = line.text.includes('[') ? HEADER.exec(line.text) : null;
      const block = m ? this.openBlock(m[1]) : this.blocks[this.blocks.length - 1];
      this.place(block, line);
    }
  }

  get global(): IniBlock {
    return this.blocks[0];
  }

  blocksOf(section: string): IniBlock[] {
    return this.sections.get(section) ?? [];
  }

  /** The lines of these blocks (in file order) starting with `word`, in file order. */
  linesStarting(word: string, blocks: IniBlock[]): readonly IniLine[] {
    return blocks.length === 1 ? this.wordIn(blocks[0], word) : blocks.flatMap((b) => this.wordIn(b, word));
  }

  /** One look costs a scan of the block; from the second on, its index pays. */
  private wordIn(block: IniBlock, word: string): readonly IniLine[] {
    if (!block.words && block.looks++ > 0) {
      block.words = new Map();
      for (let i = block.bodyStart; i < block.lines.length; i++) this.indexLine(block.lines[i]);
    }
    if (block.words) return block.words.get(word) ?? [];
    return block.lines.filter((l, i) => i >= block.bodyStart && l.text.includes(word) && leadingWord(l.text) === word);
  }

  lastLine(): IniLine | undefined {
    for (let b = this.blocks.length - 1; b >= 0; b--) {
      const lines = this.blocks[b].lines;
      if (lines.length > 0) return lines[lines.length - 1];
    }
    return undefined;
  }

  /** The 0-based line number of a line in the file (for messages). */
  lineNumber(line: IniLine): number {
    let n = line.at;
    for (let b = 0; b < line.block.order; b++) n += this.blocks[b].lines.length;
    return n;
  }

  /** A fact of the block, found by scanning its body when not known. */
  fact(block: IniBlock, fact: BlockFact): Tracked {
    const kept = block.facts.get(fact.key);
    if (kept?.known !== undefined) return kept.known;
    let known: Tracked = null;
    for (let i = block.bodyStart; i < block.lines.length; i++) known = consider(fact, known, block.lines[i]);
    block.facts.set(fact.key, { fact, known });
    return known;
  }

  text(): string {
    let out = '';
    for (const block of this.blocks) for (const l of block.lines) out += l.text + l.eol;
    return out;
  }

  /**
   * Applies one resource's edits: rewrites in place, then removals and insertions block by
   * block from the bottom up, so that every position still to visit keeps its meaning.
   */
  apply(edits: LineEdits): void {
    const changed = new Map<IniBlock, IniLine[]>();
    const note = (line: IniLine) => {
      const list = changed.get(line.block);
      if (list) list.push(line);
      else changed.set(line.block, [line]);
    };
    for (const [line, text] of edits.rewrites) {
      this.unindexLine(line);
      line.text = text;
      this.indexLine(line);
      note(line);
    }
    const removed = new Set<IniLine>();
    const byBlock = new Map<IniBlock, { at: number; remove?: IniLine; texts?: string[] }[]>();
    const stepsOf = (block: IniBlock) => byBlock.get(block) ?? byBlock.set(block, []).get(block)!;
    for (const line of edits.removals) stepsOf(line.block).push({ at: line.at, remove: line });
    for (const { gap, texts } of edits.inserts.values()) stepsOf(gap.block).push({ at: gap.at, texts });
    const order = [...byBlock.keys()].sort((a, b) => b.order - a.order);
    for (const block of order) {
      // At one position the removal goes first and the new lines take the removed line's place.
      const steps = byBlock.get(block)!.sort((a, b) => b.at - a.at || (a.remove ? -1 : 1));
      for (const step of steps) {
        if (step.remove) {
          this.removeLine(step.remove);
          removed.add(step.remove);
        }
        if (step.texts) for (const line of this.insertLines({ block, at: step.at }, step.texts)) note(line);
      }
      this.renumber(block, steps[steps.length - 1].at);
    }
    for (const line of removed) this.unindexLine(line);
    if (edits.newSection) this.appendSection(edits.newSection);
    for (const [block, lines] of changed) for (const line of lines) if (!removed.has(line) && line.block === block) this.indexLine(line);
    this.updateFacts(changed, removed);
  }

  private openBlock(name: string | undefined): IniBlock {
    const block: IniBlock = { order: this.blocks.length, name, lines: [], bodyStart: name === undefined ? 0 : 1, looks: 0, facts: new Map() };
    this.blocks.push(block);
    if (name !== undefined) {
      const list = this.sections.get(name);
      if (list) list.push(block);
      else this.sections.set(name, [block]);
    }
    return block;
  }

  private place(block: IniBlock, line: Line): IniLine {
    const placed = line as IniLine;
    placed.block = block;
    placed.at = block.lines.length;
    block.lines.push(placed);
    return placed;
  }

  /** Lines of block with at >= from get their index again (after a splice). */
  private renumber(block: IniBlock, from: number): void {
    for (let i = Math.max(0, from); i < block.lines.length; i++) block.lines[i].at = i;
  }

  private indexLine(line: IniLine): void {
    const words = line.block.words;
    const word = words && line.at >= line.block.bodyStart ? leadingWord(line.text) : undefined;
    if (word === undefined) return;
    const list = words!.get(word);
    if (!list) return void words!.set(word, [line]);
    let at = list.length;
    while (at > 0 && before(line, list[at - 1])) at--;
    if (list[at - 1] !== line) list.splice(at, 0, line);
  }

  private unindexLine(line: IniLine): void {
    const word = line.block.words && leadingWord(line.text);
    const list = word ? line.block.words!.get(word) : undefined;
    const at = list ? list.lastIndexOf(line) : -1;
    if (at >= 0) list!.splice(at, 1);
  }

  /** Removes a line; a file without a final newline still has none. */
  private removeLine(line: IniLine): void {
    const last = this.lastLine();
    line.block.lines.splice(line.at, 1);
    const now = this.lastLine();
    if (last !== line || !now || now.eol === '' || line.eol !== '') return;
    now.eol = '';
    // An empty last line without its terminator is no line at all: a fresh parse would not see it.
    if (now.text === '') now.block.lines.pop();
  }

  /**
   * New lines at the gap, in the file's own line ending. A file that did not end with a
   * newline still does not. Returns them, not yet indexed.
   */
  private insertLines(gap: Gap, texts: string[]): IniLine[] {
    const eol = this.eol();
    const added: Line[] = texts.map((text) => ({ text, eol }));
    const previous = this.lineBefore(gap);
    if (previous && previous.eol === '') {
      // Only the file's last line lacks a terminator, so the gap is at the end of the file.
      previous.eol = eol;
      const final = added[added.length - 1];
      if (final.text !== '') final.eol = '';
    }
    keepLoneCrApart(previous, added, gap.block.lines[gap.at] ?? this.firstLineAfter(gap.block));
    const placed = added.map((l, i) => Object.assign(l, { block: gap.block, at: gap.at + i }) as IniLine);
    // Spreading 120,000 lines as arguments would overflow the stack; a few go in place.
    if (placed.length <= 1000) gap.block.lines.splice(gap.at, 0, ...placed);
    else gap.block.lines = gap.block.lines.slice(0, gap.at).concat(placed, gap.block.lines.slice(gap.at));
    return placed;
  }

  /** The new lines go in at the end of the file together (one final-newline rule), then the header and settings move to their block. */
  private appendSection({ name, texts, spacer }: NonNullable<LineEdits['newSection']>): void {
    const last = this.blocks[this.blocks.length - 1];
    const added = this.insertLines({ block: last, at: last.lines.length }, spacer ? ['', ...texts] : texts);
    const moved = added.slice(spacer ? 1 : 0);
    last.lines.length -= moved.length;
    const block = this.openBlock(name);
    for (const line of moved) this.indexLine(this.place(block, line));
  }

  /** The line just before a gap: in its block, or the last line of an earlier block. */
  private lineBefore(gap: Gap): IniLine | undefined {
    if (gap.at > 0) return gap.block.lines[gap.at - 1];
    for (let b = gap.block.order - 1; b >= 0; b--) {
      const lines = this.blocks[b].lines;
      if (lines.length > 0) return lines[lines.length - 1];
    }
    return undefined;
  }

  private firstLineAfter(block: IniBlock): IniLine | undefined {
    for (let b = block.order + 1; b < this.blocks.length; b++) if (this.blocks[b].lines.length > 0) return this.blocks[b].lines[0];
    return undefined;
  }

  /** The file's own line ending: the first one it uses, '\n' for a file with none. */
  private eol(): string {
    for (const block of this.blocks) if (block.lines.length > 0) return dominantEol(block.lines);
    return '\n';
  }

  /** A changed or removed tracked line makes its fact unknown; a changed line may become the tracked one. */
  private updateFacts(changed: Map<IniBlock, IniLine[]>, removed: Set<IniLine>): void {
    const touched = new Set([...changed.keys(), ...[...removed].map((l) => l.block)]);
    for (const block of touched) {
      for (const kept of block.facts.values()) {
        let known = kept.known;
        if (known === undefined) continue;
        if (known && (removed.has(known.line) || changed.get(block)?.includes(known.line))) {
          kept.known = undefined;
          continue;
        }
        for (const line of changed.get(block) ?? []) if (!removed.has(line)) known = consider(kept.fact, known, line);
        kept.known = known;
      }
    }
  }
}

function consider(fact: BlockFact, known: Tracked, line: IniLine): Tracked {
  const capture = fact.capture(line.text);
  if (capture === undefined) return known;
  return known === null || fact.better(line, capture, known) ? { line, capture } : known;
}
