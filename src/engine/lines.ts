/** A line of a text file and the terminator it had ('' for a last line with none). */
export interface Line {
  text: string;
  eol: string;
}

export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /\r\n|\n|\r/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    lines.push({ text: text.slice(start, m.index), eol: m[0] });
    start = m.index + m[0].length;
  }
  if (start < text.length) lines.push({ text: text.slice(start), eol: '' });
  return lines;
}

export function joinLines(lines: Line[]): string {
  let out = '';
  for (const l of lines) out += l.text + l.eol;
  return out;
}

/** The file's own line ending (the first one it uses), '\n' for a file with none. */
export function dominantEol(lines: Line[]): string {
  return lines.find((l) => l.eol !== '')?.eol ?? '\n';
}

/**
 * Returns a copy of `lines` with new lines inserted before index `at`, in the file's own
 * line ending. A file that did not end with a newline still does not.
 */
export function insertLines(lines: Line[], at: number, texts: string[]): Line[] {
  const out = lines.slice();
  // The last line may get a terminator: a copy, so that `lines` stays as it was.
  if (out.length > 0) out[out.length - 1] = { ...out[out.length - 1] };
  insertLinesInPlace(out, at, texts);
  return out;
}

/** insertLines on `lines` itself; returns the new lines. */
export function insertLinesInPlace(lines: Line[], at: number, texts: string[]): Line[] {
  if (texts.length === 0) return [];
  const eol = dominantEol(lines);
  const added = texts.map((text) => ({ text, eol }));
  const last = lines[lines.length - 1];
  if (at >= lines.length && last && last.eol === '') {
    last.eol = eol;
    // An empty last line without its terminator would not be there at all.
    const final = added[added.length - 1];
    if (final.text !== '') final.eol = '';
  }
  keepLoneCrApart(lines[at - 1], added, lines[at]);
  if (added.length <= 1000) {
    lines.splice(at, 0, ...added);
    return added;
  }
  // Spreading 120,000 lines as arguments would overflow the stack.
  const tail = lines.splice(at);
  for (const l of added) lines.push(l);
  for (const l of tail) lines.push(l);
  return added;
}

/**
 * A lone CR directly followed by an empty LF line reads back as one CRLF: two lines would
 * become one. An inserted line at such a junction ends in CRLF instead.
 */
export function keepLoneCrApart(previous: Line | undefined, added: Line[], next: Line | undefined): void {
  const merges = (a: Line | undefined, b: Line | undefined) => a !== undefined && b !== undefined && a.eol === '\r' && b.text === '' && b.eol === '\n';
  if (merges(previous, added[0])) added[0].eol = '\r\n';
  if (merges(added[added.length - 1], next)) added[added.length - 1].eol = '\r\n';
}

/** Returns a copy of `lines` without the lines at the given indexes; the file keeps its final-newline state. */
export function removeLines(lines: Line[], indexes: Iterable<number>): Line[] {
  const drop = new Set(indexes);
  const out = lines.filter((_, i) => !drop.has(i));
  const hadFinalEol = lines.length === 0 || lines[lines.length - 1].eol !== '';
  const last = out[out.length - 1];
  if (!hadFinalEol && last && last.eol !== '') out[out.length - 1] = { text: last.text, eol: '' };
  return out;
}
