// A night whose exports spell a unit the way one office does, not the way the seeds know it:
// the run must not publish the undercount. Real processes, real files, a real webhook: the
// source fails over limits.max_quarantine_rate, its marts keep their last good data, the
// operator is told the spelling, its rows and the config key, `cchc codes` prints the YAML; and
// once the spelling is in the config, the next run loads the waiting rows, with no new export,
// into the figures a run over corrected files gives.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { DONG_HOI, query, queryFile, tempDir, webhook } from '../helpers.js';
import { FIRST_NIGHT, runCchc, sampleInboxes, writeConfig, type Exit } from '../processes.js';

const sampleDir = inject('sampleDir');
const FIRST = FIRST_NIGHT;
const UNITS = ['Phòng Tư pháp', 'UBND phường Nam Lý', 'UBND xã Bảo Ninh', 'UBND phường Đồng Phú'];
const OFFICE_SPELLING = 'P. Đồng Phú';

/** Forty dossiers of February 2024 in another office's export, without procedure codes; 12 of them (30 %) received by phường Đồng Phú, spelled `dongPhu`. */
function februaryExport(dongPhu: string): string {
  const header = 'Mã hồ sơ,Tên thủ tục,Đơn vị tiếp nhận,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái,Ngày cập nhật';
  const rows = Array.from({ length: 40 }, (_, i) => {
    const unit = i < 12 ? dongPhu : UNITS[i % 3]!;
    const day = String(1 + (i % 20)).padStart(2, '0');
    const resolved = i % 4 !== 0;
    return [
      `OTHER-${String(i).padStart(3, '0')}`, 'Đăng ký khai sinh', unit, i % 2 ? 'Trực tuyến' : 'Trực tiếp',
      `${day}/02/2024 08:00`, `${day}/03/2024`, resolved ? `${day}/02/2024 16:00` : '', resolved ? 'Đã trả kết quả' : 'Đang giải quyết', `${day}/02/2024 16:00`,
    ].join(',');
  });
  return [header, ...rows].join('\r\n');
}

/** Every published mart's rows, sorted: equal when two releases publish the same figures. */
async function martsOf(data: string): Promise<Record<string, unknown>> {
  const dir = join(data, 'publish', 'current', 'marts');
  const marts: Record<string, unknown> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort()) {
    marts[file] = await query(`SELECT * FROM read_parquet('${join(dir, file)}') ORDER BY ALL`);
  }
  return marts;
}

describe('a night with a unit spelled as no code list knows it', () => {
  const hook = webhook();
  let dir: string;
  let data: string;
  let config: string;
  let inboxes: Record<string, string>;
  let before: Record<string, unknown>;
  let night: Exit;

  beforeAll(async () => {
    dir = tempDir();
    data = join(dir, 'data');
    inboxes = sampleInboxes(sampleDir, dir, FIRST);
    config = writeConfig(dir, inboxes, { alerts: { webhook_url: hook.url() } });
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    before = await martsOf(data);
    writeFileSync(join(inboxes.motcua!, 'ho-so-2024-W07-other-office.csv'), februaryExport(OFFICE_SPELLING));
    night = await runCchc(['run', '--config', config]);
  });

  it('fails the source, not the run: exit 3, and the marts that read it keep their last good data, listed stale', async () => {
    expect(night.code).toBe(3);
    const manifest = JSON.parse(readFileSync(join(data, 'publish', 'current', 'manifest.json'), 'utf8')) as { stale_marts: string[] };
    expect(manifest.stale_marts).toEqual(expect.arrayContaining(['fct_tthc_resolution', 'fct_digitization', 'fct_online_service', 'rpt_quarterly_indicators']));
    const after = await martsOf(data);
    expect(after['fct_tthc_resolution.parquet']).toEqual(before['fct_tthc_resolution.parquet']);
  });

  it('says how many rows, why, with the spelling and its count, and the config key that fixes it, in the run, the ledger and the alert', async () => {
    expect(night.stderr).toContain('The run was partial');
    expect(night.stderr).toContain('- [load motcua] motcua.dossiers: 12 of 40 rows read since the source last passed are quarantined (30 %), more than limits.max_quarantine_rate (0.5 %): the marts that read motcua keep their last good data');
    expect(night.stderr).toContain(`  Đơn vị tiếp nhận (receiving_unit): unknown unit: 12 rows ("${OFFICE_SPELLING}" 12)`);
    expect(night.stderr).toContain('→ add the spellings under vocabulary.unit in the config (`cchc codes` prints them as YAML to paste)');
    const [ledger] = await queryFile<{ summary: string }>(join(data, 'warehouse.duckdb'), `SELECT summary::VARCHAR AS summary FROM ops.runs WHERE outcome = 'partial'`);
    const quarantine = (JSON.parse(ledger!.summary) as { sources: Record<string, { quarantine: unknown }> }).sources.motcua!.quarantine;
    expect(quarantine).toMatchObject({
      over_limit: true,
      tables: [{ table: 'dossiers', rows_read: 40, rows_quarantined: 12, rate: 0.3, over_limit: true }],
      reasons: [{ table: 'dossiers', reason: 'Đơn vị tiếp nhận (receiving_unit): unknown unit', rows: 12, examples: [{ value: OFFICE_SPELLING, rows: 12 }], config_key: 'vocabulary.unit' }],
    });
    expect(hook.received.at(-1)!.body).toMatchObject({ alert: 'run partial', sources: { motcua: { outcome: 'failed', quarantine } } });
  });

  it('is shown by cchc status as a quarantine over its limit, and the job as needing attention', async () => {
    const status = await runCchc(['status', '--config', config]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('OVER LIMIT  motcua.dossiers: 12 of 40 rows read since the source last passed are quarantined (30 %)');
    expect(status.stdout).toContain('Needs attention');
  });

  it('lists the spelling with cchc codes, its rows, its file and the closest units, and prints the YAML to paste', async () => {
    const codes = await runCchc(['codes', '--config', config]);
    expect(codes.code).toBe(0);
    expect(codes.stdout).toContain('1 value no code list knows, in 12 quarantined rows:');
    expect(codes.stdout).toMatch(/unit {11}"P\. Đồng Phú" +12 {2}ho-so-2024-W07-other-office\.csv/);
    expect(codes.stdout).toMatch(/closest: DH\.DONGPHU \(UBND phường Đồng Phú\) 0\.\d\d/);
    expect(codes.stdout).toContain(['vocabulary:', '  unit:', '    "DH.DONGPHU":   # UBND phường Đồng Phú', `      - "${OFFICE_SPELLING}"   # 12 rows`].join('\n'));
    const json = JSON.parse((await runCchc(['codes', '--config', config, '--json'])).stdout) as unknown[];
    expect(json).toEqual([expect.objectContaining({ list: 'unit', value: OFFICE_SPELLING, rows: 12, first_file: 'ho-so-2024-W07-other-office.csv', placed_as: null })]);
  });

  it('loads the waiting rows at the next run once the config knows the spelling, with no new export, as a run over corrected files would', async () => {
    const fixed = writeConfig(dir, inboxes, { alerts: { webhook_url: hook.url() }, vocabulary: { unit: { 'DH.DONGPHU': [OFFICE_SPELLING] } } });
    const placed = await runCchc(['codes', '--config', fixed]);
    expect(placed.stdout).toContain('1 spelling the config now places: 12 rows load at the next run.');

    const next = await runCchc(['run', '--config', fixed]);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('12 quarantined rows of 1 file now pass their checks and were loaded (ops.quarantine_releases).');
    const warehouse = join(data, 'warehouse.duckdb');
    expect(await queryFile(warehouse, `SELECT file_name, rows_read, rows_loaded, rows_quarantined FROM ops.loads WHERE file_name LIKE '%other-office%'`)).toEqual([
      { file_name: 'ho-so-2024-W07-other-office.csv', rows_read: 40, rows_loaded: 40, rows_quarantined: 0 },
    ]);
    expect(await queryFile(warehouse, 'SELECT file_name, rows FROM ops.quarantine_releases')).toEqual([{ file_name: 'ho-so-2024-W07-other-office.csv', rows: 12 }]);
    expect(await queryFile(warehouse, 'SELECT (SELECT count(*) FROM ops.quarantine)::INTEGER AS reasons, (SELECT count(*) FROM quarantine.motcua__dossiers)::INTEGER AS held')).toEqual([{ reasons: 0, held: 0 }]);

    // The same nights over exports that spelled the unit as the seeds do.
    const corrected = tempDir();
    const correctedInboxes = sampleInboxes(sampleDir, corrected, FIRST);
    writeFileSync(join(correctedInboxes.motcua!, 'ho-so-2024-W07-other-office.csv'), februaryExport('Phường Đồng Phú'));
    writeFileSync(join(corrected, 'config.yaml'), stringify({ warehouse: { data_dir: './data' }, deployment: DONG_HOI, sources: Object.fromEntries(Object.entries(correctedInboxes).map(([s, inbox]) => [s, { inbox }])) }));
    expect((await runCchc(['run', '--config', join(corrected, 'config.yaml')])).code).toBe(0);
    expect(await martsOf(data)).toEqual(await martsOf(join(corrected, 'data')));
  });
});

describe('the limit of the quarantine', () => {
  it('is passed for good once a run accepts the rows (the limit raised for it), and counts the loads of an older warehouse as passed', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(sampleDir, dir, { motcua: /^danh-muc-tthc\.csv$/ });
    writeFileSync(join(inboxes.motcua!, 'ho-so-2024-W07-other-office.csv'), februaryExport(OFFICE_SPELLING));
    const config = writeConfig(dir, inboxes);
    const accepted = await runCchc(['run', '--config', config], { CCHC__LIMITS__MAX_QUARANTINE_RATE: '1' });
    expect(accepted.code).toBe(0);
    // Judged table by table: the catalogue's 524 rows do not dilute the week of dossiers.
    expect(accepted.stderr).toContain('warning: motcua.dossiers: 12 of 40 rows read are quarantined (30 %), within limits.max_quarantine_rate (100 %); they are left out of the marts');
    // The next night, under the usual limit, judges only what is new.
    expect((await runCchc(['run', '--config', config])).code).toBe(0);

    // A warehouse from before the limit existed: its loads were published under the rules of then.
    const warehouse = join(dir, 'data', 'warehouse.duckdb');
    await queryFile(warehouse, 'DROP TABLE ops.quarantine_accepted');
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    expect(await queryFile(warehouse, 'SELECT source, through_load_id > 0 AS passed FROM ops.quarantine_accepted')).toEqual([{ source: 'motcua', passed: true }]);
  });
});

describe('a corrected export', () => {
  it('replaces the rows the quarantine held under the same keys: once loaded, they no longer count against the limit', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(sampleDir, dir, { motcua: /^danh-muc-tthc\.csv$/ });
    // Twelve rows received on a day that does not exist: no config key places them.
    const broken = februaryExport('UBND phường Đồng Phú').replace(/^(OTHER-0(0\d|1[01]),.*?,.*?,.*?),\d\d\/02\/2024 08:00/gm, '$1,31/02/2024 08:00');
    writeFileSync(join(inboxes.motcua!, 'ho-so-2024-W07.csv'), broken);
    const config = writeConfig(dir, inboxes);
    const night = await runCchc(['run', '--config', config]);
    expect(night.code).toBe(1);
    expect(night.stderr).toContain('motcua.dossiers: 12 of 40 rows read are quarantined (30 %), more than limits.max_quarantine_rate (0.5 %)');
    expect(night.stderr).toContain('Ngày tiếp nhận (received_at): unreadable date: 12 rows ("31/02/2024 08:00" 12)');
    expect(night.stderr).toContain('→ correct these rows in the source system and export them again');

    writeFileSync(join(inboxes.motcua!, 'ho-so-2024-W07-corrected.csv'), februaryExport('UBND phường Đồng Phú'));
    const corrected = await runCchc(['run', '--config', config]);
    expect(corrected.code).toBe(0);
    // The ledger still says what each file held; the limit judges what is still missing.
    expect(await queryFile(join(dir, 'data', 'warehouse.duckdb'), `SELECT file_name, rows_loaded, rows_quarantined FROM ops.loads WHERE file_name LIKE 'ho-so%' ORDER BY 1`)).toEqual([
      { file_name: 'ho-so-2024-W07-corrected.csv', rows_loaded: 40, rows_quarantined: 0 },
      { file_name: 'ho-so-2024-W07.csv', rows_loaded: 28, rows_quarantined: 12 },
    ]);
  });
});

describe('a warehouse from before the quarantine held rows whole', () => {
  it('holds its quarantined rows again from their records, and loads those the vocabulary now places', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(sampleDir, dir, { motcua: /^danh-muc-tthc\.csv$/ });
    writeFileSync(join(inboxes.motcua!, 'ho-so-2024-W07-other-office.csv'), februaryExport(OFFICE_SPELLING));
    expect((await runCchc(['run', '--config', writeConfig(dir, inboxes)], { CCHC__LIMITS__MAX_QUARANTINE_RATE: '1' })).code).toBe(0);
    // What the warehouse looked like then: a reason and a record per row, nothing else.
    const warehouse = join(dir, 'data', 'warehouse.duckdb');
    await queryFile(
      warehouse,
      `DELETE FROM quarantine.motcua__dossiers; UPDATE ops.quarantine SET problems = NULL; UPDATE ops.loads SET headers = NULL;
       DROP TABLE ops.quarantine_checks; DROP TABLE ops.quarantine_accepted; DROP TABLE ops.quarantine_releases`,
    );

    const next = await runCchc(['run', '--config', writeConfig(dir, inboxes, { vocabulary: { unit: { 'DH.DONGPHU': [OFFICE_SPELLING] } } })]);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('12 quarantined rows of 1 file now pass their checks and were loaded');
    expect(await queryFile(warehouse, `SELECT rows_read, rows_loaded, rows_quarantined FROM ops.loads WHERE file_name LIKE '%other-office%'`)).toEqual([
      { rows_read: 40, rows_loaded: 40, rows_quarantined: 0 },
    ]);
    const [dongPhu] = await queryFile<{ n: number }>(warehouse, "SELECT count(*)::INTEGER AS n FROM staging.stg_motcua__dossiers WHERE unit_code = 'DH.DONGPHU'");
    expect(dongPhu).toEqual({ n: 12 });
  });
});
