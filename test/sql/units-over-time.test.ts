// Units that change: the reform of 1 July 2025 in the Đồng Hới register, and a made-up register
// whose communes merge and whose office splits in the middle of a quarter. Given rows in the raw
// tables, the marts out, on an in-memory DuckDB.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQL_DIR } from '../../config/load.js';
import type { Warehouse } from '../../core/warehouse.js';
import { FIXTURES, modelsOn, tempDir, writeText } from '../helpers.js';

function dossier(id: string, unit: string, received: string, fields: Record<string, string | null> = {}) {
  return {
    dossier_id: id, procedure_code: '1.000001', receiving_unit: unit, channel: '1', status: '4',
    received_at: `${received} 08:00:00`, due_at: null, updated_at: `${received} 08:00:00`, ...fields,
  };
}

/** Resolved on a day: a later version of the dossier. */
function resolved(row: ReturnType<typeof dossier>, day: string, handlingUnit?: string) {
  return { ...row, status: '10', processing_finished_at: `${day} 10:00:00`, updated_at: `${day} 10:00:00`, handling_unit: handlingUnit ?? null };
}

const MARTS = ['+marts.dim_period', '+marts.fct_tthc_resolution', '+marts.fct_tthc_resolution_restated', '+marts.dim_unit_crosswalk'];

const biểu06 = (db: Warehouse, where: string) =>
  db.all<Record<string, unknown>>(
    `SELECT period_key, unit_code, received_in_period, carried_over, resolved_total, in_progress_total, stopped_total
     FROM marts.fct_tthc_resolution WHERE ${where} ORDER BY period_key, unit_code`,
  );

describe('the reform of 1 July 2025 in the Đồng Hới register', () => {
  let db: Warehouse;
  beforeAll(async () => {
    const namLy = dossier('NAMLY', 'UBND phường Nam Lý', '20/06/2025');
    db = await modelsOn(
      {
        'raw.motcua__dossiers': [
          // Received by Nam Lý before the change, resolved after it by the new ward: the export
          // keeps Nam Lý as the receiving unit, and names the new ward as the one handling it.
          namLy,
          resolved(namLy, '10/07/2025', 'UBND phường Đồng Hới'),
          // The same name before and after: the old ward, then the new one.
          dossier('OLD_DONGSON', 'UBND phường Đồng Sơn', '10/06/2025'),
          dossier('NEW_DONGSON', 'UBND phường Đồng Sơn', '10/08/2025'),
          // An old name on a new dossier: the one ward that took Bắc Lý over.
          dossier('BACLY_LATE', 'Phường Bắc Lý', '05/08/2025'),
          // An old name after the change, of a unit split four ways: no one successor to take it,
          // so it stays the old unit's (the data test dq_dossiers_received_outside_unit_validity
          // lists it).
          dossier('TP_LATE', 'Phòng Tư pháp', '05/08/2025'),
          // Received by Phòng Tư pháp in 2024 and never finished: split four ways by the crosswalk.
          dossier('TP_2024', 'Phòng Tư pháp', '15/01/2024'),
          dossier('TP_2026', 'Sở Tư pháp', '15/08/2026'),
        ],
      },
      MARTS,
    );
  });
  afterAll(() => db.close());

  it('counts a dossier received before the change and resolved after it under the unit that received it, in both quarters', async () => {
    expect(await biểu06(db, "unit_code = 'DH.NAMLY' AND period_key IN ('2025-Q2', '2025-Q3', '2025')")).toEqual([
      { period_key: '2025', unit_code: 'DH.NAMLY', received_in_period: 1, carried_over: 0, resolved_total: 1, in_progress_total: 0, stopped_total: 0 },
      { period_key: '2025-Q2', unit_code: 'DH.NAMLY', received_in_period: 1, carried_over: 0, resolved_total: 0, in_progress_total: 1, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'DH.NAMLY', received_in_period: 0, carried_over: 1, resolved_total: 1, in_progress_total: 0, stopped_total: 0 },
    ]);
  });

  it('reads a name by the day of reception: the old ward before 1 July, the new one after, and an old name for its one successor', async () => {
    expect(await db.all('SELECT dossier_id, unit_code FROM staging.stg_motcua__dossiers ORDER BY dossier_id')).toEqual([
      { dossier_id: 'BACLY_LATE', unit_code: 'QT.DONGTHUAN' },
      { dossier_id: 'NAMLY', unit_code: 'DH.NAMLY' },
      { dossier_id: 'NEW_DONGSON', unit_code: 'QT.DONGSON' },
      { dossier_id: 'OLD_DONGSON', unit_code: 'DH.DONGSON' },
      { dossier_id: 'TP_2024', unit_code: 'DH.TP' },
      { dossier_id: 'TP_2026', unit_code: 'QT.STP' },
      { dossier_id: 'TP_LATE', unit_code: 'DH.TP' },
    ]);
  });

  it('lists every unit valid in some part of a period that straddles the change, with the levels of both sides', async () => {
    const rows = await db.all<{ scope: string; n: bigint }>(
      "SELECT coalesce(level, 'total') AS scope, count(*) AS n FROM marts.fct_tthc_resolution WHERE period_key = '2025' GROUP BY ALL ORDER BY 1",
    );
    // 12 agencies + 15 communes and wards until 30 June; 10 departments and 3 wards from 1 July
    // (the desks only where they received dossiers); a roll-up row for each level.
    expect(rows).toEqual([
      { scope: 'city', n: 13 },
      { scope: 'commune', n: 19 },
      { scope: 'province', n: 11 },
      { scope: 'total', n: 1 },
    ]);
    expect(await db.all("SELECT unit_code, unit_name FROM marts.fct_tthc_resolution WHERE scope <> 'unit' AND period_key = '2025' ORDER BY 1")).toEqual([
      { unit_code: 'DH', unit_name: 'Đồng Hới' },
      { unit_code: 'DH/city', unit_name: 'Cấp thành phố' },
      { unit_code: 'DH/commune', unit_name: 'Cấp xã, phường' },
      { unit_code: 'DH/province', unit_name: 'Cấp tỉnh' },
    ]);
  });

  it('keeps every identity of Biểu 06 in every period, the carry-over across the change included', async () => {
    const broken = await db.all(
      `SELECT period_key, unit_code FROM marts.fct_tthc_resolution
       WHERE received_total <> resolved_total + in_progress_total + stopped_total
          OR received_total <> received_online + received_direct + carried_over`,
    );
    expect(broken).toEqual([]);
    // The data test that guards the carry-over each night, on these rows: a unit that ended
    // with open dossiers would fail it.
    expect(await db.all(readFileSync(join(SQL_DIR, 'tests', 'carried_over_is_previous_in_progress.sql'), 'utf8'))).toEqual([]);
  });

  it('restates 2024 under the units of today through the crosswalk, a split by its shares, with the totals unchanged', async () => {
    const restated = await db.all<{ unit_code: string; received_total: number }>(
      "SELECT unit_code, received_total FROM marts.fct_tthc_resolution_restated WHERE period_key = '2024' AND received_total > 0 ORDER BY unit_code",
    );
    expect(restated).toEqual([
      { unit_code: 'DH', received_total: 1 },
      { unit_code: 'DH/commune', received_total: 0.6 },
      { unit_code: 'DH/province', received_total: 0.4 },
      { unit_code: 'QT.DONGHOI', received_total: 0.3 },
      { unit_code: 'QT.DONGSON', received_total: 0.15 },
      { unit_code: 'QT.DONGTHUAN', received_total: 0.15 },
      { unit_code: 'QT.STP', received_total: 0.4 },
    ]);
    const totals = await db.all(
      `SELECT period_key, f.received_total, r.received_total AS restated FROM marts.fct_tthc_resolution AS f
       JOIN marts.fct_tthc_resolution_restated AS r USING (period_key, unit_code)
       WHERE f.scope = 'total' AND abs(f.received_total - r.received_total) > 1e-9`,
    );
    expect(totals).toEqual([]);
  });
});

describe('the day a name changes unit, in staging', () => {
  let db: Warehouse;
  beforeAll(async () => {
    db = await modelsOn(
      {
        'raw.motcua__dossiers': [
          // The last day of the old ward and the first of the new, the name spelt as an export may.
          dossier('LAST_OLD_DAY', 'UBND phường Đồng Sơn', '30/06/2025'),
          dossier('FIRST_NEW_DAY', 'ubnd  PHƯỜNG đồng sơn', '01/07/2025'),
          // No day of reception that can be read: the unit of that name that existed last.
          { ...dossier('NO_DAY', 'UBND phường Đồng Sơn', '01/01/2025'), received_at: 'chưa rõ' },
          // A name the register does not know stays as exported, trimmed.
          dossier('UNKNOWN', '  Ban quản lý chợ  ', '01/07/2025'),
          { ...dossier('NO_UNIT', 'x', '01/07/2025'), receiving_unit: null },
        ],
      },
      ['+staging.stg_motcua__dossiers'],
    );
  });
  afterAll(() => db.close());

  it('takes the old unit to the last day of its validity and the new one from the next, and the last unit of a name without a day', async () => {
    expect(await db.all('SELECT dossier_id, unit_code FROM staging.stg_motcua__dossiers ORDER BY dossier_id')).toEqual([
      { dossier_id: 'FIRST_NEW_DAY', unit_code: 'QT.DONGSON' },
      { dossier_id: 'LAST_OLD_DAY', unit_code: 'DH.DONGSON' },
      { dossier_id: 'NO_DAY', unit_code: 'QT.DONGSON' },
      { dossier_id: 'NO_UNIT', unit_code: null },
      { dossier_id: 'UNKNOWN', unit_code: 'Ban quản lý chợ' },
    ]);
  });
});

describe('a register that gives one name to two units at once', () => {
  it('is refused before anything is read, naming both units', async () => {
    const register = writeText(join(tempDir(), 'units.yaml'), [
      'code: PM', 'name: Khu vực Phú Mỹ', 'levels: { xa: { label: Cấp xã } }', 'units:',
      '  - { code: PM.UB, name: Thị xã Phú Mỹ, type: town }',
      '  - { code: PM.A, name: UBND xã An Hòa, level: xa, type: commune, parent: PM.UB, valid_to: 2025-08-14, aliases: [An Hòa], successors: [PM.C] }',
      '  - { code: PM.C, name: UBND phường An Hòa, level: xa, type: ward, parent: PM.UB, valid_from: 2025-08-15, aliases: [An Hòa] }',
      '  - { code: PM.D, name: UBND xã Tân An, level: xa, type: commune, parent: PM.UB, aliases: [An Hòa] }',
      '',
    ].join('\n'));
    // An Hòa names the commune until 14 August and the ward after: no clash. Tân An's alias
    // names it too while both exist: refused, with both codes.
    await expect(modelsOn({}, ['staging.stg_seeds__units'], { CCHC__DEPLOYMENT__REGISTER: register })).rejects.toThrow(
      'one spelling names two codes at once: "an hoa" in unit names PM.A, PM.C, PM.D',
    );
  });
});

describe('a register whose communes merge and whose office splits in the middle of a quarter', () => {
  let db: Warehouse;
  beforeAll(async () => {
    const a = dossier('A1', 'UBND xã An Hòa', '01/08/2025');
    const o = dossier('O1', 'Phòng Một cửa', '02/08/2025');
    db = await modelsOn(
      {
        'raw.motcua__dossiers': [
          a,
          resolved(a, '20/08/2025', 'UBND phường Phú Mỹ'),
          dossier('B1', 'UBND xã Bình Hòa', '10/07/2025'),
          o,
          dossier('C1', 'UBND phường Phú Mỹ', '20/08/2025'),
          dossier('P1', 'Phòng Hành chính', '01/09/2025'),
          dossier('Q1', 'Phòng Đất đai', '01/10/2025'),
        ],
      },
      MARTS,
      { CCHC__DEPLOYMENT__REGISTER: join(FIXTURES, 'registers', 'merged-mid-quarter.yaml') },
    );
  });
  afterAll(() => db.close());

  it('has the units before and after the merge in the quarter it happened, under its own level names', async () => {
    expect(await biểu06(db, "period_key = '2025-Q3'")).toEqual([
      { period_key: '2025-Q3', unit_code: 'PM', received_in_period: 5, carried_over: 0, resolved_total: 1, in_progress_total: 4, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM.A', received_in_period: 1, carried_over: 0, resolved_total: 1, in_progress_total: 0, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM.B', received_in_period: 1, carried_over: 0, resolved_total: 0, in_progress_total: 1, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM.C', received_in_period: 1, carried_over: 0, resolved_total: 0, in_progress_total: 1, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM.O', received_in_period: 1, carried_over: 0, resolved_total: 0, in_progress_total: 1, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM.P', received_in_period: 1, carried_over: 0, resolved_total: 0, in_progress_total: 1, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM.Q', received_in_period: 0, carried_over: 0, resolved_total: 0, in_progress_total: 0, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM/phong', received_in_period: 2, carried_over: 0, resolved_total: 0, in_progress_total: 2, stopped_total: 0 },
      { period_key: '2025-Q3', unit_code: 'PM/xa', received_in_period: 3, carried_over: 0, resolved_total: 1, in_progress_total: 2, stopped_total: 0 },
    ]);
    expect(await db.all("SELECT unit_code, unit_name FROM marts.dim_unit WHERE is_rollup ORDER BY unit_code")).toEqual([
      { unit_code: 'PM', unit_name: 'Khu vực Phú Mỹ' },
      { unit_code: 'PM/phong', unit_name: 'Cấp phòng' },
      { unit_code: 'PM/xa', unit_name: 'Cấp xã' },
    ]);
  });

  it('restates the quarter under the units after the change: the merged communes whole, the split office by its shares', async () => {
    expect(await db.all("SELECT unit_code, received_total FROM marts.fct_tthc_resolution_restated WHERE period_key = '2025-Q3' AND scope = 'unit' ORDER BY 1")).toEqual([
      { unit_code: 'PM.C', received_total: 3 },
      { unit_code: 'PM.P', received_total: 1.75 },
      { unit_code: 'PM.Q', received_total: 0.25 },
    ]);
  });
});
