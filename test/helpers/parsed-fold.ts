import fc from 'fast-check';
import type { PathKind } from '../../src/engine/types';

/**
 * A kind's parsed fold against its plain edit: a run of edits on one file, folded on the
 * parsed form, must give the reasons, refusals and final text of the edits applied one by
 * one to the text. A refused edit changes nothing; the fold goes on with the next one.
 */
export function expectFoldAgrees<S>(kind: PathKind<S>, edit: (text: string, spec: S) => { text: string; reason: string }, files: fc.Arbitrary<string>, runs: fc.Arbitrary<S[]>, numRuns: number): void {
  const parsed = kind.parsedFold!;
  const outcome = (f: () => { text?: string; reason: string }) => {
    try {
      return f();
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  fc.assert(
    fc.property(files, runs, (start, specs) => {
      let expected = start;
      let doc = parsed.open({ type: 'file', content: start })!;
      for (const s of specs) {
        const one = outcome(() => edit(expected, s));
        const folded = outcome(() => {
          const out = parsed.edit(doc, s);
          doc = out.doc;
          return { reason: out.reason };
        });
        if ('error' in one) {
          expect(folded).toEqual(one);
          continue;
        }
        expect(folded).toEqual({ reason: one.reason });
        expected = one.text!;
      }
      const closed = parsed.close(doc);
      expect(closed.type === 'file' && closed.content).toBe(expected);
    }),
    { numRuns },
  );
}
