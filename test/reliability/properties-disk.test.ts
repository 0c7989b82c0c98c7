import fc from 'fast-check';
import * as path from 'node:path';
import { applyPlan } from '../../src/engine/apply';
import { makePlan } from '../../src/run/run';
import { snapshot } from '../helpers/tree';
import { holds, runs, timeoutFor } from './budget';
import { remedy } from './built-cli';
import { generatedTree, writeManifest, writeTree, type GeneratedTree } from './disk-tree';
import { workDir } from './work-dir';

// The same promises on real files: the engine's makePlan/applyPlan on a temp --root
// (dozens of runs), and the shipped binary (a few runs: each costs process starts).

const ENGINE_RUNS = runs(60, 3000);
const CLI_RUNS = runs(4, 300);
jest.setTimeout(timeoutFor(ENGINE_RUNS, 40) + timeoutFor(CLI_RUNS, 2000));

const work = workDir('remedy-props-disk-', { build: true });

let caseNo = 0;
/** A fresh root holding the tree, and a manifest beside it (outside the root). */
function setUp(tree: GeneratedTree, resources = tree.resources): { root: string; manifest: string } {
  const dir = path.join(work(), `case-${++caseNo}`);
  const root = path.join(dir, 'root');
  writeTree(root, tree);
  return { root, manifest: writeManifest(path.join(dir, 'manifest.yml'), resources) };
}

async function planIn(root: string, manifest: string) {
  return (await makePlan({ manifest, root, vars: {} })).plan;
}

/** Applies the manifest's plan if the engine accepts it; false when it refuses. */
async function applyIn(root: string, manifest: string): Promise<boolean> {
  const plan = await planIn(root, manifest);
  if (!plan) return false;
  const result = await applyPlan(plan);
  expect(result.failed).toBe(0);
  return true;
}

describe('the engine on a temp root', () => {
  test('plan changes no byte and no mtime; after apply, plan is empty and apply again touches nothing', async () => {
    await holds(
      'engine on disk: plan writes nothing, apply converges',
      fc.asyncProperty(generatedTree, async (tree) => {
        const { root, manifest } = setUp(tree);
        const before = snapshot(root);
        const plan = await planIn(root, manifest);
        expect(snapshot(root)).toEqual(before);
        if (!plan) return;
        await applyPlan(plan);
        const applied = snapshot(root);
        const again = await planIn(root, manifest);
        expect(again?.files).toEqual([]);
        expect(again?.summary.changed).toBe(0);
        await applyPlan(again!);
        expect(snapshot(root)).toEqual(applied);
      }),
      ENGINE_RUNS,
    );
  });

  test('applying the resources one manifest at a time gives the same files as one manifest with all of them', async () => {
    await holds(
      'engine on disk: one manifest == one resource at a time',
      fc.asyncProperty(generatedTree, async (tree) => {
        const all = setUp(tree);
        if (!(await applyIn(all.root, all.manifest))) return;
        const stepwise = setUp(tree, []);
        for (const r of tree.resources) {
          const one = writeManifest(stepwise.manifest, [r]);
          expect(await applyIn(stepwise.root, one)).toBe(true);
        }
        expect(snapshotBytes(stepwise.root)).toEqual(snapshotBytes(all.root));
      }),
      ENGINE_RUNS,
    );
  });
});

/** The bytes of every file (mtimes differ between two trees written at different times). */
function snapshotBytes(root: string): Record<string, string | undefined> {
  return Object.fromEntries([...snapshot(root)].map(([rel, e]) => [rel, e.content]));
}

describe('the shipped binary', () => {
  test('plan changes no byte and no mtime; apply converges: the second apply exits 0 and touches nothing', async () => {
    await holds(
      'shipped binary: plan writes nothing, second apply exits 0',
      fc.asyncProperty(generatedTree, async (tree) => {
        const { root, manifest } = setUp(tree);
        const args = (command: string) => [command, manifest, '--root', root, '--detailed-exitcodes'];
        const before = snapshot(root);
        const plan = await remedy(args('plan'));
        expect(snapshot(root)).toEqual(before);
        if (plan.code === 1) return; // refused: a message, nothing written (the fuzz tests check that part)
        expect(plan.code === 0 || plan.code === 2).toBe(true);
        expect((await remedy(args('apply'))).code).toBe(plan.code);
        const applied = snapshot(root);
        const second = await remedy(args('apply'));
        expect(second.code).toBe(0);
        expect(snapshot(root)).toEqual(applied);
      }),
      CLI_RUNS,
    );
  });
});
