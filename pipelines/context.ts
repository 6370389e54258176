// What every stage receives: the run's identity, its config, the open warehouse and a logger.
import type { Config } from '../config/load.js';
import type { ConfiguredSource } from '../connectors/registry.js';
import { RunInterrupted } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Progress } from '../core/progress.js';
import type { Warehouse } from '../core/warehouse.js';

export type RunContext = {
  runId: string;
  config: Config;
  db: Warehouse;
  log: Logger;
  sources: ConfiguredSource[];
  /** Aborted by SIGTERM or SIGINT: the run stops at the next file or stage, after what it holds commits or rolls back. */
  signal: AbortSignal;
  progress: Progress;
};

/** Between two files or two stages: stop here if the run was asked to stop. */
export function stopIfAsked(ctx: Pick<RunContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new RunInterrupted(String(ctx.signal.reason ?? 'a stop signal'));
}

export const STAGES = ['extract', 'load', 'transform', 'publish'] as const;
export type StageName = (typeof STAGES)[number];

/** Sortable and readable: 20240331T020000Z-1a2b. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}
