import { insertLinesInPlace, joinLines, splitLines, type Line } from '../engine/lines';
import type { Regex } from './regex';

/** A line that knows its index in the file (kept right as lines come and go). */
export interface DocLine extends Line {
  at: number;
}

/**
 * A text file as lines, edited in place, for a fold of many line edits to one file: lines
 * are found by exact text through a map, and by regex through the literal text every match
 * must start with (`^memory_limit\s*=` starts with `memory_limit`), looked up in an index
 * of lines by their first characters, so that 10,000 edits do not test every line 10,000 times.
 */
export class LineDoc {
  readonly lines: DocLine[];
  private readonly byText = new Map<string, DocLine[]>();
  /** Lines by their first n characters, for each prefix length n that regexes asked for twice. */
  private readonly byPrefix = new Map<number, Map<string, Set<DocLine>>>();
  private readonly asked = new Map<number, number>();

  constructor(text: string) {
    this.lines = splitLines(text) as DocLine[];
    this.lines.forEach((l, i) => {
      l.at = i;
      this.addText(l);
    });
  }

  text(): string {
    return joinLines(this.lines);
  }

  /** The lines equal to `text`, in file order. */
  withText(text: string): DocLine[] {
    return [...(this.byText.get(text) ?? [])].sort((a, b) => a.at - b.at);
  }

  /** The lines the regex matches, in file order. */
  matching(regex: Regex): DocLine[] {
    const prefix = regex.linePrefix();
    const candidates = prefix === '' ? this.lines : this.startingWith(prefix);
    return candidates.filter((l) => regex.test(l.text));
  }

  replace(line: DocLine, text: string): void {
    this.dropText(line);
    line.text = text;
    this.addText(line);
  }

  /** New lines before index `at` (see insertLinesInPlace). */
  insert(at: number, texts: string[]): void {
    const added = insertLinesInPlace(this.lines, at, texts) as DocLine[];
    this.renumber(at);
    for (const l of added) this.addText(l);
  }

  /** Removes lines; a file without a final newline still has none. */
  remove(doomed: DocLine[]): void {
    if (doomed.length === 0) return;
    const drop = new Set(doomed);
    const last = this.lines[this.lines.length - 1];
    const hadFinalEol = last === undefined || last.eol !== '';
    const first = doomed.reduce((min, l) => Math.min(min, l.at), Infinity);
    let kept = first;
    for (let i = first; i < this.lines.length; i++) if (!drop.has(this.lines[i])) this.lines[kept++] = this.lines[i];
    this.lines.length = kept;
    for (const l of doomed) {
      this.dropText(l);
      l.at = -1;
    }
    this.renumber(first);
    const now = this.lines[this.lines.length - 1];
    if (hadFinalEol || !now || now.eol === '') return;
    now.eol = '';
    // An empty last line without its terminator is no line at all: a fresh split would not see it.
    if (now.text === '') this.remove([now]);
  }

  /** Lines whose text starts with `prefix`, in file order. */
  private startingWith(prefix: string): DocLine[] {
    const index = this.prefixIndex(prefix.length);
    if (!index) return this.lines.filter((l) => l.text.startsWith(prefix));
    const [length, byPrefix] = index;
    const found = [...(byPrefix.get(prefix.slice(0, length)) ?? [])];
    return (length < prefix.length ? found.filter((l) => l.text.startsWith(prefix)) : found).sort((a, b) => a.at - b.at);
  }

  /**
   * The index of lines by their first `length` characters, or the longest shorter one made
   * already; undefined the first time a length is asked for (one look is cheaper as a scan).
   */
  private prefixIndex(length: number): [number, Map<string, Set<DocLine>>] | undefined {
    const made = this.byPrefix.get(length);
    if (made) return [length, made];
    const asked = this.asked.get(length) ?? 0;
    this.asked.set(length, asked + 1);
    if (asked > 0 && this.byPrefix.size < MAX_PREFIX_LENGTHS) {
      const index = new Map<string, Set<DocLine>>();
      this.byPrefix.set(length, index);
      for (const l of this.lines) addTo(index, l, length);
      return [length, index];
    }
    const shorter = Math.max(0, ...[...this.byPrefix.keys()].filter((k) => k < length));
    return shorter > 0 ? [shorter, this.byPrefix.get(shorter)!] : undefined;
  }

  private renumber(from: number): void {
    for (let i = Math.max(0, from); i < this.lines.length; i++) this.lines[i].at = i;
  }

  private addText(line: DocLine): void {
    const list = this.byText.get(line.text);
    if (list) list.push(line);
    else this.byText.set(line.text, [line]);
    for (const [length, index] of this.byPrefix) addTo(index, line, length);
  }

  private dropText(line: DocLine): void {
    const list = this.byText.get(line.text)!;
    list.splice(list.indexOf(line), 1);
    if (list.length === 0) this.byText.delete(line.text);
    for (const [length, index] of this.byPrefix) if (line.text.length >= length) index.get(line.text.slice(0, length))!.delete(line);
  }
}

/** Prefix lengths indexed at most (each costs a map entry per line); longer prefixes use the longest shorter index. */
const MAX_PREFIX_LENGTHS = 8;

function addTo(index: Map<string, Set<DocLine>>, line: DocLine, length: number): void {
  if (line.text.length < length) return;
  const key = line.text.slice(0, length);
  const set = index.get(key);
  if (set) set.add(line);
  else index.set(key, new Set([line]));
}
