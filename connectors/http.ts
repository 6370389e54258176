// GET of JSON from a source system's API, as a nightly job must do it: a timeout on every
// request, retries with exponential backoff on 429, 5xx, timeouts, broken bodies and dropped
// connections (a Retry-After header says how long to wait), and at once a clear error on
// 401/403 (the token), 404 (the address) and other refusals. The token never reaches a log.
import { setTimeout as sleep } from 'node:timers/promises';
import { CchcError, RunInterrupted } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export type HttpSettings = {
  /** The source, for messages: "the motcua API". */
  source: string;
  token: string;
  /** The environment variable the token came from, named in messages instead of the token. */
  tokenEnv: string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  /** Where to change the address, for messages: sources.motcua.api.base_url */
  baseUrlKey: string;
  /** A run asked to stop (SIGTERM) cuts a request or a wait for a retry short. */
  stop?: AbortSignal | undefined;
};

/** Retry-After is obeyed up to this; an API that asks for a longer wait fails the pull at once. */
const LONGEST_WAIT_MS = 10 * 60_000;

export class ApiError extends CchcError {}

type Attempt = { ok: true; text: string; json: unknown } | { ok: false; transient: boolean; problem: string; action: string; waitMs?: number };

/** The body of a GET, as text and parsed, after as many retries as the settings allow. */
export async function getJson(url: URL, settings: HttpSettings, log: Logger): Promise<{ text: string; json: unknown }> {
  const endpoint = `GET ${url.pathname}${url.search}`;
  for (let attempt = 0; ; attempt++) {
    const result = await attemptOnce(url, settings);
    if (settings.stop?.aborted) throw new RunInterrupted(String(settings.stop.reason));
    if (result.ok) return result;
    if (!result.transient || attempt >= settings.retries) {
      const tries = attempt + 1;
      throw new ApiError(`${endpoint}: ${result.problem}${result.transient ? ` (after ${tries} attempts)` : ''}`, {
        action: result.action,
      });
    }
    if (result.waitMs !== undefined && result.waitMs > LONGEST_WAIT_MS) {
      throw new ApiError(`${endpoint}: ${result.problem}, with Retry-After ${Math.round(result.waitMs / 1000)} s`, {
        action: 'the API asks to wait longer than a nightly run can; the next run tries again',
      });
    }
    const waitMs = Math.min(result.waitMs ?? settings.backoffMs * 2 ** attempt, LONGEST_WAIT_MS);
    log.warn({ endpoint, problem: result.problem, attempt: attempt + 1, wait_ms: waitMs }, 'API request failed; retrying');
    await sleep(waitMs, undefined, settings.stop && { signal: settings.stop }).catch(() => {
      throw new RunInterrupted(String(settings.stop?.reason));
    });
  }
}

async function attemptOnce(url: URL, settings: HttpSettings): Promise<Attempt> {
  const retryLater = { transient: true, action: `try again later; if it lasts, check that the ${settings.source} API is up` } as const;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${settings.token}`, accept: 'application/json' },
      signal: settings.stop ? AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), settings.stop]) : AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    return { ok: false, ...retryLater, problem: describeFetchError(error, settings.timeoutMs) };
  }

  const status = response.status;
  if (status === 401 || status === 403) {
    await response.body?.cancel();
    return {
      ok: false,
      transient: false,
      problem: `the ${settings.source} API refused the token in ${settings.tokenEnv} (HTTP ${status})`,
      action: `set ${settings.tokenEnv} to a valid token of the ${settings.source} API`,
    };
  }
  if (status === 404) {
    await response.body?.cancel();
    return { ok: false, transient: false, problem: 'no such endpoint (HTTP 404)', action: `check ${settings.baseUrlKey} in the config` };
  }
  if (status === 429 || status >= 500) {
    await response.body?.cancel();
    const waitMs = retryAfterMs(response.headers.get('retry-after'));
    return { ok: false, ...retryLater, problem: `HTTP ${status}`, ...(waitMs === undefined ? {} : { waitMs }) };
  }
  if (status !== 200) {
    await response.body?.cancel();
    return { ok: false, transient: false, problem: `HTTP ${status}`, action: `check ${settings.baseUrlKey} and the API's documentation` };
  }

  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { ok: false, ...retryLater, problem: `the answer broke off: ${describeFetchError(error, settings.timeoutMs)}` };
  }
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) {
    return { ok: false, ...retryLater, problem: `answered ${type || 'no content type'} instead of JSON (a maintenance or error page?)` };
  }
  try {
    return { ok: true, text, json: JSON.parse(text) };
  } catch {
    return { ok: false, ...retryLater, problem: `the answer is not valid JSON (${text.length} characters, cut short?)` };
  }
}

/** Retry-After as seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}
