// What the bad-input suites read back from a warehouse after a run: for each file, its load as
// ops.loads records it, the rows raw and ops.quarantine hold under that load, and the error of a
// file that was not loaded; and the checks that every load accounts for every row it read.
import { expect } from 'vitest';
import { Warehouse } from '../core/warehouse.js';

export type Counts = { read: number; loaded: number; quarantined: number };

export type QuarantinedRow = { row: number; reason: string; record: string };

export type FileOutcome = {
  /** ops.loads, or undefined when the file has no load. */
  load: Counts | undefined;
  /** Rows under the file's load in its raw table, and in ops.quarantine. */
  inRaw: number;
  quarantined: QuarantinedRow[];
  /** ops.load_failures: why the file was not loaded. */
  failure: { error: string; action: string } | undefined;
};

/** What happened to each file the warehouse knows of, by file name (an API page by its endpoint). */
export async function fileOutcomes(warehouse: string): Promise<Map<string, FileOutcome>> {
  const db = await Warehouse.open(warehouse);
  try {
    const outcomes = new Map<string, FileOutcome>();
    const outcome = (file: string) => {
      if (!outcomes.has(file)) outcomes.set(file, { load: undefined, inRaw: 0, quarantined: [], failure: undefined });
      return outcomes.get(file)!;
    };
    const loads = await db.all<{ load_id: number; source: string; table_name: string; file_name: string; read: number; loaded: number; quarantined: number }>(
      'SELECT load_id, source, table_name, file_name, rows_read AS read, rows_loaded AS loaded, rows_quarantined AS quarantined FROM ops.loads ORDER BY load_id',
    );
    for (const l of loads) {
      const o = outcome(l.file_name);
      o.load = { read: Number(l.read), loaded: Number(l.loaded), quarantined: Number(l.quarantined) };
      const raw = await db.one<{ n: number }>(`SELECT count(*) AS n FROM raw."${l.source}__${l.table_name}" WHERE _load_id = ${l.load_id}`);
      o.inRaw = Number(raw!.n);
      o.quarantined = (await db.all<{ row: number; reason: string; record: string }>(
        'SELECT row_number AS row, reason, record FROM ops.quarantine WHERE load_id = $1 ORDER BY row_number',
        [l.load_id],
      )).map((q) => ({ ...q, row: Number(q.row) }));
    }
    for (const f of await db.all<{ file_name: string; error: string; action: string }>('SELECT file_name, error, action FROM ops.load_failures')) {
      outcome(f.file_name).failure = { error: f.error, action: f.action };
    }
    return outcomes;
  } finally {
    db.close();
  }
}

/**
 * The file was loaded with these counts, and as many rows sit in raw and in ops.quarantine under
 * its load as ops.loads says: rows read = rows loaded + rows quarantined.
 */
export function expectLoaded(outcome: FileOutcome | undefined, counts: Counts): void {
  expect(outcome?.failure).toBeUndefined();
  expect(outcome?.load).toEqual(counts);
  expect(counts.read).toBe(counts.loaded + counts.quarantined);
  expect({ inRaw: outcome!.inRaw, inQuarantine: outcome!.quarantined.length }).toEqual({ inRaw: counts.loaded, inQuarantine: counts.quarantined });
}

/** The file was refused whole: recorded in ops.load_failures with this error, and nothing of it loaded. */
export function expectRefused(outcome: FileOutcome | undefined, error: string | RegExp): void {
  expect(outcome?.load).toBeUndefined();
  expect(outcome?.inRaw ?? 0).toBe(0);
  if (typeof error === 'string') expect(outcome?.failure?.error).toBe(error);
  else expect(outcome?.failure?.error).toMatch(error);
}

/** Every load of the warehouse accounts for every row it read, in ops.loads and in the rows kept. */
export function expectEveryLoadAccountedFor(outcomes: Map<string, FileOutcome>): void {
  for (const [file, o] of outcomes) {
    if (!o.load) continue;
    expect(o.load.read, file).toBe(o.load.loaded + o.load.quarantined);
    expect({ inRaw: o.inRaw, inQuarantine: o.quarantined.length }, file).toEqual({ inRaw: o.load.loaded, inQuarantine: o.load.quarantined });
  }
}
