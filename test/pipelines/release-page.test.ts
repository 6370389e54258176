// The release page of the whole sample opened from the file system in headless Chromium, as the
// head of the office would open it: it renders without errors or network, its figures are the
// marts' (read here from the release's Parquet with SQL of this test's own), Biểu 06 sorts, and
// every link reaches a file of the release.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { literal } from '../../core/warehouse.js';
import { query, tempDir } from '../helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SKIP = CHROMIUM
  ? false
  : 'Chromium is not installed (Debian package chromium: `apt-get install chromium`; .ci/run installs it): the release page is not opened in a browser';
if (SKIP) console.warn(`release-page.test.ts skipped: ${SKIP}`);

/** Each indicator of the page and where the marts hold it for the deployment's total. */
const INDICATORS: Record<string, { mart: string; value: string }> = {
  received_total: { mart: 'fct_tthc_resolution', value: 'received_total' },
  on_time_rate: { mart: 'fct_tthc_resolution', value: 'on_time_rate' },
  in_progress_overdue: { mart: 'fct_tthc_resolution', value: 'in_progress_overdue' },
  dossier_digitization_rate: { mart: 'fct_digitization', value: 'dossier_digitization_rate' },
  result_digitization_rate: { mart: 'fct_digitization', value: 'result_digitization_rate' },
  online_rate: { mart: 'fct_online_service', value: 'online_rate' },
  online_payment_rate: { mart: 'fct_online_payment', value: 'online_payment_rate' },
  satisfaction_rate: { mart: 'fct_feedback_satisfaction', value: 'satisfaction_rate' },
  revenue_execution_rate: { mart: 'fct_budget_execution', value: "max(execution_rate) FILTER (WHERE item_key = 'revenue_total')" },
};

/** As Vietnamese writes them, formatted here independently of the page's code. */
function vietnamese(value: number | null, kind: 'count' | 'rate'): string {
  if (value === null) return '–';
  if (kind === 'count') return value.toLocaleString('vi-VN');
  return `${(value * 100).toLocaleString('vi-VN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}\u00a0%`;
}

describe.skipIf(SKIP)('the release page in Chromium', () => {
  let release: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const mart = (name: string) => `read_parquet(${literal(join(release, 'marts', `${name}.parquet`))})`;

  beforeAll(async () => {
    release = realpathSync(join(inject('publishDir'), 'current'));
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      // Without the background networking flags Chromium calls Google's hosts, which a closed network refuses.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // The page must need nothing but itself: any request beyond the file is refused and counted.
    await page.route('**/*', (route) => {
      if (route.request().url() === pathToFileURL(join(release, 'index.html')).href) return route.continue();
      problems.push(`request: ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(pathToFileURL(join(release, 'index.html')).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders from the file system with no console error and no request beyond the page', async () => {
    await expect(page.title()).resolves.toBe('Kho dữ liệu CCHC – Đồng Hới');
    expect(await page.locator('svg.trend').count()).toBeGreaterThan(5);
    expect(problems).toEqual([]);
    const shot = join(tempDir('cchc-page-'), 'index.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  });

  it('shows the headline indicators of the latest complete quarter and of its year as the marts hold them', async () => {
    const [latest] = await query<{ quarter: string; year: string }>(
      `SELECT max_by(period_key, period_start) AS quarter, max_by(year, period_start)::VARCHAR AS year FROM ${mart('dim_period')} WHERE period_type = 'quarter' AND is_complete`,
    );
    const shown = await page.locator('.card .value').evaluateAll((nodes) =>
      nodes.map((n) => ({ period: n.getAttribute('data-period'), measure: n.getAttribute('data-measure'), value: n.getAttribute('data-value'), text: n.textContent })),
    );
    expect(shown).toHaveLength(2 * Object.keys(INDICATORS).length);
    for (const [measure, { mart: name, value }] of Object.entries(INDICATORS)) {
      for (const period of [latest!.quarter, latest!.year]) {
        const [row] = await query<{ v: number | null }>(`SELECT ${value} AS v FROM ${mart(name)} WHERE scope = 'total' AND period_key = ${literal(period)}`);
        const figure = shown.find((s) => s.measure === measure && s.period === period);
        const expected = row?.v ?? null;
        expect(figure, `${measure} of ${period}`).toBeDefined();
        expect(figure!.value === '' ? null : Number(figure!.value), `${measure} of ${period}`).toBe(expected);
        expect(figure!.text).toBe(vietnamese(expected, measure.endsWith('rate') ? 'rate' : 'count'));
      }
    }
  });

  it('draws each trend through every complete quarter, and the targets of targets.csv where a year has one', async () => {
    const [{ quarters }] = (await query<{ quarters: number }>(
      `SELECT count(*)::INTEGER AS quarters FROM ${mart('dim_period')} WHERE period_type = 'quarter' AND is_complete`,
    )) as [{ quarters: number }];
    const dots = await page.locator('.card[data-measure="received_total"] svg circle').count();
    expect(dots).toBe(quarters);
    // 2024 has a target for online payment (≥ 50 %): its quarters carry a dashed target line.
    const targets = await query<{ quarters: number }>(
      `SELECT count(*)::INTEGER AS quarters FROM ${mart('rpt_quarterly_indicators')} WHERE scope = 'total' AND target_online_payment_rate IS NOT NULL`,
    );
    expect(targets[0]!.quarters).toBeGreaterThan(0);
    expect(await page.locator('.card[data-measure="online_payment_rate"] svg polyline.target').count()).toBeGreaterThan(0);
    // The target of each quarter of 2024 is on its point of the dashed line: one vertex per quarter with a target.
    const vertices = await page.locator('.card[data-measure="online_payment_rate"] svg polyline.target').evaluateAll((lines) =>
      lines.flatMap((l) => [...new Set(l.getAttribute('points')!.split(' '))]),
    );
    expect(vertices).toHaveLength(targets[0]!.quarters);
    expect(await page.locator('.card[data-measure="satisfaction_rate"] svg polyline.target').count()).toBe(0);
  });

  it('lists Biểu 06 of the latest complete quarter row for row and cell for cell as fct_tthc_resolution', async () => {
    const rows = await query<Record<string, unknown>>(
      `SELECT * FROM ${mart('fct_tthc_resolution')} WHERE period_key = (
         SELECT max_by(period_key, period_start) FROM ${mart('dim_period')} WHERE period_type = 'quarter' AND is_complete)`,
    );
    const shown = await page.locator('#bieu-06-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        unit: tr.getAttribute('data-unit'),
        cells: Object.fromEntries([...tr.querySelectorAll('td[data-field]')].map((td) => [td.getAttribute('data-field'), td.getAttribute('data-value')])),
      })),
    );
    expect(shown.map((s) => s.unit).sort()).toEqual(rows.map((r) => r.unit_code).sort());
    // In the form's order: the total, the levels, then the units in the order of the register (dim_unit's file order).
    const register = await query<{ unit_code: string }>(`SELECT unit_code FROM read_parquet(${literal(join(release, 'marts', 'dim_unit.parquet'))}, file_row_number = true) ORDER BY file_row_number`);
    const units = shown.filter((s) => rows.find((r) => r.unit_code === s.unit)!.scope === 'unit').map((s) => s.unit);
    expect(shown[0]!.unit).toBe(rows.find((r) => r.scope === 'total')!.unit_code);
    expect(units).toEqual([...units].sort((a, b) => register.findIndex((r) => r.unit_code === a) - register.findIndex((r) => r.unit_code === b)));
    for (const row of rows) {
      const cells = shown.find((s) => s.unit === row.unit_code)!.cells;
      expect(Object.keys(cells)).toHaveLength(13);
      for (const [field, value] of Object.entries(cells)) expect(value === '' ? null : Number(value), `${row.unit_code} ${field}`).toBe(row[field] ?? null);
    }
  });

  it('sorts the units of Biểu 06 by a column when its header is clicked, and back the other way', async () => {
    const column = page.locator('#bieu-06-table th[data-col] button', { hasText: 'Tổng số' }).first();
    const received = () => page.locator('#bieu-06-table tbody.units td[data-field="received_total"]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    await column.click();
    const ascending = await received();
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await column.click();
    const descending = await received();
    expect(descending).toEqual([...ascending].sort((a, b) => b - a));
    expect(descending[0]).toBeGreaterThan(descending.at(-1)!);
    expect(problems).toEqual([]);
  });

  it('states the freshness of every source, the data tests that warn and the reconciliation with the reference report', async () => {
    await expect(page.locator('#freshness tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-source')))).resolves.toEqual(['motcua', 'dvc', 'ngansach']);
    expect(await page.locator('#warnings tr[data-test="dq_online_dossiers_of_offline_procedures"]').count()).toBe(1);
    const statuses = await query<{ status: string; figures: number }>(`SELECT status, count(*)::INTEGER AS figures FROM ${mart('rpt_reconciliation')} GROUP BY status`);
    const listed = await page.locator('#reconciliation li').evaluateAll((lis) => lis.map((li) => ({ status: li.getAttribute('data-status'), figures: Number(li.getAttribute('data-value')) })));
    expect(listed.sort((a, b) => a.status!.localeCompare(b.status!))).toEqual(statuses.sort((a, b) => a.status.localeCompare(b.status)));
  });

  it('links the Parquet files, the snapshot, metabase-init.sql and a workbook of every complete quarter and year, all in the release', async () => {
    const hrefs = await page.locator('#files a').evaluateAll((as) => as.map((a) => decodeURI(a.getAttribute('href')!)));
    for (const href of hrefs) expect(existsSync(join(release, href)), href).toBe(true);
    const complete = await query<{ period_key: string }>(`SELECT period_key FROM ${mart('dim_period')} WHERE is_complete AND period_type IN ('quarter', 'year')`);
    expect(hrefs.filter((h) => h.startsWith('reports/')).sort()).toEqual(complete.map((p) => `reports/bao-cao-${p.period_key}.xlsx`).sort());
    expect(hrefs).toEqual(expect.arrayContaining(['cchc.duckdb', 'metabase-init.sql', 'marts/fct_tthc_resolution.parquet']));
  });
});
