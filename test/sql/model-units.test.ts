// Unit tests of the models: given rows in the raw tables, the rows the models return, on an
// in-memory DuckDB. The tricky logic: versions, period boundaries, moved due dates, stopped
// and liên thông dossiers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../core/warehouse.js';
import { modelsOn } from '../helpers.js';

/** A dossier row as an export carries it; every field overridable. */
function dossier(id: string, fields: Record<string, string | number | null> = {}) {
  return {
    dossier_id: id, procedure_code: '1.000001', receiving_unit: 'DH.TP', channel: '1', status: '2',
    received_at: '02/01/2024 08:00:00', due_at: '10/01/2024', updated_at: '02/01/2024 08:00:00', ...fields,
  };
}

describe('stg_motcua__dossiers', () => {
  let db: Warehouse;
  beforeAll(async () => {
    db = await modelsOn(
      {
        'raw.motcua__dossiers': [
          // A: a later version in a later load wins.
          { ...dossier('A'), _load_id: 1 },
          { ...dossier('A', { status: '9', processing_finished_at: '05/01/2024 10:00:00', updated_at: '05/01/2024 10:00:00' }), _load_id: 2 },
          // B: the later update wins, though it was loaded first.
          { ...dossier('B', { status: '10', updated_at: '09/01/2024 09:00:00' }), _load_id: 3 },
          { ...dossier('B', { status: '4', updated_at: '03/01/2024 09:00:00' }), _load_id: 4 },
          // C: same update time twice: the one loaded last wins.
          { ...dossier('C', { status: '4' }), _load_id: 5 },
          { ...dossier('C', { status: '5' }), _load_id: 6 },
          // D: liên thông, exported by two agencies: one dossier, for the unit that received it.
          { ...dossier('D', { handling_unit: 'Phòng Tài chính – Kế hoạch', status: '4', updated_at: '04/01/2024 08:00:00' }), _load_id: 7, _row: 2 },
          { ...dossier('D', { handling_unit: 'Phòng Tư pháp', status: '9', processing_finished_at: '04/01/2024 09:00:00', updated_at: '04/01/2024 09:00:00' }), _load_id: 7, _row: 3 },
        ],
      },
      ['staging.stg_motcua__dossiers'],
    );
  });
  afterAll(() => db.close());

  it('keeps one row per dossier: the latest update, then the latest load, then the last row', async () => {
    expect(await db.all('SELECT dossier_id, status_code, unit_code, versions FROM staging.stg_motcua__dossiers ORDER BY dossier_id')).toEqual([
      { dossier_id: 'A', status_code: 9, unit_code: 'DH.TP', versions: 2 },
      { dossier_id: 'B', status_code: 10, unit_code: 'DH.TP', versions: 2 },
      { dossier_id: 'C', status_code: 5, unit_code: 'DH.TP', versions: 2 },
      { dossier_id: 'D', status_code: 9, unit_code: 'DH.TP', versions: 2 },
    ]);
  });
});

describe('int_dossier_periods', () => {
  let db: Warehouse;
  beforeAll(async () => {
    db = await modelsOn(
      {
        'raw.motcua__procedures': [{ procedure_code: '1.000001', procedure_name: 'Thủ tục', level: 'Cấp huyện', online_level: '4' }],
        'raw.motcua__dossiers': [
          // Received on the last day of the quarter: received in Q1, open at its end, carried into Q2.
          dossier('LAST_DAY', { received_at: '31/03/2024 16:00:00', due_at: '05/04/2024', updated_at: '31/03/2024 16:00:00' }),
          // Finished on the first day of the next quarter, on its due date: in progress at the end of
          // Q1 (due after it), resolved on time in Q2.
          dossier('FIRST_DAY', { received_at: '25/03/2024 08:00:00', due_at: '01/04/2024', status: '9', processing_finished_at: '01/04/2024 09:00:00', updated_at: '01/04/2024 09:00:00' }),
          // Due on 05/02, moved to 20/02 by a supplement request; finished on 15/02: late against the first
          // due date, early against the one the latest version carries.
          { ...dossier('MOVED', { received_at: '01/02/2024 08:00:00', due_at: '05/02/2024', status: '5', updated_at: '02/02/2024 10:00:00' }), _load_id: 1 },
          { ...dossier('MOVED', { received_at: '01/02/2024 08:00:00', due_at: '20/02/2024', status: '10', processing_finished_at: '15/02/2024 10:00:00', result_returned_at: '16/02/2024 10:00:00', updated_at: '16/02/2024 10:00:00' }), _load_id: 2 },
          // Withdrawn in February: stopped in Q1, neither in progress at its end nor carried into Q2.
          dossier('STOPPED', { received_at: '05/02/2024 08:00:00', due_at: '12/02/2024', status: '7', updated_at: '10/02/2024 11:00:00' }),
          // Due on 29/03 and open: overdue at the end of Q1.
          dossier('OVERDUE', { received_at: '20/03/2024 08:00:00', due_at: '29/03/2024', status: '4', updated_at: '20/03/2024 09:00:00' }),
          // The data start in January, so that Q1 is a period of the data.
          dossier('JANUARY', { status: '9', processing_finished_at: '03/01/2024 10:00:00', updated_at: '03/01/2024 10:00:00' }),
          // Keeps the data going into April, so that Q2 is a period of the data.
          dossier('APRIL', { received_at: '02/04/2024 08:00:00', due_at: '09/04/2024', updated_at: '02/04/2024 08:00:00' }),
        ],
      },
      ['+marts.fct_tthc_resolution'],
    );
  });
  afterAll(() => db.close());

  const flags = (period: string) =>
    db.all(
      `SELECT dossier_id, is_received, is_carried_over, resolution, is_stopped, is_in_progress, is_overdue
       FROM intermediate.int_dossier_periods WHERE period_key = '${period}' ORDER BY dossier_id`,
    );

  it('places each dossier in the first quarter by its dates', async () => {
    expect(await flags('2024-Q1')).toEqual([
      { dossier_id: 'FIRST_DAY', is_received: true, is_carried_over: false, resolution: null, is_stopped: false, is_in_progress: true, is_overdue: false },
      { dossier_id: 'JANUARY', is_received: true, is_carried_over: false, resolution: 'early', is_stopped: false, is_in_progress: false, is_overdue: false },
      { dossier_id: 'LAST_DAY', is_received: true, is_carried_over: false, resolution: null, is_stopped: false, is_in_progress: true, is_overdue: false },
      { dossier_id: 'MOVED', is_received: true, is_carried_over: false, resolution: 'early', is_stopped: false, is_in_progress: false, is_overdue: false },
      { dossier_id: 'OVERDUE', is_received: true, is_carried_over: false, resolution: null, is_stopped: false, is_in_progress: true, is_overdue: true },
      { dossier_id: 'STOPPED', is_received: true, is_carried_over: false, resolution: null, is_stopped: true, is_in_progress: false, is_overdue: false },
    ]);
  });

  it('carries into the second quarter only what was open at the end of the first', async () => {
    expect(await flags('2024-Q2')).toEqual([
      { dossier_id: 'APRIL', is_received: true, is_carried_over: false, resolution: null, is_stopped: false, is_in_progress: true, is_overdue: false },
      { dossier_id: 'FIRST_DAY', is_received: false, is_carried_over: true, resolution: 'on_time', is_stopped: false, is_in_progress: false, is_overdue: false },
      { dossier_id: 'LAST_DAY', is_received: false, is_carried_over: true, resolution: null, is_stopped: false, is_in_progress: true, is_overdue: false },
      { dossier_id: 'OVERDUE', is_received: false, is_carried_over: true, resolution: null, is_stopped: false, is_in_progress: true, is_overdue: true },
    ]);
  });

  it('adds them up into Biểu 06, with what Q1 leaves open carried into Q2', async () => {
    const rows = await db.all(
      `SELECT period_key, received_in_period, carried_over, resolved_total, stopped_total, in_progress_within, in_progress_overdue
       FROM marts.fct_tthc_resolution WHERE scope = 'total' AND period_type = 'quarter' ORDER BY period_key`,
    );
    expect(rows).toEqual([
      { period_key: '2024-Q1', received_in_period: 6, carried_over: 0, resolved_total: 2, stopped_total: 1, in_progress_within: 2, in_progress_overdue: 1 },
      { period_key: '2024-Q2', received_in_period: 1, carried_over: 3, resolved_total: 1, stopped_total: 0, in_progress_within: 2, in_progress_overdue: 1 },
    ]);
  });
});

describe('int_dossiers_classified, for exports that name the procedure only', () => {
  let db: Warehouse;
  beforeAll(async () => {
    db = await modelsOn(
      {
        'raw.motcua__procedures': [
          // The same name at the city's level and at the communes', with other online levels.
          { procedure_code: '1.000001', procedure_name: 'Chứng thực bản sao từ bản chính', level: 'Cấp huyện', online_level: '4' },
          { procedure_code: '2.000002', procedure_name: 'Chứng thực bản sao từ bản chính', level: 'Cấp xã', online_level: '2' },
          { procedure_code: '3.000003', procedure_name: 'Đăng ký khai sinh', level: 'Cấp xã', online_level: '3' },
          // Reissued under a new code: the repealed one keeps its name in the catalogue.
          { procedure_code: '3.000000', procedure_name: 'Đăng ký khai sinh', level: 'Cấp xã', online_level: '2', catalogue_status: 'Đã bãi bỏ' },
        ],
        'raw.motcua__dossiers': [
          dossier('BY_CODE'),
          // Named as offices write it: case, spaces, NFD.
          dossier('CITY', { procedure_code: null, procedure_name: 'CHỨNG THỰC  bản sao từ bản chính'.normalize('NFD') }),
          dossier('COMMUNE', { procedure_code: null, procedure_name: 'Chứng thực bản sao từ bản chính', receiving_unit: 'DH.NAMLY' }),
          // One procedure of that name in force, whatever the level.
          dossier('ANY_LEVEL', { procedure_code: '', procedure_name: 'đăng ký khai sinh' }),
          dossier('NOT_LISTED', { procedure_code: null, procedure_name: 'Đăng ký kết hôn', receiving_unit: 'DH.NAMLY' }),
        ],
      },
      ['staging.stg_motcua__procedures', 'staging.stg_seeds__units', 'intermediate.int_dossiers_classified', 'staging.stg_dvc__payments', 'staging.stg_motcua__dossiers'],
    );
  });
  afterAll(() => db.close());

  it("places the procedure by its name, at the receiving unit's level when two levels share the name, and says which it cannot place", async () => {
    expect(await db.all('SELECT dossier_id, procedure_code, is_procedure_placed, is_online_procedure FROM intermediate.int_dossiers_classified ORDER BY dossier_id')).toEqual([
      { dossier_id: 'ANY_LEVEL', procedure_code: '3.000003', is_procedure_placed: true, is_online_procedure: true },
      { dossier_id: 'BY_CODE', procedure_code: '1.000001', is_procedure_placed: true, is_online_procedure: true },
      { dossier_id: 'CITY', procedure_code: '1.000001', is_procedure_placed: true, is_online_procedure: true },
      { dossier_id: 'COMMUNE', procedure_code: '2.000002', is_procedure_placed: true, is_online_procedure: false },
      { dossier_id: 'NOT_LISTED', procedure_code: null, is_procedure_placed: false, is_online_procedure: false },
    ]);
  });
});
