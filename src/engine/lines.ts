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
  if (texts.length === 0) return lines.slice();
  const eol = dominantEol(lines);
  const out = lines.slice();
  const added = texts.map((text) => ({ text, eol }));
  const last = out[out.length - 1];
  if (at >= out.length && last && last.eol === '') {
    out[out.length - 1] = { text: last.text, eol };
    // An empty last line without its terminator would not be there at all.
    const final = added[added.length - 1];
    if (final.text !== '') added[added.length - 1] = { text: final.text, eol: '' };
  }
  // concat, not splice(at, 0, ...added): spreading 120,000 lines as arguments overflows the stack.
  return keepLoneCrApart(out.slice(0, at).concat(added, out.slice(at)), at, at + added.length);
}

/**
 * A lone CR directly followed by an empty LF line reads back as one CRLF: two lines would
 * become one. The inserted line at such a junction (lines[from], lines[to - 1]) ends in CRLF instead.
 */
function keepLoneCrApart(lines: Line[], from: number, to: number): Line[] {
  const merges = (i: number) => i > 0 && i < lines.length && lines[i - 1].eol === '\r' && lines[i].text === '' && lines[i].eol === '\n';
  if (merges(from)) lines[from] = { text: '', eol: '\r\n' };
  if (merges(to)) lines[to - 1] = { text: lines[to - 1].text, eol: '\r\n' };
  return lines;
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

/** Replaces the text of line i, keeping its terminator. */
export function replaceLineText(lines: Line[], i: number, text: string): Line[] {
  const out = lines.slice();
  out[i] = { text, eol: lines[i].eol };
  return out;
}
