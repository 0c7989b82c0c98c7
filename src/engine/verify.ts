import { runCommand, showCommand } from './exec';

/** A check run after the changes and refreshes; failing it rolls the run back. */
export interface VerifyCheck {
  name: string;
  http?: { url: string; status: number; contains?: string; timeoutMs: number };
  command?: string[];
  retries: number;
  delayMs: number;
  /**
   * Wait before the first attempt. opcache as shipped (revalidate_freq=2, whole seconds) may
   * serve a changed PHP file's old code for up to 3 s; 4 s sees the new code answer.
   */
  settleMs: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  attempts: number;
  message: string;
  /** What a failed command check printed (kept apart from the message so that reports can hide it). */
  output?: string;
}

export interface VerifySpec {
  name?: string;
  http?: { url: string; status?: number; contains?: string; timeout?: number };
  command?: string[];
  retries?: number;
  delay?: number;
  settle?: number;
}

export const DEFAULT_SETTLE_SECONDS = 4;

export function toVerifyCheck(v: VerifySpec): VerifyCheck {
  const name = v.name ?? (v.http ? `http ${v.http.url}` : `command ${showCommand(v.command!)}`);
  return {
    name,
    http: v.http && { url: v.http.url, status: v.http.status ?? 200, contains: v.http.contains, timeoutMs: (v.http.timeout ?? 10) * 1000 },
    command: v.command,
    retries: v.retries ?? 3,
    delayMs: (v.delay ?? 1) * 1000,
    settleMs: (v.settle ?? DEFAULT_SETTLE_SECONDS) * 1000,
  };
}

export const verifySchema = {
  type: 'array',
  description: 'Checks run after all changes and refreshes (only when something changed). If one fails, every file this run changed is restored and the services refreshed again.',
  items: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: 'Shown in reports.' },
      when: { type: 'string', minLength: 1, description: 'A Jinja expression; the check runs only when it holds.' },
      http: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          // `${` too: editors validate the manifest as written, before variables are expanded.
          url: { type: 'string', pattern: '^(https?://|\\$\\{)', description: 'URL to GET (http:// or https://, or a ${variable} holding one).' },
          status: { type: 'integer', description: 'Expected status (default 200).' },
          contains: { type: 'string', description: 'Text the body must contain.' },
          timeout: { type: 'number', exclusiveMinimum: 0, description: 'Seconds per request (default 10).' },
        },
      },
      command: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'argv that must exit 0.' },
      retries: { type: 'integer', minimum: 0, description: 'Further attempts after a failure (default 3).' },
      delay: { type: 'number', minimum: 0, description: 'Seconds between attempts (default 1).' },
      settle: { type: 'number', minimum: 0, description: `Seconds to wait before the first attempt (default ${DEFAULT_SETTLE_SECONDS}: longer than the up to 3 s for which PHP opcache as shipped serves a changed file's old code, so a broken page is seen broken).` },
    },
    oneOf: [{ required: ['http'] }, { required: ['command'] }],
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits the longest settle time once, then runs each check with its retries. */
export async function runChecks(checks: VerifyCheck[]): Promise<CheckResult[]> {
  if (checks.length === 0) return [];
  await sleep(Math.max(...checks.map((c) => c.settleMs)));
  const results: CheckResult[] = [];
  for (const c of checks) results.push(await runCheck(c));
  return results;
}

async function runCheck(c: VerifyCheck): Promise<CheckResult> {
  let failure: Failure | undefined;
  for (let attempt = 1; attempt <= c.retries + 1; attempt++) {
    failure = await attemptOnce(c);
    if (failure === undefined) return { name: c.name, ok: true, attempts: attempt, message: 'passed' };
    if (attempt <= c.retries) await sleep(c.delayMs);
  }
  return { name: c.name, ok: false, attempts: c.retries + 1, ...failure! };
}

type Failure = Pick<CheckResult, 'message' | 'output'>;

/** undefined when the check passes, otherwise why it failed. */
async function attemptOnce(c: VerifyCheck): Promise<Failure | undefined> {
  if (c.command) {
    const res = await runCommand({ argv: c.command, timeoutMs: 60_000 });
    return res.code === 0 ? undefined : { message: `${showCommand(c.command)} exited ${res.code}`, output: (res.stdout + res.stderr).trim().slice(0, 500) };
  }
  const message = await httpProblem(c);
  return message === '' ? undefined : { message };
}

/** '' when the HTTP check passes, otherwise why it failed. */
async function httpProblem(c: VerifyCheck): Promise<string> {
  const h = c.http!;
  try {
    const { status, body } = await httpGet(h.url, h.timeoutMs);
    if (status !== h.status) return `GET ${h.url} answered ${status}, expected ${h.status}`;
    if (h.contains !== undefined && !body.includes(h.contains)) return `GET ${h.url} answered ${status} but the body does not contain ${JSON.stringify(h.contains)}`;
    return '';
  } catch (e) {
    return `GET ${h.url} failed: ${(e as Error).message}`;
  }
}

function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const client = (url.startsWith('https:') ? require('node:https') : require('node:http')) as typeof import('node:http');
  return new Promise((resolve, reject) => {
    const req = client.get(url, { timeout: timeoutMs, headers: { 'user-agent': 'remedy-verify' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 1 << 20) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}
