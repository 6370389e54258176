// What every stage receives: the run's identity, its config, the open warehouse and a logger.
import type { Config } from '../config/load.js';
import type { ConfiguredSource } from '../connectors/registry.js';
import type { Warehouse } from './db.js';
import type { Logger } from './log.js';

export type RunContext = {
  runId: string;
  config: Config;
  db: Warehouse;
  log: Logger;
  sources: ConfiguredSource[];
};

export const STAGES = ['extract', 'load', 'transform', 'publish'] as const;
export type StageName = (typeof STAGES)[number];

/** Sortable and readable: 20240331T020000Z-1a2b. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}
