const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/;

/** `90s`, `5m`, `1h`, `1d` or plain seconds (`30`, `1.5`) as seconds; undefined if it is none of those. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2] ?? 's'] : undefined;
}

/** Whole seconds in the largest unit that divides them: 900 -> `15m`, 90 -> `90s`. */
export function formatDuration(seconds: number): string {
  const unit = ['d', 'h', 'm'].find((u) => seconds > 0 && seconds % UNIT_SECONDS[u] === 0);
  return unit ? `${seconds / UNIT_SECONDS[unit]}${unit}` : `${seconds}s`;
}
