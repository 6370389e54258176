// The bad-input corpus, continued: the one-stop-shop exports in legacy encodings, the portal's
// exports, and what holds for any source (a file landed under two names). Each file ends loaded,
// loaded with its bad rows quarantined, or refused with a message naming it and what to do; for
// every file loaded, rows read = rows loaded + rows quarantined. The one-stop-shop's own corpus is
// bad-inputs.test.ts.
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runJob, type RunSummary } from '../../pipelines/run.js';
import { capturedLog, FIXTURES, inboxWith, queryFile, sampleConfig, tempDir } from '../helpers.js';
import { expectLoaded, fileOutcomes, type FileOutcome } from '../load-accounting.js';

describe('one-stop-shop CSV exports in other encodings (motcua)', () => {
  const dir = tempDir();
  const names = readdirSync(join(FIXTURES, 'bad/encodings')).filter((name) => name.endsWith('.csv') && name !== 'ho-so-gzip.csv');
  const config = sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, names.map((name) => `bad/encodings/${name}`)) });
  let outcomes: Map<string, FileOutcome>;
  let rows: { file: string; dossier_id: string; procedure_name: string; handling_unit: string | null }[];

  beforeAll(async () => {
    await runJob(config, capturedLog().log, { only: 'extract' });
    await runJob(config, capturedLog().log, { only: 'load' });
    outcomes = await fileOutcomes(config.paths.warehouse);
    rows = await queryFile(config.paths.warehouse, 'SELECT _file AS file, dossier_id, procedure_name, handling_unit FROM raw.motcua__dossiers ORDER BY _file, _row');
  });

  // Each file holds the rows of ho-so-utf8.csv: five whole, and one cut short on line 6.
  it.each([
    ['UTF-8 with a byte-order mark', 'ho-so-utf8-bom.csv'],
    ['UTF-16LE ("Unicode text")', 'ho-so-utf16le.csv'],
    ['UTF-16BE', 'ho-so-utf16be.csv'],
    ['TCVN3', 'ho-so-tcvn3.csv'],
    ['VNI-Windows', 'ho-so-vni.csv'],
    ['Windows-1258', 'ho-so-cp1258.csv'],
    ['UTF-8 typed decomposed (NFD)', 'ho-so-nfd.csv'],
  ])('loads %s as composed Vietnamese, every row accounted for', (_, name) => {
    expectLoaded(outcomes.get(name), { read: 6, loaded: 5, quarantined: 1 });
    expect(outcomes.get(name)!.quarantined.map((q) => [q.row, q.record.trim().replaceAll('\t', ',')])).toEqual([[6, 'E,1.000002,Chứng thực chữ ký']]);
    const loaded = rows.filter((r) => r.file === name);
    expect(loaded.map((r) => r.procedure_name)).toEqual(['Đăng ký kết hôn có yếu tố nước ngoài', 'Chứng thực chữ ký, bản sao', 'ĐĂNG KÝ KẾT HÔN', 'Đăng ký khai sinh', 'Đăng ký khai sinh']);
    expect(loaded.every((r) => r.procedure_name === r.procedure_name.normalize('NFC'))).toBe(true);
    expect(loaded.at(-1)!.handling_unit).toBe('UBND thành phố Đồng Hới');
  });
});

describe('public-service portal CSV exports (dvc)', () => {
  const dir = tempDir();
  const config = sampleConfig(join(dir, 'data'), { dvc: inboxWith(dir, ['bad/dvc/thanh-toan-api-headers.csv', 'bad/dvc/thanh-toan-bad-values.csv']) });
  let outcomes: Map<string, FileOutcome>;
  let payments: Record<string, unknown>[];

  beforeAll(async () => {
    await runJob(config, capturedLog().log, { only: 'extract' });
    await runJob(config, capturedLog().log, { only: 'load' });
    outcomes = await fileOutcomes(config.paths.warehouse);
    payments = await queryFile(
      config.paths.warehouse,
      `SELECT _file AS file, transaction_id, vn_amount(amount_vnd)::DOUBLE AS amount, code_of('payment_method', method) AS method,
              code_of('payment_status', status) AS status, vn_timestamp(paid_at)::VARCHAR AS paid_at FROM raw.dvc__payments ORDER BY _file, _row`,
    );
  });

  it('reads an export whose headers are the sync API\'s field names, with its yyyyMMddHHmmss times', () => {
    expectLoaded(outcomes.get('thanh-toan-api-headers.csv'), { read: 2, loaded: 2, quarantined: 0 });
    expect(payments.filter((p) => p.file === 'thanh-toan-api-headers.csv')).toEqual([
      { file: 'thanh-toan-api-headers.csv', transaction_id: 'GD-AH-1', amount: 50000, method: 'online', status: 'paid', paid_at: '2024-01-02 08:30:00' },
      { file: 'thanh-toan-api-headers.csv', transaction_id: 'GD-AH-2', amount: 1500000, method: 'transfer', status: 'waiting', paid_at: null },
    ]);
  });

  it('quarantines a payment written with a decimal point and one by an unknown method, naming the column and the value', () => {
    expectLoaded(outcomes.get('thanh-toan-bad-values.csv'), { read: 3, loaded: 1, quarantined: 2 });
    expect(outcomes.get('thanh-toan-bad-values.csv')!.quarantined.map((q) => [q.row, q.reason])).toEqual([
      [3, 'Số tiền (amount_vnd): not an amount "150000.00"'],
      [4, 'Hình thức thanh toán (method): unknown payment_method "Bitcoin"'],
    ]);
  });
});

describe('any source', () => {
  const dir = tempDir();
  const motcua = inboxWith(join(dir, 'motcua'), ['bad/motcua/ho-so-semicolon.csv']);
  const ngansach = inboxWith(join(dir, 'ngansach'), ['bad/ngansach/bao-cao-ngan-sach-dong.xlsx']);
  const config = sampleConfig(join(dir, 'data'), { motcua, ngansach });
  let extract: RunSummary;
  let outcomes: Map<string, FileOutcome>;

  beforeAll(async () => {
    // The same bytes under a second name, as a copy saved twice or renamed on the way leaves them.
    copyFileSync(join(motcua, 'ho-so-semicolon.csv'), join(motcua, 'ho-so-semicolon_ban-sao.csv'));
    copyFileSync(join(ngansach, 'bao-cao-ngan-sach-dong.xlsx'), join(ngansach, 'bao-cao-ngan-sach-dong_ban-sao.xlsx'));
    extract = await runJob(config, capturedLog().log, { only: 'extract' });
    await runJob(config, capturedLog().log, { only: 'load' });
    outcomes = await fileOutcomes(config.paths.warehouse);
  });

  it('lands a file and its renamed copy once, and loads it once', () => {
    expect(extract.stages.extract).toMatchObject({ landed: 2, skipped: 2 });
    expectLoaded(outcomes.get('ho-so-semicolon.csv'), { read: 2, loaded: 2, quarantined: 0 });
    expect(outcomes.has('ho-so-semicolon_ban-sao.csv')).toBe(false);
  });

  it('loads a budget workbook and its renamed copy once', () => {
    expectLoaded(outcomes.get('bao-cao-ngan-sach-dong.xlsx'), { read: 3, loaded: 3, quarantined: 0 });
    expect(outcomes.has('bao-cao-ngan-sach-dong_ban-sao.xlsx')).toBe(false);
  });
});
