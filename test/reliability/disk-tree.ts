import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeLossless } from '../../src/engine/bytes';
import { fileFor, resourceId, resourceOf, TEXT_KINDS, type GeneratedResource } from './generators';

/** Managed paths of the generated trees: the first file always exists, the second may not. */
export const PATHS = ['/etc/app.conf', '/etc/app/other.conf'];

export interface GeneratedTree {
  /** Lossless text of each of PATHS; undefined: the file does not exist. */
  files: (string | undefined)[];
  /** Each with its id (r0, r1, ... in manifest order) and path. */
  resources: (GeneratedResource & { id: string; path: string })[];
}

export const generatedTree: fc.Arbitrary<GeneratedTree> = fc.record({
  files: fc.tuple(fileFor(TEXT_KINDS), fc.option(fileFor(TEXT_KINDS), { nil: undefined })),
  resources: fc
    .array(fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom(...TEXT_KINDS).chain(resourceOf)), { minLength: 1, maxLength: 4 })
    .map((rs) => rs.map(([p, r], i) => ({ ...r, id: resourceId(i), path: p }))),
});

/** Writes the tree's files (raw bytes, non-UTF-8 included) under root. */
export function writeTree(root: string, tree: GeneratedTree): void {
  fs.mkdirSync(path.join(root, 'etc/app'), { recursive: true });
  tree.files.forEach((text, i) => {
    if (text !== undefined) fs.writeFileSync(path.join(root, PATHS[i]), encodeLossless(text));
  });
}

/** Writes a manifest (JSON, which is YAML) declaring the resources; returns its path. */
export function writeManifest(file: string, resources: GeneratedTree['resources']): string {
  const declared = resources.map((r) => ({ id: r.id, type: r.type, path: r.path, ...r.spec }));
  fs.writeFileSync(file, JSON.stringify({ resources: declared }, null, 1));
  return file;
}
