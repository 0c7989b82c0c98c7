import fc from 'fast-check';
import { joinLines, splitLines } from '../../src/engine/lines';
import type { Plan } from '../../src/engine/plan';
import type { FileModel } from '../../src/engine/types';
import { holds, runs, timeoutFor } from './budget';
import { fileFor, resourceOf, resourcesForOneFile, TEXT_KINDS, type GeneratedResource, type TextKindName } from './generators';
import { afterApply, fileModel, planInMemory, resolvedOnOnePath } from './memory-engine';

// The engine's own plan (validate-time checks, the pure fold, its convergence proof) on
// generated files and specs, in memory: fast enough for hundreds of runs per property.

const RUNS = runs(300, 10_000);
jest.setTimeout(timeoutFor(RUNS, 5));

/** A file that is there (most runs) or missing (for create: true). */
function modelFor(kinds: TextKindName[]): fc.Arbitrary<FileModel> {
  return fc.oneof({ weight: 9, arbitrary: fileFor(kinds).map(fileModel) }, { weight: 1, arbitrary: fc.constant<FileModel>({ type: 'absent' }) });
}

/** Counts the generated cases the engine accepted, so that a property cannot pass by refusing everything. */
function acceptance() {
  let accepted = 0;
  return {
    count: (ok: boolean) => void (accepted += ok ? 1 : 0),
    figures: () => ({ accepted }),
    expectSome: () => expect(accepted).toBeGreaterThan(RUNS / 10),
  };
}

/** The next run's plan: accepted, nothing to write, no resource reporting a change. */
function expectInSync(plan: Plan | undefined): void {
  expect(plan).toBeDefined();
  expect(plan!.files).toEqual([]);
  expect(plan!.resources.filter((r) => r.changed)).toEqual([]);
}

describe.each(TEXT_KINDS)('%s: an edit the engine accepts converges', (kind) => {
  test('planned again on its own result it changes nothing (apply twice == apply once)', async () => {
    const seen = acceptance();
    await holds(
      `${kind}: accepted edits converge`,
      fc.property(modelFor([kind]), resourceOf(kind), (model, resource) => {
        const resources = resolvedOnOnePath([resource]);
        const first = planInMemory(model, resources);
        seen.count(first !== undefined);
        if (!first) return;
        expectInSync(planInMemory(afterApply(model, first), resources));
      }),
      RUNS,
      seen.figures,
    );
    seen.expectSome();
  });
});

describe('several edits to one file', () => {
  test('the fold equals applying them one by one, and converges', async () => {
    const seen = acceptance();
    await holds(
      'fold of several edits == one by one',
      fc.property(modelFor(TEXT_KINDS), resourcesForOneFile(), (model, generated) => {
        const resources = resolvedOnOnePath(generated);
        const fold = planInMemory(model, resources);
        seen.count(fold !== undefined);
        if (!fold) return;
        let stepwise = model;
        for (const r of resources) {
          const step = planInMemory(stepwise, [r]);
          expect(step).toBeDefined();
          stepwise = afterApply(stepwise, step!);
        }
        expect(stepwise).toEqual(afterApply(model, fold));
        expectInSync(planInMemory(stepwise, resources));
      }),
      RUNS,
      seen.figures,
    );
    seen.expectSome();
  });

  test('a later edit that makes an earlier one refuse the result is a refusal, not a crash (found by the fold property)', () => {
    // The replace joins the lines, so re-running the block finds its markers on one line.
    const fighting: GeneratedResource[] = [
      { type: 'block', spec: { content: 'managed' } },
      { type: 'replace', spec: { pattern: '\\r' } },
    ];
    expect(planInMemory(fileModel('listen 80\r'), resolvedOnOnePath(fighting))).toBeUndefined();
  });
});

describe('what the edits promise', () => {
  const lineResource = fc.record({ line: fc.constantFrom('listen 80', '', 'ünï 😀', '#x'), after: fc.constantFrom(undefined, 'BOF', '^listen', '^$') });

  test('a plain line (no match) is accepted and is then in the file, whatever the line endings', async () => {
    await holds(
      'a plain line is accepted and present',
      fc.property(fileFor(['line']), lineResource, (text, spec) => {
        const resource: GeneratedResource = { type: 'line', spec: spec.after === undefined ? { line: spec.line } : spec };
        const plan = planInMemory(fileModel(text), resolvedOnOnePath([resource]));
        expect(plan).toBeDefined();
        const after = afterApply(fileModel(text), plan!);
        expect(after.type === 'file' && splitLines(after.content).some((l) => l.text === spec.line)).toBe(true);
      }),
      RUNS,
    );
  });

  test('adding a missing block and removing it again gives back the original bytes', async () => {
    await holds(
      'block add then remove == original bytes',
      fc.property(fileFor(['block']), resourceOf('block'), (text, generated) => {
        const present = resolvedOnOnePath([{ type: 'block', spec: { ...generated.spec, ensure: 'present', content: 'managed\n' } }]);
        const absent = resolvedOnOnePath([{ type: 'block', spec: { ...generated.spec, ensure: 'absent' } }]);
        const added = planInMemory(fileModel(text), present);
        if (!added?.resources[0].reason.startsWith('inserted the block')) return;
        const removed = planInMemory(afterApply(fileModel(text), added), absent);
        expect(removed).toBeDefined();
        expect(afterApply(afterApply(fileModel(text), added), removed!)).toEqual(fileModel(text));
      }),
      RUNS,
    );
  });

  test('every line of the file reads back as it was written: split and join are exact', async () => {
    await holds('split/join exact on generated files', fc.property(fileFor(TEXT_KINDS), (text) => expect(joinLines(splitLines(text))).toBe(text)), RUNS);
  });
});
