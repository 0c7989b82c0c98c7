import { encodeLossless, formatMode, sha256Of } from '../engine/bytes';
import { ResourceError } from '../engine/diagnostics';
import type { FileModel, PathKind, TransformContext, Transformed } from '../engine/types';

export type FileEnsure = 'file' | 'absent' | 'directory' | 'link';

export interface FileSpec {
  ensure?: FileEnsure;
  content?: string;
  source?: string;
  /** Rendered into `content` when the manifest is loaded; kept to say where the content came from. */
  template?: string;
  target?: string;
  mode?: string | number;
  owner?: string | number;
  group?: string | number;
  create_parents?: boolean;
  force?: boolean;
  /** A directory tree from `source: dir/` (expanded into one instance per path when the manifest is loaded). */
  recurse?: boolean;
  /** With recurse: files under the directory that the tree does not have are removed. */
  purge?: boolean;
}

const MODE = /^0?[0-7]{3,4}$/;

/** Fields that make no sense for an ensure value; refused so that nothing is silently ignored. */
const NOT_FOR: Record<FileEnsure, (keyof FileSpec)[]> = {
  file: ['target'],
  directory: ['content', 'source', 'template', 'target'],
  link: ['content', 'source', 'template', 'mode', 'owner', 'group'],
  absent: ['content', 'source', 'template', 'target', 'mode', 'owner', 'group', 'create_parents'],
};

const WHY_NOT: Record<FileEnsure, string> = {
  file: 'target only applies to ensure: link',
  directory: 'a directory has no content, and target only applies to ensure: link',
  link: 'a symbolic link has no content or mode of its own, and remedy never changes a link\'s owner (it would change what it points to on some systems)',
  absent: 'a path that must not exist has nothing to set',
};

function ensureOf(spec: FileSpec): FileEnsure {
  return spec.ensure ?? 'file';
}

/** Validate-time checks: everything that can be known wrong without reading the machine. */
function checkFileSpec(spec: FileSpec): void {
  const ensure = ensureOf(spec);
  if (spec.content !== undefined && spec.source !== undefined) {
    throw new ResourceError('content and source are both set; the file can only have one of them', 'keep content (inline text) or source (a file next to the manifest)', 'source');
  }
  for (const field of NOT_FOR[ensure]) {
    if (spec[field] !== undefined) throw new ResourceError(`${field} is not allowed with ensure: ${ensure}: ${WHY_NOT[ensure]}`, `remove ${field}`, field);
  }
  if (ensure === 'link' && (spec.target === undefined || spec.target === '')) {
    throw new ResourceError('ensure: link needs target (what the link points to)', 'add target: /the/path/it/points/to', 'target');
  }
  parseMode(spec.mode);
}

/**
 * The mode as a number. Only quoted strings are accepted: YAML 1.2 (remedy's parser)
 * reads an unquoted 0644 as decimal 644, YAML 1.1 (Ansible, Puppet's Hiera) as 420.
 */
export function parseMode(mode: string | number | undefined): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') {
    throw new ResourceError(
      `mode is the number ${mode}, not a string: YAML reads an unquoted 0644 as decimal 644 (YAML 1.2, used here) or as octal 420 (YAML 1.1, used by Ansible), so a number does not say which mode you mean`,
      `quote it: mode: "${modeSuggestion(mode)}"`,
      'mode',
    );
  }
  if (!MODE.test(mode)) {
    throw new ResourceError(`mode '${mode}' is not an octal mode`, 'write 3 or 4 octal digits, optionally with a leading 0: "0644", "0755", "2775"', 'mode');
  }
  return parseInt(mode, 8);
}

/** 644 was meant as 0644; 493 (not octal digits) is what `0o755` or YAML 1.1's 0755 becomes. */
function modeSuggestion(n: number): string {
  if (/^[0-7]{3,4}$/.test(String(n))) return String(n).padStart(4, '0');
  return n >= 0 && n <= 0o7777 ? formatMode(n) : '0644';
}

function shortSha(content: string): string {
  return sha256Of(content).slice(0, 12);
}

function bytes(content: string): string {
  const n = encodeLossless(content).length;
  return `${n} byte${n === 1 ? '' : 's'}`;
}

function describe(m: FileModel): string {
  switch (m.type) {
    case 'absent':
      return 'missing';
    case 'file':
      return 'a regular file';
    case 'directory':
      return 'a directory';
    case 'link':
      return `a symbolic link to ${m.target}`;
  }
}

interface Attributes {
  mode?: number;
  uid?: number;
  gid?: number;
}

/** The attributes the spec manages; unset ones are left out, which means "keep". */
function wantedAttributes(spec: FileSpec, ctx: TransformContext): Attributes {
  const out: Attributes = {};
  const mode = parseMode(spec.mode);
  if (mode !== undefined) out.mode = mode;
  if (spec.owner !== undefined) out.uid = ctx.userId(String(spec.owner));
  if (spec.group !== undefined) out.gid = ctx.groupId(String(spec.group));
  return out;
}

const ATTRIBUTES: [keyof Attributes, 'mode' | 'owner' | 'group'][] = [
  ['mode', 'mode'],
  ['uid', 'owner'],
  ['gid', 'group'],
];

/** "mode 0600", "owner www-data (33)": a value as the manifest wrote it, with the id it resolved to. */
function showAttribute(key: keyof Attributes, value: number, spec: FileSpec): string {
  if (key === 'mode') return formatMode(value);
  const written = key === 'uid' ? spec.owner : spec.group;
  return written !== undefined && String(written) !== String(value) ? `${written} (${value})` : String(value);
}

/** "mode 0644 -> 0600" for each managed attribute that differs; "mode 0600" in `same` for those that match. */
function attributeDiff(current: Attributes, wanted: Attributes, spec: FileSpec): { changes: string[]; same: string[] } {
  const changes: string[] = [];
  const same: string[] = [];
  for (const [key, label] of ATTRIBUTES) {
    const want = wanted[key];
    if (want === undefined) continue;
    const have = current[key];
    if (have === want) same.push(`${label} ${showAttribute(key, want, spec)}`);
    else changes.push(`${label} ${have === undefined ? '-' : key === 'mode' ? formatMode(have) : have} -> ${showAttribute(key, want, spec)}`);
  }
  return { changes, same };
}

/** "create the directory, mode 0750, owner 33": what a new path gets. */
function withAttributes(what: string, attrs: Attributes, spec: FileSpec): string {
  const parts = ATTRIBUTES.filter(([key]) => attrs[key] !== undefined).map(([key, label]) => `${label} ${showAttribute(key, attrs[key]!, spec)}`);
  return parts.length > 0 ? `${what}, ${parts.join(', ')}` : what;
}

/** A type change destroys what is there: only with force: true. */
function replacing(current: FileModel, ensure: FileEnsure, spec: FileSpec): string {
  const wanted = ensure === 'file' ? 'a regular file' : ensure === 'directory' ? 'a directory' : 'a symbolic link';
  if (!spec.force) {
    throw new ResourceError(
      `the path is ${describe(current)}, not ${wanted}; remedy does not replace it without force: true`,
      current.type === 'directory'
        ? 'set force: true to replace the (empty) directory, or fix the path'
        : `set force: true to replace it (the ${current.type === 'file' ? 'file' : 'link'} is removed; a failed verify puts it back), or fix the path`,
      'ensure',
    );
  }
  return `replace ${describe(current)} by ${wanted} (force: true)`;
}

function ensureFile(current: FileModel, spec: FileSpec, ctx: TransformContext): Transformed {
  const content = spec.content ?? (spec.source !== undefined ? ctx.readSource(spec.source) : undefined);
  const attrs = wantedAttributes(spec, ctx);
  const origin = spec.template ?? spec.source;
  if (current.type !== 'file') {
    const size = content === undefined || content === '' ? 'empty' : `${bytes(content)}${origin !== undefined ? ` from ${origin}` : ''}`;
    const what = current.type === 'absent' ? `create the file (${size})` : `${replacing(current, 'file', spec)}, ${size}`;
    return { file: { type: 'file', content: content ?? '', ...attrs }, reason: withAttributes(what, attrs, spec) };
  }
  const { changes, same } = attributeDiff(current, attrs, spec);
  const next: FileModel = { ...current, ...attrs, content: content ?? current.content };
  if (content !== undefined && content !== current.content) {
    const from = origin !== undefined ? ` from ${origin}` : '';
    changes.unshift(`content differs${from} (sha256 ${shortSha(current.content)} -> ${shortSha(content)}, ${bytes(content)})`);
  }
  if (changes.length > 0) return { file: next, reason: changes.join('; ') };
  const kept = content === undefined ? 'content not managed' : `content matches (sha256 ${shortSha(content)})`;
  return { file: current, reason: `already in sync: ${[kept, ...same].join(', ')}` };
}

function ensureDirectory(current: FileModel, spec: FileSpec, ctx: TransformContext): Transformed {
  const attrs = wantedAttributes(spec, ctx);
  if (current.type !== 'directory') {
    const what = current.type === 'absent' ? `create the directory${spec.create_parents ? ' (and its missing parents)' : ''}` : replacing(current, 'directory', spec);
    return { file: { type: 'directory', ...attrs }, reason: withAttributes(what, attrs, spec) };
  }
  const { changes, same } = attributeDiff(current, attrs, spec);
  if (changes.length > 0) return { file: { ...current, ...attrs }, reason: changes.join('; ') };
  return { file: current, reason: `already a directory${same.length > 0 ? `: ${same.join(', ')}` : ''}` };
}

function ensureLink(current: FileModel, spec: FileSpec): Transformed {
  const target = spec.target!;
  const file: FileModel = { type: 'link', target };
  if (current.type === 'link') {
    if (current.target === target) return { file: current, reason: `already a link to ${target}` };
    return { file, reason: `link points to ${current.target}; point it to ${target}` };
  }
  if (current.type === 'absent') return { file, reason: `create a link to ${target}` };
  return { file, reason: `${replacing(current, 'link', spec)} to ${target}` };
}

function ensureAbsent(current: FileModel, spec: FileSpec): Transformed {
  const absent: FileModel = { type: 'absent' };
  switch (current.type) {
    case 'absent':
      return { file: current, reason: 'already absent' };
    case 'file':
      return { file: absent, reason: `remove the file (${bytes(current.content)}, sha256 ${shortSha(current.content)})` };
    case 'link':
      return { file: absent, reason: `remove the link to ${current.target} (not what it points to)` };
    case 'directory':
      if (!spec.force) {
        throw new ResourceError('the path is a directory; remedy removes a directory only with force: true', 'set force: true to remove it (it must be empty: remedy never deletes a directory tree)', 'ensure');
      }
      return { file: absent, reason: 'remove the empty directory (force: true)' };
  }
}

/** Pure: the path as the spec wants it, given what it is now, and why. */
export function transformFile(current: FileModel, spec: FileSpec, ctx: TransformContext): Transformed {
  switch (ensureOf(spec)) {
    case 'file':
      return ensureFile(current, spec, ctx);
    case 'directory':
      return ensureDirectory(current, spec, ctx);
    case 'link':
      return ensureLink(current, spec);
    case 'absent':
      return ensureAbsent(current, spec);
  }
}

const idValue = (what: string) => ({
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'integer', minimum: 0 },
  ],
  description: `${what}: a name looked up in the managed system's ${what === 'Owner' ? '/etc/passwd' : '/etc/group'} (under --root), or a numeric id. Unset: keep it.`,
});

export const fileKind: PathKind<FileSpec> = {
  kind: 'file',
  scope: 'path',
  summary: 'A whole file, directory or symbolic link: its existence, content (inline or from a file next to the manifest), mode and owner, like Puppet file and Ansible file + copy.',
  schema: {
    properties: {
      ensure: { enum: ['file', 'absent', 'directory', 'link'], default: 'file', description: 'What the path must be. Default file.' },
      content: { type: 'string', description: 'The whole content of the file. Unset (and no source): the content is left alone; a missing file is created empty.' },
      source: { type: 'string', minLength: 1, description: 'A file, relative to the manifest, whose bytes the file must have. Not with content.' },
      template: { type: 'string', minLength: 1, description: 'A Jinja template (nunjucks), relative to the manifest, rendered with the vars, facts, host and item; its output is the content. Not with content or source.' },
      target: { type: 'string', minLength: 1, description: 'What the link points to (ensure: link), written as is; an absolute target is read inside --root.' },
      mode: {
        type: ['string', 'integer'],
        description: 'Octal mode as a quoted string ("0644", "2775"). Unquoted numbers are refused: YAML reads 0644 as 644 or 420 depending on its version. Unset: keep (new files 0644).',
      },
      owner: idValue('Owner'),
      group: idValue('Group'),
      create_parents: { type: 'boolean', default: false, description: 'Create missing parent directories (mode 0755, owned by the user running remedy). Default false: a missing parent is an error.' },
      recurse: {
        type: 'boolean',
        description: 'With source: a directory beside the manifest: the whole tree is copied, one atomic write per file (.j2 files rendered as templates, without the suffix); mode and owner apply to every file, and to directories with x added where r is set.',
      },
      purge: { type: 'boolean', description: 'With recurse: files and directories under path that the source tree does not have are removed (each listed in the plan).' },
      force: {
        type: 'boolean',
        default: false,
        description: 'Allow replacing a path of another type (a file by a directory or link, an empty directory by a file or link) and removing an empty directory.',
      },
    },
    // The tree options only make sense together; an instance of a copied tree no longer has them.
    extra: { dependencies: { purge: ['recurse'], recurse: ['source'] } },
  },
  creates: (spec) => ensureOf(spec) !== 'absent',
  check: checkFileSpec,
  managesLink: (spec) => ensureOf(spec) === 'link' || ensureOf(spec) === 'absent',
  transform: transformFile,
};
