import type { StructuredPatchHunk } from 'diff';

/** Lines (each with its '\n', if it has one) that both sides share, or that one side removes or adds. */
interface Run {
  lines: string[];
  added?: boolean;
  removed?: boolean;
}

type DiffArrays = typeof import('diff').diffArrays;

const CONTEXT = 3;
/**
 * Myers' diff costs O(lines x changed lines): fine for a few edits, minutes for 10,000 edits
 * to one file. Past this many changed lines, lines found once on each side anchor the diff
 * (patience diff) and only the short gaps between anchors go through Myers.
 */
const MAX_EDIT_LENGTH = 1000;

/** A unified diff with 3 lines of context, as `diff -u` and jsdiff's createTwoFilesPatch write it. */
export function unifiedPatch(oldName: string, newName: string, before: string, after: string): string {
  // Loaded lazily: runs that change nothing never diff.
  const { diffArrays, formatPatch, FILE_HEADERS_ONLY } = require('diff') as typeof import('diff');
  const { head, bodyBefore, bodyAfter } = trimCommonLines(before, after);
  const context = linesOf(lastLines(head, CONTEXT));
  const runs = mergeRuns([{ lines: context }, ...lineRuns(linesOf(bodyBefore), linesOf(bodyAfter), diffArrays)]);
  const hunks = hunksOf(runs, 1 + countLines(head) - context.length);
  return formatPatch({ oldFileName: oldName, newFileName: newName, oldHeader: '', newHeader: '', hunks }, FILE_HEADERS_ONLY);
}

/**
 * Lines of the common suffix left in the diffed body: Myers aligns a change inside a run of
 * repeated lines as it sees them, and keeping these lines keeps its choice (and jsdiff's patch).
 * They also close the last hunk as the rest of the file would.
 */
const SUFFIX_MARGIN = 1000;
const CHUNK = 1 << 16;

/**
 * The common whole-line prefix of two texts and what follows it, less the common whole-line
 * suffix beyond SUFFIX_MARGIN lines: a one-line change to a 200 MB file diffs a thousand lines,
 * not 2 million. Myers starts by following the common prefix, so cutting it off changes nothing.
 */
function trimCommonLines(a: string, b: string): { head: string; bodyBefore: string; bodyAfter: string } {
  const differ = firstDifference(a, b);
  // lastIndexOf clamps a negative start to 0, where it would find a first line end.
  const start = differ === 0 ? 0 : a.lastIndexOf('\n', differ - 1) + 1;
  const common = commonSuffixLength(a, b, Math.min(a.length, b.length) - start);
  // The tail starts at a line start in both texts: after a line end inside the common suffix, or at `start`.
  let cut = a.length - common;
  if (cut !== start) cut = a.indexOf('\n', cut) + 1 || a.length;
  for (let kept = 0; kept < SUFFIX_MARGIN && cut < a.length; kept++) cut = a.indexOf('\n', cut) + 1 || a.length;
  const tail = a.length - cut;
  return { head: a.slice(0, start), bodyBefore: a.slice(start, a.length - tail), bodyAfter: b.slice(start, b.length - tail) };
}

/** The last n lines of a text that ends with a line end (or is empty). */
function lastLines(text: string, n: number): string {
  let at = text.length;
  for (let k = 0; k < n && at > 0; k++) at = at < 2 ? 0 : text.lastIndexOf('\n', at - 2) + 1;
  return text.slice(at);
}

function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i + CHUNK <= n && a.slice(i, i + CHUNK) === b.slice(i, i + CHUNK)) i += CHUNK;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function commonSuffixLength(a: string, b: string, limit: number): number {
  let k = 0;
  while (k + CHUNK <= limit && a.slice(a.length - k - CHUNK, a.length - k) === b.slice(b.length - k - CHUNK, b.length - k)) k += CHUNK;
  while (k < limit && a.charCodeAt(a.length - 1 - k) === b.charCodeAt(b.length - 1 - k)) k++;
  return k;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}


/** Lines as jsdiff's diffLines cuts them: each keeps its '\n' (a '\r' before it stays in the line). */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function lineRuns(a: string[], b: string[], diffArrays: DiffArrays): Run[] {
  return myersRuns(a, b, diffArrays) ?? anchoredRuns(a, b, diffArrays);
}

/**
 * Myers' runs, or undefined when the diff has more than MAX_EDIT_LENGTH changed lines.
 * Myers is only tried when the lines one side lacks (a cheap lower bound on the changed
 * lines) leave that possible: a failed try costs MAX_EDIT_LENGTH squared.
 */
function myersRuns(a: string[], b: string[], diffArrays: DiffArrays): Run[] | undefined {
  const unmatched = unmatchedLines(a, b);
  if (unmatched === a.length + b.length) return [{ lines: a, removed: true }, { lines: b, added: true }];
  if (unmatched > MAX_EDIT_LENGTH) return undefined;
  const changes = diffArrays(a, b, { maxEditLength: MAX_EDIT_LENGTH });
  return changes?.map((c) => ({ lines: c.value, added: c.added, removed: c.removed }));
}

/** How many lines of either side have no equal line left on the other (counted with repeats). */
function unmatchedLines(a: string[], b: string[]): number {
  const balance = new Map<string, number>();
  for (const line of a) balance.set(line, (balance.get(line) ?? 0) + 1);
  for (const line of b) balance.set(line, (balance.get(line) ?? 0) - 1);
  let unmatched = 0;
  for (const n of balance.values()) unmatched += Math.abs(n);
  return unmatched;
}

/** Patience diff: the longest in-order chain of lines unique on both sides anchors the gaps. */
function anchoredRuns(a: string[], b: string[], diffArrays: DiffArrays): Run[] {
  const runs: Run[] = [];
  let i = 0;
  let j = 0;
  for (const [ai, bj] of [...uniqueAnchors(a, b), [a.length, b.length]]) {
    const [gapA, gapB] = [a.slice(i, ai), b.slice(j, bj)];
    const gap = myersRuns(gapA, gapB, diffArrays) ?? [{ lines: gapA, removed: true }, { lines: gapB, added: true }];
    for (const run of gap) runs.push(run); // not push(...gap): a huge gap would overflow the stack
    if (ai < a.length) runs.push({ lines: [a[ai]] });
    i = ai + 1;
    j = bj + 1;
  }
  return mergeRuns(runs);
}

/** Pairs (i, j) with a[i] === b[j], each line once on both sides, as the longest chain increasing in both. */
function uniqueAnchors(a: string[], b: string[]): [number, number][] {
  const seen = new Map<string, { inA: number; inB: number; i: number; j: number }>();
  const entry = (line: string) => {
    let e = seen.get(line);
    if (!e) seen.set(line, (e = { inA: 0, inB: 0, i: -1, j: -1 }));
    return e;
  };
  a.forEach((line, i) => {
    const e = entry(line);
    e.inA += 1;
    e.i = i;
  });
  b.forEach((line, j) => {
    const e = entry(line);
    e.inB += 1;
    e.j = j;
  });
  const pairs = [...seen.values()].filter((e) => e.inA === 1 && e.inB === 1).map((e): [number, number] => [e.i, e.j]);
  return longestIncreasing(pairs.sort((x, y) => x[0] - y[0]));
}

/** Longest subsequence increasing in the second index (patience sorting, O(n log n)). */
function longestIncreasing(pairs: [number, number][]): [number, number][] {
  const tails: number[] = [];
  const previous: number[] = [];
  pairs.forEach(([, j], k) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]][1] < j) lo = mid + 1;
      else hi = mid;
    }
    previous[k] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = k;
  });
  const chain: [number, number][] = [];
  for (let k = tails.length > 0 ? tails[tails.length - 1] : -1; k >= 0; k = previous[k]) chain.push(pairs[k]);
  return chain.reverse();
}

function kindOf(run: Run): string {
  return run.added ? 'added' : run.removed ? 'removed' : 'same';
}

/** Drops empty runs and joins neighbours of one kind, so that runs alternate as Myers' do. */
function mergeRuns(runs: Run[]): Run[] {
  const out: Run[] = [];
  for (const run of runs.filter((r) => r.lines.length > 0)) {
    const last = out[out.length - 1];
    if (last && kindOf(last) === kindOf(run)) last.lines = last.lines.concat(run.lines);
    else out.push({ ...run });
  }
  return out;
}

/** Hunks as jsdiff's structuredPatch builds them: changes closer than 2 x context share a hunk. */
function hunksOf(runs: Run[], firstLine: number): StructuredPatchHunk[] {
  const all: Run[] = [...runs, { lines: [] }];
  const hunks: StructuredPatchHunk[] = [];
  let open: StructuredPatchHunk | undefined;
  let oldLine = firstLine;
  let newLine = firstLine;
  all.forEach((run, i) => {
    if (run.added || run.removed) {
      if (!open) {
        const context = i > 0 ? all[i - 1].lines.slice(-CONTEXT) : [];
        open = { oldStart: oldLine - context.length, oldLines: 0, newStart: newLine - context.length, newLines: 0, lines: context.map((l) => ' ' + l) };
      }
      for (const l of run.lines) open.lines.push((run.added ? '+' : '-') + l);
      if (run.added) newLine += run.lines.length;
      else oldLine += run.lines.length;
      return;
    }
    if (open) {
      const closes = run.lines.length > CONTEXT * 2 || i >= all.length - 2;
      const shown = closes ? run.lines.slice(0, CONTEXT) : run.lines;
      for (const l of shown) open.lines.push(' ' + l);
      if (closes) {
        hunks.push({ ...open, oldLines: oldLine - open.oldStart + shown.length, newLines: newLine - open.newStart + shown.length, lines: withoutNewlines(open.lines) });
        open = undefined;
      }
    }
    oldLine += run.lines.length;
    newLine += run.lines.length;
  });
  return hunks;
}

function withoutNewlines(lines: string[]): string[] {
  return lines.flatMap((l) => (l.endsWith('\n') ? [l.slice(0, -1)] : [l, '\\ No newline at end of file']));
}
