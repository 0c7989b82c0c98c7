import fc from 'fast-check';
import { decodeLossless } from '../../src/engine/bytes';

/**
 * Generated config files and resource specs for the reliability properties. Files mix
 * LF, CRLF and lone-CR endings, may lack a final newline, and hold comments, repeated
 * keys, unicode and bytes that are not UTF-8 (as the engine reads them: lossless text).
 */

export type TextKindName = 'line' | 'replace' | 'ini' | 'block';

/** A text resource as a manifest would declare it, without id/path (the harness adds them). */
export interface GeneratedResource {
  type: TextKindName;
  spec: Record<string, unknown>;
}

const EOLS = ['\n', '\r\n', '\r'];

/** Bytes outside UTF-8 (Latin-1 text, a stray continuation byte), decoded the way the engine reads files. */
const nonUtf8Line = fc
  .uint8Array({ minLength: 1, maxLength: 6 })
  .map((bytes) => decodeLossless(Uint8Array.from(bytes, (b) => (b === 0x0a || b === 0x0d || b === 0 ? 0xe9 : b))));

const noiseLine = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('', '  ', '\t', '# comment', '; comment', 'x', 'ünï 😀 ✓', 'caf\udce9 latin-1', '\udcff\udcfe') },
  { weight: 1, arbitrary: nonUtf8Line },
  { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: fc.constantFrom('a', ' ', '#', ';', '=', 'é', '😀', '\t', '[', ']') }) },
);

const LINE_KIND_LINES = ['listen 80', 'listen 8080', 'ServerName a', '#ServerName a', 'ServerName b', 'k = 1', 'listen 80 # twice'];
const REPLACE_KIND_LINES = ["require 'x.phpp';", "require 'x.php';", 'old value', 'olden', 'a a a', 'key=1', 'key=2', 'é é'];
const INI_KIND_LINES = ['[a]', '[b]', '  [a]', '[a:b]', 'k = 1', 'k=2', '  k = 3', 'k =', 'k2 = x', 'other=1', ';k = 1', '; k=2', '#k=', '; k', ';   k = 5', 'k: 1', 'k 1', ';k: 2', 'k2 y', 'k = ü', 'k = caf\udce9'];
/** Resource ids are r0, r1, ... (see resourceId): blocks of the first two may already be in a file. */
const BLOCK_IDS = ['r0', 'r1'];
const BLOCK_KIND_LINES = ['listen 80', 'server {', '}', ...BLOCK_IDS.flatMap((id) => [`# BEGIN REMEDY MANAGED BLOCK ${id}`, `# END REMEDY MANAGED BLOCK ${id}`]), '; BEGIN X web'];

const KIND_LINES: Record<TextKindName, string[]> = { line: LINE_KIND_LINES, replace: REPLACE_KIND_LINES, ini: INI_KIND_LINES, block: BLOCK_KIND_LINES };

/** A file made of `pool` lines and noise, each with its own line ending; with or without a final newline. */
export function fileText(pool: string[]): fc.Arbitrary<string> {
  const line = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 2, arbitrary: noiseLine });
  return fc
    .tuple(fc.array(fc.tuple(line, fc.constantFrom(...EOLS)), { maxLength: 14 }), fc.boolean())
    .map(([lines, finalEol]) => lines.map(([text, eol], i) => text + (i < lines.length - 1 || finalEol ? eol : '')).join(''));
}

/** Text for a file that resources of the given kinds will edit. */
export function fileFor(kinds: TextKindName[]): fc.Arbitrary<string> {
  return fileText(kinds.flatMap((k) => KIND_LINES[k]));
}

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const ensure = fc.constantFrom<'present' | 'absent'>('present', 'present', 'absent');

/** Drops undefined fields, as a manifest that leaves them out would. */
function defined(spec: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
}

const lineSpec = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      line: fc.constantFrom('listen 80', 'listen 8080', 'ServerName a', '', 'ünï 😀', 'k = 1'),
      match: maybe(fc.constantFrom('^listen', '^#?ServerName', 'listen 80$', '^$', '^k\\s*=', '(?i)^LISTEN', '😀')),
      multiple: maybe(fc.boolean()),
      after: maybe(fc.constantFrom('^listen', 'BOF', 'EOF', '^nothing$', '^#')),
      before: maybe(fc.constantFrom('^ServerName', 'BOF', 'EOF')),
      ensure,
      replace: maybe(fc.boolean()),
      create: maybe(fc.boolean()),
    }),
  },
  { weight: 1, arbitrary: fc.record({ match: fc.constantFrom('^listen (\\d+)$', '^(\\w+) = 1'), line: fc.constantFrom('listen \\1', '\\1 = 2', 'listen 80'), backrefs: fc.constant(true), multiple: maybe(fc.boolean()) }) },
);

const replaceSpec = fc.record({
  pattern: fc.constantFrom('\\.phpp\\b', '\\bold\\b', '^key=1$', '(\\w+)=1', '[ \\t]+$', 'a+', 'é', '\\r', '^$\\n', '(?P<n>ol)d', 'ü', '\\.php'),
  replacement: maybe(fc.constantFrom('.php', 'new', '', '\\1=2', 'key=2', '\\g<n>D', 'b', '\\n', '.phpp')),
  after: maybe(fc.constantFrom('^\\[a\\]', '^#', 'old')),
  before: maybe(fc.constantFrom('^}', '^key', '^x$')),
  create: maybe(fc.boolean()),
});

const iniValues = fc.uniqueArray(fc.constantFrom('1', '2', '3', '', 'ü', 'caf\u00e9'), { maxLength: 3 });
const iniSpec = fc
  .record({ section: fc.constantFrom('', 'a', 'b', 'c', 'a:b'), key: fc.constantFrom('k', 'k2'), separator: maybe(fc.constantFrom(' = ', '=', ': ', ' ')), create: maybe(fc.boolean()) })
  .chain((base) =>
    fc.oneof(
      fc.constantFrom('1', '2', '', 'ü 😀').map((value) => ({ ...base, value })),
      iniValues.map((values) => ({ ...base, values })),
      fc.constant({ ...base, ensure: 'absent' }),
      iniValues.filter((v) => v.length > 0).map((values) => ({ ...base, ensure: 'absent', values })),
    ),
  );

const blockContent = fc
  .array(fc.constantFrom('x', 'listen 8080', '', 'ü 😀', '  y', '[x]', 'caf\u00e9'), { maxLength: 4 })
  .chain((lines) => fc.constantFrom(lines.join('\n'), lines.join('\r\n') + '\r\n', lines.join('\n') + '\n', lines.join('\r')));
const blockSpec = fc.record({
  content: blockContent,
  ensure,
  marker: maybe(fc.constantFrom('; {mark} X {id}', '<!-- {mark} {id} -->', '# {mark}')),
  marker_begin: maybe(fc.constantFrom('START', 'BEGIN')),
  after: maybe(fc.constantFrom('^listen', 'BOF', '^nothing$')),
  before: maybe(fc.constantFrom('^}', 'EOF')),
  create: maybe(fc.boolean()),
});

const SPECS: Record<TextKindName, fc.Arbitrary<Record<string, unknown>>> = { line: lineSpec, replace: replaceSpec, ini: iniSpec, block: blockSpec };

/** The id of the i-th generated resource (a block's markers carry it). */
export function resourceId(i: number): string {
  return `r${i}`;
}

export const TEXT_KINDS: TextKindName[] = ['line', 'replace', 'ini', 'block'];

/** One generated resource of the given kind. */
export function resourceOf(kind: TextKindName): fc.Arbitrary<GeneratedResource> {
  return SPECS[kind].map((spec) => ({ type: kind, spec: defined(spec) }));
}

/** Several resources, of any text kind, for one file. */
export function resourcesForOneFile(maxLength = 4): fc.Arbitrary<GeneratedResource[]> {
  return fc.array(fc.constantFrom(...TEXT_KINDS).chain(resourceOf), { minLength: 1, maxLength });
}
