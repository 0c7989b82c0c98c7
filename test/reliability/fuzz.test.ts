import fc from 'fast-check';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { snapshot } from '../helpers/tree';
import { holds, runs, timeoutFor } from './budget';
import { brokenManifest, writeCase } from './manifest-fuzz';
import { workDir } from './work-dir';

// Broken manifests through the real CLI code path, in process (fast): never a crash or a
// stack trace, always a message, exit 0/1/2, and nothing written when the run fails.

const RUNS = runs(300, 10_000);
jest.setTimeout(timeoutFor(RUNS, 60));

const STACK = /^\s+at /m;

const work = workDir('remedy-fuzz-');

test('mutated and hostile manifests: a message, exit 0/1/2, no stack trace, nothing written on failure', async () => {
  const codes = new Map<number, number>();
  await holds(
    'fuzzed manifests',
    fc.asyncProperty(brokenManifest, fc.constantFrom('apply', 'apply', 'plan', 'validate'), async (text, command) => {
      const { root, manifest } = writeCase(path.join(work(), 'case'), text);
      const before = snapshot(root);
      const run = await runCli([command, manifest, '--root', root, '--detailed-exitcodes', '--no-color']);
      const output = run.stdout + run.stderr;
      codes.set(run.code, (codes.get(run.code) ?? 0) + 1);
      expect(output).not.toContain('internal error');
      expect(output).not.toMatch(STACK);
      expect(output.trim()).not.toBe('');
      expect([0, 1, 2]).toContain(run.code);
      if (run.code === 1) expect(snapshot(root)).toEqual(before);
    }),
    RUNS,
    () => Object.fromEntries([...codes].map(([code, n]) => [`exit${code}`, n])),
  );
  // Most mutations break the manifest; some must survive, or the bases themselves are broken.
  expect(codes.get(1) ?? 0).toBeGreaterThan(RUNS / 4);
  expect((codes.get(0) ?? 0) + (codes.get(2) ?? 0)).toBeGreaterThan(0);
});

test('an alias used inside its own anchor is a YAML error, not a stack overflow (found by this fuzzer)', async () => {
  const { root, manifest } = writeCase(path.join(work(), 'cycle'), 'resources:\n  - id: &x [*x]\n    type: line\n');
  const run = await runCli(['validate', manifest, '--root', root, '--no-color']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('manifest.yml:1:1: error: YAML error: an alias is used inside its own anchor');
});
