// The faults a test injects into the portal simulator, queued until the requests they are meant
// for arrive; server.ts turns the fault a request draws into its answer.
import type { ResourcePath } from './server-feeds.js';

/**
 * A fault for `times` requests (default 1) to `resource` and `page` (any when left out), after
 * letting the first `after` of those requests through (default 0).
 */
export type Fault = { times?: number; after?: number; resource?: ResourcePath; page?: number } & (
  /** With enforceRetryAfter, a request that comes back before Retry-After is refused again, as a rate limiter does. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; enforceRetryAfter?: boolean }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'truncate' }
  | { kind: 'html' }
  | { kind: 'malformed' }
  /** The first page of the window again, as an API that ignores after_id and updated_since serves it. */
  | { kind: 'stuck' }
  /** New versions of these records, appended as the request arrives (an edit made during a pull), then the page as usual. */
  | { kind: 'edit'; items: Record<string, unknown>[] }
);

/** Faults waiting for their requests, each used up after `times` matches. */
export class FaultQueue {
  private readonly pending: { fault: Fault; left: number; skip: number }[] = [];

  add(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`a fault's times must be a whole number of at least 1: ${times}`);
    if (fault.kind === 'status' && !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)) {
      throw new RangeError(`a status fault needs an HTTP status from 100 to 599: ${fault.status}`);
    }
    this.pending.push({ fault, left: times, skip: fault.after ?? 0 });
  }

  /** The first fault queued for this request, counted as used. */
  take(resource: ResourcePath, page: number): Fault | undefined {
    // Every matching fault still letting requests through counts this one; the first armed one fires.
    let fired: (typeof this.pending)[number] | undefined;
    for (const entry of this.pending) {
      if ((entry.fault.resource ?? resource) !== resource || (entry.fault.page ?? page) !== page) continue;
      if (entry.skip > 0) entry.skip--;
      else fired ??= entry;
    }
    if (!fired) return undefined;
    if (--fired.left === 0) this.pending.splice(this.pending.indexOf(fired), 1);
    return fired.fault;
  }
}
