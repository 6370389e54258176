// How the models count dossiers into Biểu 06, on a handful of dossiers whose fate is known
// (test/fixtures/motcua: three weekly exports and a catalogue), through the real job.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { literal } from '../../core/warehouse.js';
import { runJob, type RunSummary } from '../../pipelines/run.js';
import { capturedLog, inboxWith, query, sampleConfig, tempDir } from '../helpers.js';

const EXPORTS = ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv', 'motcua/ho-so-2024-W13.csv', 'motcua/ho-so-2024-W14.csv'];

async function runOnFixtures(env: Record<string, string> = {}): Promise<RunSummary> {
  const dir = tempDir();
  const summary = await runJob(sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, EXPORTS) }, env), capturedLog().log);
  expect(summary.errors).toEqual([]);
  return summary;
}

function martRow(summary: RunSummary, mart: string, period: string, unit = 'DH') {
  const file = join(summary.stages.publish!.releaseDir, 'marts', `${mart}.parquet`);
  return query<Record<string, unknown>>(
    `SELECT * EXCLUDE (period_type, period_start, period_end, scope, level, unit_name)
     FROM read_parquet(${literal(file)}) WHERE period_key = ${literal(period)} AND unit_code = ${literal(unit)}`,
  ).then((rows) => rows[0]);
}

describe('counting dossiers into Biểu 06', () => {
  let calendar: RunSummary;

  beforeAll(async () => {
    calendar = await runOnFixtures();
  });

  it('counts each dossier once, in its latest version, for its receiving unit', async () => {
    // D is exported twice in one file (liên thông with Tài chính – Kế hoạch) and again later;
    // A, F, C and J change status across files; H was only registered online.
    expect(await martRow(calendar, 'fct_tthc_resolution', '2024-Q1')).toEqual({
      period_key: '2024-Q1',
      unit_code: 'DH',
      received_online: 3,
      received_direct: 5,
      carried_over: 0,
      received_in_period: 8,
      received_total: 8,
      resolved_early: 2, // B before its due date, F before its moved due date
      resolved_on_time: 2, // A and J on their due dates
      resolved_late: 1, // D
      resolved_early_or_on_time: 4,
      resolved_total: 5,
      in_progress_within: 1, // C, received on 29/03, due 02/04
      in_progress_overdue: 1, // G, due 05/01, never finished
      in_progress_total: 2,
      stopped_total: 1, // E, withdrawn
      on_time_rate: 0.8,
    });
  });

  it('puts the liên thông dossier under the unit that received it', async () => {
    const tuPhap = await martRow(calendar, 'fct_tthc_resolution', '2024-Q1', 'DH.TP');
    const taiChinh = await martRow(calendar, 'fct_tthc_resolution', '2024-Q1', 'DH.TCKH');
    expect(tuPhap).toMatchObject({ received_total: 4, resolved_late: 1 });
    expect(taiChinh).toMatchObject({ received_total: 0 });
  });

  it('carries the dossiers open at the end of a quarter into the next, and judges overdue by the last day of the data in a running quarter', async () => {
    // Data reach 02/04/2024: I, due 03/04, is not overdue yet.
    expect(await martRow(calendar, 'fct_tthc_resolution', '2024-Q2')).toMatchObject({
      carried_over: 2,
      received_in_period: 1,
      resolved_early: 1, // C, finished on 01/04, the first day of the quarter
      resolved_total: 1,
      in_progress_within: 1,
      in_progress_overdue: 1,
    });
  });

  it('counts months inside the quarter the same way', async () => {
    expect(await martRow(calendar, 'fct_tthc_resolution', '2024-02')).toMatchObject({
      carried_over: 1, // G
      received_in_period: 1, // E
      stopped_total: 1,
      in_progress_overdue: 1,
    });
  });

  it('counts digitization over the dossiers received and the results issued in the period', async () => {
    expect(await martRow(calendar, 'fct_digitization', '2024-Q1')).toEqual({
      period_key: '2024-Q1',
      unit_code: 'DH',
      dossiers_requiring_digitization: 6, // D and E need none
      dossiers_digitized: 4,
      dossier_digitization_rate: 4 / 6,
      results_total: 5,
      results_digitized: 3,
      result_digitization_rate: 0.6,
    });
  });

  it('counts online submission over the dossiers of procedures offered online', async () => {
    expect(await martRow(calendar, 'fct_online_service', '2024-Q1')).toEqual({
      period_key: '2024-Q1',
      unit_code: 'DH',
      dossiers_of_online_procedures: 5, // A, D, F, G, C; B, E and J are of a procedure offered as information only
      dossiers_online: 3,
      online_rate: 0.6,
      dossiers_procedure_unplaced: 0,
    });
  });

  it('takes the official cut-off window when configured: 15/12 to 14/03 for the first quarter', async () => {
    const cutoff = await runOnFixtures({ CCHC__REPORTING__PERIOD_WINDOW: 'cutoff' });
    const q1 = await martRow(cutoff, 'fct_tthc_resolution', '2024-Q1');
    const q2 = await martRow(cutoff, 'fct_tthc_resolution', '2024-Q2');
    expect(q1).toMatchObject({ received_in_period: 6, resolved_total: 4, stopped_total: 1, in_progress_overdue: 1 });
    expect(q2).toMatchObject({ carried_over: 1, received_in_period: 3 }); // C, J and I arrive after 14/03
  });

  it('finishes a dossier on the day its result was returned when configured', async () => {
    const returned = await runOnFixtures({ CCHC__REPORTING__FINISHED_DATE: 'result_returned' });
    // J was processed on 29/03, its due date, but returned on 01/04: late, and in Q2.
    expect(await martRow(returned, 'fct_tthc_resolution', '2024-Q1')).toMatchObject({ resolved_total: 4, in_progress_overdue: 2 });
    expect(await martRow(returned, 'fct_tthc_resolution', '2024-Q2')).toMatchObject({ resolved_total: 2, resolved_late: 1 });
  });
});
