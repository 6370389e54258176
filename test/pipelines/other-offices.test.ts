// Acceptance test: the exports of another office's one-stop-shop system, as they really come,
// load and give the Biểu 06 figures worked out by hand. The exports are written by
// test/fixtures/other-offices/make.ts, independently of the sample generator: 39 dossiers of
// Đồng Hới units received from December 2023 to March 2024, in weekly exports that overlap (the
// latest version by "Ngày cập nhật" wins) and a last export of April 2024, so that 2024-Q1 is
// complete. The same rows are written in four layouts; each is loaded by the real `cchc run`, and
// each must give the same figures:
//   - the tracking book "Sổ theo dõi hồ sơ" as a flat CSV, with no procedure code (names only);
//   - ASCII upper-case headers, ";" between fields;
//   - the tracking book as printed, XLSX with merged header cells, and that workbook saved as CSV.
// The procedure catalogue lists every procedure used but one (CC below), at online level 3/4 or 2.
// Units as offices write them ("P. Nam Lý" through the config's vocabulary); the city's own
// one-stop-shop desk, "UBND thành phố Đồng Hới", counts as DH.MC, a unit of the city level in
// the register (config/deployments/dong-hoi.units.yaml).
//
// Each dossier and the cell it lands in. Finished = "Ngày có kết quả", else "Ngày trả kết quả"
// (trả); dates compared as dates; due as last moved (*: moved by a supplement). Postal counts as
// direct. OS: received in the period for a procedure at level 3/4 of the catalogue
// (dossiers_of_online_procedures; "OS online" also counts in dossiers_online).
//
// id   unit      procedure(level) channel received  due        finished          2024-Q1             2024-03             OS
// D01  NAMLY     KS (4)   direct   05/12/23  07/12/23   06/12/23 trả      -                   -
// D02  TNMT      GCN (2)  direct   06/12/23  19/01/24   10/01/24          carried, early      -
// D03  MC        XD (3)   direct   11/12/23  15/01/24*  15/01/24          carried, on time    -
// D04  BAONINH   CT (2)   direct   14/12/23  15/12/23   15/12/23 trả      -                   -
// D05  DONGPHU   KH (3)   online   18/12/23  22/12/23   withdrawn 21/12   -                   -
// D06  NAMLY     CC (-)   direct   20/12/23  27/12/23   03/01/24          carried, late       -
// D07  TP        TL (4)   online   27/12/23  29/12/23   02/02/24 trả      carried, late       -
// D08  TNMT      BD (3)   postal   28/12/23  26/02/24   03/04/24          carried, overdue    carried, overdue
// D09  MC        HKD (4)  online   29/12/23  04/01/24   02/01/24          carried, early      -
// D10  BAONINH   CC (-)   direct   29/12/23  12/01/24   stopped 05/01     carried, stopped    -
// D11  DONGPHU   KS (4)   online   22/12/23  26/12/23   26/12/23 (trả 02/01/24): closed in December, in neither
// D12  NAMLY     KS (4)   online   03/01     04/01      04/01             online, on time     -                   Q1 online
// D13  P. Nam Lý CT (2)   online   08/01     08/01      08/01 trả         online, on time     -                   no (level 2)
// D14  DONGPHU   XN (3)   online   10/01     15/01      12/01             online, early       -                   Q1 online
// D15  TP        TL (4)   direct   15/01     17/01      17/01             direct, on time     -                   Q1
// D16  TNMT      GCN (2)  postal   16/01     27/02      05/03             direct, late        carried, late       no (level 2)
// D17  MC        HKD (4)  online   18/01     23/01      refused 19/01     online, stopped     -                   Q1 online
// D18  BAONINH   KT (4)   direct   22/01     23/01      22/01 trả         direct, early       -                   Q1
// D19  NAMLY     KH (3)   direct   24/01     29/01      withdrawn 26/01   direct, stopped     -                   Q1
// D20  DONGPHU   CC (-)   online   29/01     02/02      06/02             online, late        -                   no (not listed)
// D21  TNMT      BD (3)   direct   31/01     21/03      21/03 (trả 25/03) direct, on time     carried, on time    Q1
// D22  MC        XD (3)   online   01/02     14/03*     12/03             online, early       carried, early      Q1 online
// D23  BAONINH   KS (4)   online   05/02     06/02      06/02             online, on time     -                   Q1 online
// D24  NAMLY     KH (3)   postal   07/02     15/02      19/02             direct, late        -                   Q1
// D25  TP        TL (4)   online   19/02     21/02      20/02             online, early       -                   Q1 online
// D26  DONGPHU   XN (3)   direct   22/02     27/02      04/03             direct, late        carried, late       Q1
// D27  MC        GCN (2)  postal   26/02     08/04      04/04             direct, within      carried, within     no (level 2)
// D28  NAMLY     KS (4)   online   28/02     29/02      29/02             online, on time     -                   Q1 online
// D29  BAONINH   CC (-)   direct   29/02     06/03      open              direct, overdue     carried, overdue    no (not listed)
// D30  NAMLY     KS (4)   online   04/03     05/03      04/03             online, early       online, early       both online
// D31  DONGPHU   KH (3)   direct   06/03     13/03      withdrawn 11/03   direct, stopped     direct, stopped     both
// D32  TNMT      BD (3)   online   11/03     02/05      open              online, within      online, within      both online
// D33  MC        HKD (4)  direct   12/03     15/03 16:30 15/03 17:45      direct, on time     direct, on time     both
// D34  TP        TL (4)   postal   14/03     18/03      02/04 trả         direct, overdue     direct, overdue     both
// D35  BAONINH   XN (3)   online   18/03     21/03      20/03             online, early       online, early       both online
// D36  MC        XD (3)   online   20/03     17/04*     open (supplement) online, within      online, within      both online
// D37  DONGPHU   CT (2)   direct   25/03     25/03      25/03 trả         direct, on time     direct, on time     no (level 2)
// D38  P. Nam Lý CC (-)   online   27/03     29/03      01/04             online, overdue     online, overdue     no (not listed)
// D39  BAONINH   KS (4)   postal   29/03     01/04      01/04 trả         direct, within      direct, within      both
//
// 2024-Q1: online 14, direct 14, carried 7 (D02 D03 D06 D07 D08 D09 D10) = 35 to process;
//   early 8, on time 9, late 6; within 4 (D27 D32 D36 D39), overdue 4 (D08 D29 D34 D38);
//   stopped 4 (D10 D17 D19 D31). OS: 21 dossiers of online procedures, 11 of them online.
// 2024-03: online 5, direct 5, carried 7 (D08 D16 D21 D22 D26 D27 D29) = 17; early 3 (D22 D30
//   D35), on time 3 (D21 D33 D37), late 2 (D16 D26); within 4, overdue 4; stopped 1 (D31).
//   OS: 8, 4 online.
// City level = DH.TP + DH.TNMT + DH.MC; commune level = DH.NAMLY + DH.DONGPHU + DH.BAONINH.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { LAYOUTS, type Layout, type WrittenFile } from '../fixtures/other-offices/make.js';
import { DONG_HOI, query, queryFile, tempDir } from '../helpers.js';
import { runCchc, type Exit } from '../processes.js';

const BIEU_06 = [
  'received_online', 'received_direct', 'carried_over', 'received_total',
  'resolved_early', 'resolved_on_time', 'resolved_late',
  'in_progress_within', 'in_progress_overdue', 'stopped_total',
] as const;

// prettier-ignore
const EXPECTED_BIEU_06: Record<string, Record<string, [online: number, direct: number, carried: number, total: number, early: number, onTime: number, late: number, within: number, overdue: number, stopped: number]>> = {
  '2024-Q1': {
    'DH':         [14, 14, 7, 35,  8, 9, 6,  4, 4,  4],
    'DH/city':    [ 5,  6, 5, 16,  4, 4, 2,  3, 2,  1],
    'DH/commune': [ 9,  8, 2, 19,  4, 5, 4,  1, 2,  3],
    'DH.TP':      [ 1,  2, 1,  4,  1, 1, 1,  0, 1,  0],
    'DH.TNMT':    [ 1,  2, 2,  5,  1, 1, 1,  1, 1,  0],
    'DH.MC':      [ 3,  2, 2,  7,  2, 2, 0,  2, 0,  1],
    'DH.NAMLY':   [ 5,  2, 1,  8,  1, 3, 2,  0, 1,  1],
    'DH.DONGPHU': [ 2,  3, 0,  5,  1, 1, 2,  0, 0,  1],
    'DH.BAONINH': [ 2,  3, 1,  6,  2, 1, 0,  1, 1,  1],
  },
  '2024-03': {
    'DH':         [ 5,  5, 7, 17,  3, 3, 2,  4, 4,  1],
    'DH/city':    [ 2,  2, 5,  9,  1, 2, 1,  3, 2,  0],
    'DH/commune': [ 3,  3, 2,  8,  2, 1, 1,  1, 2,  1],
    'DH.TP':      [ 0,  1, 0,  1,  0, 0, 0,  0, 1,  0],
    'DH.TNMT':    [ 1,  0, 3,  4,  0, 1, 1,  1, 1,  0],
    'DH.MC':      [ 1,  1, 2,  4,  1, 1, 0,  2, 0,  0],
    'DH.NAMLY':   [ 2,  0, 0,  2,  1, 0, 0,  0, 1,  0],
    'DH.DONGPHU': [ 0,  2, 1,  3,  0, 1, 1,  0, 0,  1],
    'DH.BAONINH': [ 1,  1, 1,  3,  1, 0, 0,  1, 1,  0],
  },
};

// Not placed: received in the period for CC, the procedure the catalogue leaves out (D20, D29, D38 in Q1; D38 in March).
// prettier-ignore
const EXPECTED_ONLINE_SERVICE: Record<string, Record<string, [ofOnlineProcedures: number, online: number, notPlaced: number]>> = {
  '2024-Q1': {
    'DH': [21, 11, 3], 'DH/city': [9, 5, 0], 'DH/commune': [12, 6, 3],
    'DH.TP': [3, 1, 0], 'DH.TNMT': [2, 1, 0], 'DH.MC': [4, 3, 0], 'DH.NAMLY': [5, 3, 1], 'DH.DONGPHU': [3, 1, 1], 'DH.BAONINH': [4, 2, 1],
  },
  '2024-03': {
    'DH': [8, 4, 1], 'DH/city': [4, 2, 0], 'DH/commune': [4, 2, 1],
    'DH.TP': [1, 0, 0], 'DH.TNMT': [1, 1, 0], 'DH.MC': [2, 1, 0], 'DH.NAMLY': [1, 1, 1], 'DH.DONGPHU': [1, 0, 0], 'DH.BAONINH': [2, 1, 0],
  },
};

const UNITS = Object.keys(EXPECTED_BIEU_06['2024-Q1']!);
const scopeOf = (unit: string) => (unit === 'DH' ? 'total' : unit.startsWith('DH/') ? 'level' : 'unit');
const inList = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

/** The config of a run over this inbox: only the one-stop-shop system, the city's desk counted at the city level. */
function configFor(dir: string, inbox: string, layout: Layout): string {
  const path = join(dir, 'config.yaml');
  const config = {
    warehouse: { data_dir: join(dir, 'data') },
    deployment: DONG_HOI,
    vocabulary: { unit: { 'DH.NAMLY': ['P. Nam Lý'] } },
    sources: { motcua: { inbox, files: { dossiers: layout.dossierGlob, procedures: 'danh-muc-tthc*.csv' } } },
  };
  writeFileSync(path, stringify(config));
  return path;
}

/** What the run said at warn level and above, for the message of a failed expectation. */
function complaints(exit: Exit): string {
  const said = exit.lines
    .filter((l) => typeof l.level !== 'number' || l.level >= 40)
    .map(({ level: _level, time: _time, run_id: _run, pid: _pid, hostname: _host, ...rest }) => JSON.stringify(rest));
  return [...said, exit.stdout.trim()].join('\n');
}

describe.each(LAYOUTS.map((layout) => [layout.name, layout] as const))('the exports of another office as %s', (_name, layout) => {
  let dir: string;
  let written: WrittenFile[];
  let exit: Exit;
  const marts = () => join(dir, 'data', 'publish', 'current', 'marts');
  const mart = (name: string) => {
    const path = join(marts(), `${name}.parquet`);
    expect(existsSync(path), `${name}.parquet was not published: the run failed (see the first test)`).toBe(true);
    return `read_parquet('${path}')`;
  };

  beforeAll(async () => {
    dir = tempDir('cchc-other-offices-');
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    written = await layout.write(inbox);
    exit = await runCchc(['run', '--config', configFor(dir, inbox, layout)]);
  });

  it('loads every export, builds and publishes: the run exits with code 0', () => {
    expect(exit.code, complaints(exit)).toBe(0);
  });

  it('loads every record of every file, and quarantines none', async () => {
    const warehouse = join(dir, 'data', 'warehouse.duckdb');
    expect(existsSync(warehouse), 'no warehouse: the run stopped before loading (see the first test)').toBe(true);
    const attach = `ATTACH '${warehouse}' AS w (READ_ONLY);`;
    const loads = await queryFile(':memory:', `${attach} SELECT file_name, table_name, rows_read, rows_loaded, rows_quarantined FROM w.ops.loads ORDER BY file_name`);
    const expected = written
      .map((f) => ({ file_name: f.name, table_name: f.table, rows_read: f.records, rows_loaded: f.records, rows_quarantined: 0 }))
      .sort((a, b) => (a.file_name < b.file_name ? -1 : 1));
    expect(loads).toEqual(expected);
    expect(await queryFile(':memory:', `${attach} SELECT count(*) AS n FROM w.ops.quarantine`)).toEqual([{ n: 0 }]);
    expect(await queryFile(':memory:', `${attach} SELECT file_name, error FROM w.ops.load_failures`)).toEqual([]);
  });

  it('gives the Biểu 06 figures worked out by hand for 2024-Q1 and 2024-03: the city, its two levels and each unit', async () => {
    const [quarter] = await query<{ is_complete: boolean }>(`SELECT is_complete FROM ${mart('dim_period')} WHERE period_key = '2024-Q1'`);
    expect(quarter, 'the April export makes 2024-Q1 a complete period').toEqual({ is_complete: true });
    const rows = await query<Record<string, string | number>>(
      `SELECT period_key, unit_code, scope, ${BIEU_06.join(', ')} FROM ${mart('fct_tthc_resolution')}
       WHERE period_key IN ('2024-Q1', '2024-03') AND unit_code IN (${inList(UNITS)})`,
    );
    const found = Object.fromEntries(rows.map(({ period_key, unit_code, ...cells }) => [`${period_key} ${unit_code}`, cells]));
    const expected = Object.fromEntries(
      Object.entries(EXPECTED_BIEU_06).flatMap(([period, units]) =>
        Object.entries(units).map(([unit, counts]) => [
          `${period} ${unit}`,
          { scope: scopeOf(unit), ...Object.fromEntries(BIEU_06.map((column, i) => [column, counts[i]])) },
        ]),
      ),
    );
    expect(found).toEqual(expected);
  });

  it('counts the dossiers of procedures offered online by the catalogue, and how many name a procedure it does not list', async () => {
    const rows = await query<Record<string, string | number>>(
      `SELECT period_key, unit_code, dossiers_of_online_procedures, dossiers_online, dossiers_procedure_unplaced FROM ${mart('fct_online_service')}
       WHERE period_key IN ('2024-Q1', '2024-03') AND unit_code IN (${inList(UNITS)})`,
    );
    const found = Object.fromEntries(rows.map(({ period_key, unit_code, ...cells }) => [`${period_key} ${unit_code}`, cells]));
    const expected = Object.fromEntries(
      Object.entries(EXPECTED_ONLINE_SERVICE).flatMap(([period, units]) =>
        Object.entries(units).map(([unit, [of, online, notPlaced]]) => [
          `${period} ${unit}`,
          { dossiers_of_online_procedures: of, dossiers_online: online, dossiers_procedure_unplaced: notPlaced },
        ]),
      ),
    );
    expect(found).toEqual(expected);
  });
});
