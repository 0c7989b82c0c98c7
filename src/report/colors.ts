import { createColors } from 'picocolors';

export type Colors = ReturnType<typeof createColors>;

/** Colour only on a TTY, never with NO_COLOR or --no-color. */
export function colorsFor(stream: NodeJS.WriteStream, wanted: boolean): Colors {
  const enabled = wanted && stream.isTTY === true && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  return createColors(enabled);
}
