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
 * sorted by text, so that 10,000 edits do not test every line 10,000 times.
 */
export class LineDoc {
  readonly lines: DocLine[];
  private readonly byText = new Map<string, DocLine[]>();
  /** Lines sorted by their text when the index was made, with those texts. */
  private sorted: { keys: string[]; lines: DocLine[] } | undefined;
  /** Lines changed or added since the index was made: looked at one by one. */
  private readonly since = new Set<DocLine>();
  private scans = 0;

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
    this.since.add(line);
  }

  /** New lines before index `at` (see insertLinesInPlace). */
  insert(at: number, texts: string[]): void {
    const added = insertLinesInPlace(this.lines, at, texts) as DocLine[];
    this.renumber(at);
    for (const l of added) {
      this.addText(l);
      this.since.add(l);
    }
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
    // One look costs a scan; sorting pays from the second on.
    if (!this.sorted && this.scans++ === 0) return this.lines.filter((l) => l.text.startsWith(prefix));
    if (!this.sorted || this.since.size > 64 + Math.sqrt(this.lines.length) * 4) this.makeIndex();
    const { keys, lines } = this.sorted!;
    const found: DocLine[] = [];
    for (let i = lowerBound(keys, prefix); i < keys.length && keys[i].startsWith(prefix); i++) {
      const l = lines[i];
      if (l.at >= 0 && !this.since.has(l)) found.push(l);
    }
    for (const l of this.since) if (l.at >= 0 && l.text.startsWith(prefix)) found.push(l);
    return found.sort((a, b) => a.at - b.at);
  }

  private makeIndex(): void {
    const lines = this.lines.slice().sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    this.sorted = { keys: lines.map((l) => l.text), lines };
    this.since.clear();
  }

  private renumber(from: number): void {
    for (let i = Math.max(0, from); i < this.lines.length; i++) this.lines[i].at = i;
  }

  private addText(line: DocLine): void {
    const list = this.byText.get(line.text);
    if (list) list.push(line);
    else this.byText.set(line.text, [line]);
  }

  private dropText(line: DocLine): void {
    const list = this.byText.get(line.text)!;
    list.splice(list.indexOf(line), 1);
    if (list.length === 0) this.byText.delete(line.text);
  }
}

/** The first index whose key is >= `key`. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
