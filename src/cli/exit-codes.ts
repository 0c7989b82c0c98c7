/** Exit codes: plain (0 ok, 1 error) or Puppet's --detailed-exitcodes (0, 2, 4, 6; 1 for manifest/usage errors). */
export const EXIT = {
  ok: 0,
  error: 1,
  changes: 2,
  failures: 4,
  changesAndFailures: 6,
  /** EX_TEMPFAIL: another apply holds the state dir's run lock; nothing was done, try again later. */
  locked: 75,
} as const;

export function exitCode(detailed: boolean, changed: boolean, failed: boolean): number {
  if (!detailed) return failed ? EXIT.error : EXIT.ok;
  return (changed ? EXIT.changes : 0) + (failed ? EXIT.failures : 0);
}
