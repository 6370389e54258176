// The alert: when a run fails, is partial or finds a stale source, its summary is POSTed as JSON
// to the webhook of the config (a chat bot, an on-call tool). Retried a few times with a
// timeout on each try; an alert that cannot be sent is logged, and never changes the run.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config/load.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { summaryForFile, type RunSummary } from './ledger.js';

/** Why this run deserves an alert, or undefined when it does not. */
export function alertReason(summary: RunSummary): string | undefined {
  // Stopped by the operator (SIGTERM from systemctl stop, Ctrl-C): they know.
  if (summary.stoppedBy) return undefined;
  // Skipped: the run before is still going at the next night's start, or hung.
  if (summary.outcome === 'failed' || summary.outcome === 'partial' || summary.outcome === 'skipped') return `run ${summary.outcome}`;
  const stale = summary.freshness.filter((f) => f.stale).map((f) => f.source);
  return stale.length > 0 ? `stale source${stale.length > 1 ? 's' : ''}: ${stale.join(', ')}` : undefined;
}

export type AlertResult = { sent: boolean; attempts: number; error?: string };

export async function sendAlert(config: Config['alerts'], summary: RunSummary, log: Logger): Promise<AlertResult | undefined> {
  const reason = alertReason(summary);
  if (!reason || !config.webhook_url) return undefined;
  // The URL may carry a secret (chat webhooks do): only its origin is logged.
  const target = new URL(config.webhook_url).origin;
  const body = JSON.stringify({ alert: reason, ...summaryForFile(summary) });
  let error = '';
  for (let attempt = 1; attempt <= config.retries + 1; attempt++) {
    try {
      const response = await fetch(config.webhook_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(config.timeout_ms),
      });
      await response.body?.cancel();
      if (response.ok) {
        log.info({ webhook: target, reason, attempts: attempt }, 'alert sent');
        return { sent: true, attempts: attempt };
      }
      error = `HTTP ${response.status}`;
    } catch (failure) {
      error = messageOf(failure);
    }
    if (attempt <= config.retries) await sleep(500 * 2 ** (attempt - 1));
  }
  log.error({ webhook: target, reason, err: error }, 'the alert could not be sent: the summary is in <data>/runs/<run_id>.json; check alerts.webhook_url');
  return { sent: false, attempts: config.retries + 1, error };
}
