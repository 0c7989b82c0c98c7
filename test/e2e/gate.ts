import { apacheAvailable } from './apache-harness';

/**
 * `describe` when Apache + mod_php + php are installed. Otherwise the suite is one
 * skipped test whose title says what is missing (and a warning says it too), except
 * where Apache is required: CI=true (.ci/run installs it) or REMEDY_E2E_REQUIRE_APACHE,
 * where a missing Apache fails the file loudly instead of passing silently.
 */
export function describeWithApache(title: string, fn: () => void): void {
  const availability = apacheAvailable();
  if (availability.ok) {
    describe(title, fn);
    return;
  }
  const required = process.env.CI === 'true' ? 'CI=true' : process.env.REMEDY_E2E_REQUIRE_APACHE ? 'REMEDY_E2E_REQUIRE_APACHE is set' : undefined;
  if (required) throw new Error(`${required}, so the Apache end-to-end tests must run, but ${availability.reason}`);
  console.warn(`skipping Apache end-to-end tests (${title}): ${availability.reason}`);
  describe(title, () => {
    test.skip(`skipped: ${availability.reason}`, () => undefined);
  });
}
