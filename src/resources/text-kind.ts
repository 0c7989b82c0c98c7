import { isBinary } from '../engine/bytes';
import { ResourceError } from '../engine/diagnostics';
import type { FileModel, KindSchema, PathKind, Transformed } from '../engine/types';

/** What a text edit returns: the new text and why (or why nothing changes). */
export interface TextEdit {
  text: string;
  reason: string;
}

export interface TextKindDefinition<S> {
  kind: string;
  summary: string;
  schema: KindSchema;
  check?(spec: S): void;
  /** Pure text -> text. Throws ResourceError when the spec cannot apply to this text. */
  edit(text: string, spec: S): TextEdit;
  /** Whether a missing file may be created (defaults to the spec's `create`). */
  creates?(spec: S): boolean;
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
    transform(file: FileModel, spec: S): Transformed {
      const base = textOf(file, creates(spec));
      const edit = def.edit(base.content, spec);
      // An edit that adds nothing to a missing file leaves it missing (removing from nothing is a no-op).
      if (file.type === 'absent' && edit.text === '') return { file, reason: edit.reason };
      return { file: { ...base, content: edit.text }, reason: edit.reason };
    },
  };
}

function textOf(file: FileModel, create: boolean): Extract<FileModel, { type: 'file' }> {
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
