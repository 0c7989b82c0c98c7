import { ResourceError } from '../../src/engine/diagnostics';

/** The ResourceError that `fn` throws; any other error is rethrown, and no error fails the test. */
export function refusal(fn: () => unknown): ResourceError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ResourceError) return e;
    throw e;
  }
  throw new Error('expected a ResourceError');
}

/** The ResourceError that `p` rejects with; the async twin of refusal(). */
export async function rejection(p: Promise<unknown>): Promise<ResourceError> {
  const settled = await p.then(
    () => ({ rejected: false as const }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  return refusal(() => {
    if (settled.rejected) throw settled.error;
  });
}
