import { isBinary } from '../engine/bytes';
import { ResourceError } from '../engine/diagnostics';
import type { FileModel, KindSchema, ParsedFold, PathKind, TransformContext, Transformed } from '../engine/types';

/** What a text edit returns: the new text and why (or why nothing changes). */
export interface TextEdit {
  text: string;
  reason: string;
}

/** A text edit's outcome before it is joined: no `text` means the file stays exactly as it was read. */
export interface EditOutcome {
  text?: string;
  reason: string;
}

/** The TextEdit for an outcome on `text`: an unchanged file is passed through, never split and joined again. */
export function textEdit(text: string, out: EditOutcome): TextEdit {
  return { text: out.text ?? text, reason: out.reason };
}

/** A text kind's parsed form of a file, for long runs of its edits to one file (see ParsedFold). */
export interface ParsedText<S, D> {
  parse(text: string): D;
  /** Exactly what edit() does to the text; `changed` is true exactly when the text changed. May reuse a doc it changes. */
  edit(doc: D, spec: S): { doc: D; reason: string; changed: boolean };
  text(doc: D): string;
}

export interface TextKindDefinition<S> {
  kind: string;
  summary: string;
  schema: KindSchema;
  check?(spec: S): void;
  /** Pure text -> text (`ctx` for what the edit must look up, such as drop-ins). Throws ResourceError when the spec cannot apply to this text. */
  edit(text: string, spec: S, ctx: TransformContext): TextEdit;
  /** Whether a missing file may be created (defaults to the spec's `create`). */
  creates?(spec: S): boolean;
  parsed?: ParsedText<S, any>;
}

/** Properties every text kind accepts on top of the common ones. */
export const createProperty = {
  create: { type: 'boolean', description: 'Create the file (empty) when it does not exist. Default false: a missing file is an error.' },
};

/**
 * Turns a pure text edit into a path kind: it refuses binary files and missing files
 * (unless `create: true`), and keeps the file's mode and owner.
 */
export function textKind<S extends { create?: boolean }>(def: TextKindDefinition<S>): PathKind<S> {
  const creates = def.creates ?? ((spec: S) => spec.create === true);
  return {
    kind: def.kind,
    scope: 'path',
    summary: def.summary,
    schema: def.schema,
    creates,
    check: def.check,
    transform(file: FileModel, spec: S, ctx: TransformContext): Transformed {
      const base = textOf(file, creates(spec));
      const edit = def.edit(base.content, spec, ctx);
      // An edit that adds nothing to a missing file leaves it missing (removing from nothing is a no-op).
      if (file.type === 'absent' && edit.text === '') return { file, reason: edit.reason };
      return { file: { ...base, content: edit.text }, reason: edit.reason };
    },
    parsedFold: def.parsed && parsedFold(def.parsed),
  };
}

/** Opens only existing text files; everything else (missing, binary, a directory) goes through transform(). */
function parsedFold<S, D>(parsed: ParsedText<S, D>): ParsedFold<S, { base: TextFile; doc: D }> {
  return {
    open: (file) => (file.type === 'file' && !isBinary(file.content) ? { base: file, doc: parsed.parse(file.content) } : undefined),
    edit: ({ base, doc }, spec) => {
      const out = parsed.edit(doc, spec);
      return { doc: { base, doc: out.doc }, reason: out.reason, changed: out.changed };
    },
    close: ({ base, doc }) => ({ ...base, content: parsed.text(doc) }),
  };
}

type TextFile = Extract<FileModel, { type: 'file' }>;

function textOf(file: FileModel, create: boolean): TextFile {
  switch (file.type) {
    case 'file':
      if (isBinary(file.content)) throw new ResourceError('the file is binary (it contains NUL bytes); text edits refuse it', 'manage it with a file resource instead');
      return file;
    case 'absent':
      if (create) return { type: 'file', content: '' };
      throw new ResourceError('the file does not exist', 'set create: true to create it, or fix the path');
    case 'directory':
      throw new ResourceError('the path is a directory, not a file', 'point path at a file');
    case 'link':
      throw new ResourceError('the path is a symbolic link managed as a link', 'edit the link target instead');
  }
}
