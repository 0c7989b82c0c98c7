import type { TransformContext } from '../../src/engine/types';

/** A transform context for pure kind tests: no source files, only numeric user and group ids. */
export const noMachine: TransformContext = {
  readSource: (rel) => {
    throw new Error(`no source files in this test (asked for ${rel})`);
  },
  userId: (name) => Number(name),
  groupId: (name) => Number(name),
  readManaged: () => [],
};
