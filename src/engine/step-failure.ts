/** A step of apply that failed for a reason the report states (a refusal, a failed command, a file-system error). */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly output?: string,
  ) {
    super(message);
  }
}

/** Refusals and file-system errors fail the resource; anything else is a bug and propagates. */
export function asStepFailure(e: unknown, what?: string): StepFailure {
  if (e instanceof StepFailure) return e;
  const errno = e as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string') return new StepFailure(what ? `${what}: ${describeErrno(errno)}` : describeErrno(errno));
  throw e;
}

/**
 * "no space left on device (ENOSPC, write)": Node's own message less the code it starts
 * with and the paths it ends with (a temp name or a descriptor path says nothing to a reader).
 */
export function describeErrno(e: NodeJS.ErrnoException): string {
  const text = e.message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+ '.*$/s, '').replace(new RegExp(`, ${e.syscall ?? '\\w+'}$`), '');
  return `${text} (${[e.code, e.syscall].filter(Boolean).join(', ')})`;
}
