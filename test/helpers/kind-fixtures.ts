import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { decodeLossless } from '../../src/engine/bytes';
import type { FileModel, PathKind } from '../../src/engine/types';
import type { TextEdit } from '../../src/resources/text-kind';
import { noMachine } from './machine';
import { refusal } from './refusal';

const fixturesDir = path.join(__dirname, '../fixtures');

/** A file of a fixture tree as the kind sees it: lossless text, or absent. */
function readModel(root: string, managedPath: string): FileModel {
  const file = path.join(root, managedPath);
  return fs.existsSync(file) ? { type: 'file', content: decodeLossless(fs.readFileSync(file)) } : { type: 'absent' };
}

/**
 * Every case folder of test/fixtures/<kind> folded through the kind directly, without the
 * engine: its resources of this kind run check() then transform() in order, each on the
 * result of the previous one for the same path. A case with error.txt must be refused
 * with each of its lines in the message or hint (`[id]` lines are for the engine's own
 * fixture test); any other case must reach after/ (before/ when nothing changes), and a
 * second pass must change nothing.
 */
export function describeKindFixtures<S extends object>(kind: PathKind<S>, opts: { minCases?: number } = {}): void {
  const dir = path.join(fixturesDir, kind.kind);
  // Every folder is a case: one without manifest.yml fails rather than being skipped.
  const cases = fs.readdirSync(dir);

  describe(`${kind.kind} fixtures, edit twice == edit once`, () => {
    const { minCases } = opts;
    if (minCases !== undefined) test(`there are at least ${minCases} cases`, () => expect(cases.length).toBeGreaterThanOrEqual(minCases));

    test.each(cases)('%s', (name) => {
      const caseDir = path.join(dir, name);
      const { resources } = parse(fs.readFileSync(path.join(caseDir, 'manifest.yml'), 'utf8')) as { resources: (S & { type: string; path: string })[] };
      const specs = resources.filter((r) => r.type === kind.kind);
      const applyAll = (models: Map<string, FileModel>) => {
        for (const spec of specs) {
          kind.check?.(spec);
          models.set(spec.path, kind.transform(models.get(spec.path)!, spec, noMachine).file);
        }
      };
      const models = new Map(specs.map((s) => [s.path, readModel(path.join(caseDir, 'before'), s.path)]));
      const errorFile = path.join(caseDir, 'error.txt');
      if (fs.existsSync(errorFile)) {
        const e = refusal(() => applyAll(models));
        for (const line of fs.readFileSync(errorFile, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('['))) expect(`${e.message} ${e.hint}`).toContain(line);
        return;
      }
      applyAll(models);
      const expectedRoot = path.join(caseDir, fs.existsSync(path.join(caseDir, 'after')) ? 'after' : 'before');
      for (const [p, model] of models) expect(model).toEqual(readModel(expectedRoot, p));
      const once = new Map(models);
      applyAll(models);
      expect(models).toEqual(once);
    });
  });
}

/** One test per spec: for every text, edit(edit(text)) equals edit(text). */
export function testEditIsIdempotent<S>(edit: (text: string, spec: S) => TextEdit, specs: S[], texts: string[]): void {
  test.each(specs)('edit(edit(x)) == edit(x) for %j', (spec) => {
    for (const text of texts) {
      const once = edit(text, spec).text;
      expect(edit(once, spec).text).toBe(once);
    }
  });
}
