// The state of the data behind the figures: how fresh each source is, what the quarantine holds
// and why, the data tests that warn, and how the figures compare with the reference report.
import { escapeXml as esc } from './chart.js';
import type { PageData } from './data.js';
import { formatValue, vietnameseDateTime } from './format.js';

/** The source systems as the office names them. */
const SOURCES: Record<string, string> = {
  motcua: 'Hệ thống thông tin một cửa điện tử (hồ sơ TTHC)',
  dvc: 'Cổng dịch vụ công (thanh toán, đánh giá, phản ánh kiến nghị)',
  ngansach: 'Hệ thống quản lý ngân sách (dự toán, thực hiện)',
};
const STATUS: Record<string, string> = { match: 'Khớp', mismatch: 'Lệch', inconsistent_in_source: 'Báo cáo tự mâu thuẫn' };

const sourceName = (source: string) => SOURCES[source] ?? source;
const count = (n: number) => formatValue(n, 'count');

export function statusSections(data: PageData): string {
  return `<section id="data-state">
<h2>Tình trạng dữ liệu</h2>
${freshness(data)}
${quarantine(data)}
${warnings(data)}
${reconciliation(data)}
</section>`;
}

function freshness(data: PageData): string {
  const rows = data.freshness.map((f) => {
    const last = f.last_new_data ? vietnameseDateTime(new Date(f.last_new_data)) : 'chưa từng nhận';
    const state = f.stale ? '<span class="stale">Quá hạn cập nhật</span>' : '<span class="fresh">Đúng hạn</span>';
    return `<tr data-source="${esc(f.source)}" data-stale="${f.stale}"><td>${esc(sourceName(f.source))}</td><td>${esc(last)}</td><td class="n">${count(f.max_age_hours)} giờ</td><td>${state}</td></tr>`;
  });
  return `<h3>Độ mới của dữ liệu theo nguồn</h3>
<table id="freshness"><thead><tr><th>Nguồn</th><th>Nhận dữ liệu mới lần cuối</th><th>Tối đa cho phép</th><th>Tình trạng</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function quarantine(data: PageData): string {
  if (data.quarantine.length === 0) return '<h3>Dòng bị cách ly</h3><p>Lần chạy này không nạp nguồn nào.</p>';
  const tables = data.quarantine.flatMap((q) =>
    q.tables.map(
      (t) =>
        `<tr data-source="${esc(q.source)}" data-table="${esc(t.table)}" data-quarantined="${t.rows_quarantined}"><td>${esc(sourceName(q.source))}</td><td>${esc(t.table)}</td><td class="n">${count(t.rows_read)}</td><td class="n">${count(t.rows_quarantined)}</td><td class="n">${formatValue(t.rate, 'rate')}</td></tr>`,
    ),
  );
  const reasons = data.quarantine.flatMap((q) =>
    q.reasons.map(
      (r) =>
        `<tr><td>${esc(sourceName(q.source))}</td><td>${esc(r.table)}</td><td>${esc(r.reason)}</td><td class="n">${count(r.rows)}</td><td>${r.config_key ? `<code>${esc(r.config_key)}</code>` : ''}</td></tr>`,
    ),
  );
  const held = data.quarantine.reduce((n, q) => n + q.tables.reduce((m, t) => m + t.rows_quarantined, 0), 0);
  return `<h3>Dòng bị cách ly: <span id="quarantined-rows" data-value="${held}">${count(held)}</span></h3>
<p class="legend">Dòng đọc được nhưng chưa nạp vì sai quy cách, từ lần nguồn đạt yêu cầu gần nhất; chi tiết trong <code>cchc status</code> và <code>quarantine.*</code>.</p>
<table id="quarantine"><thead><tr><th>Nguồn</th><th>Bảng</th><th>Dòng đã đọc</th><th>Dòng cách ly</th><th>Tỷ lệ</th></tr></thead><tbody>${tables.join('\n')}</tbody></table>
${reasons.length === 0 ? '' : `<table id="quarantine-reasons"><thead><tr><th>Nguồn</th><th>Bảng</th><th>Lý do</th><th>Số dòng</th><th>Khai báo để nhận</th></tr></thead><tbody>${reasons.join('\n')}</tbody></table>`}`;
}

function warnings(data: PageData): string {
  if (data.warnings.length === 0) return '<h3>Kiểm thử dữ liệu cảnh báo</h3><p>Không có kiểm thử nào cảnh báo.</p>';
  const rows = data.warnings.map(
    (w) => `<tr data-test="${esc(w.test_name)}"><td><code>${esc(w.test_name)}</code></td><td class="n" data-value="${w.failing_rows}">${count(w.failing_rows)}</td><td>${esc(w.description ?? '')}</td></tr>`,
  );
  return `<h3>Kiểm thử dữ liệu cảnh báo</h3>
<table id="warnings"><thead><tr><th>Kiểm thử</th><th>Số dòng</th><th>Nội dung</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function reconciliation(data: PageData): string {
  if (!data.reconciliation) return '';
  const counts = data.reconciliation.counts.map((c) => `<li data-status="${esc(c.status)}" data-value="${c.figures}">${esc(STATUS[c.status] ?? c.status)}: ${count(c.figures)} số liệu</li>`);
  const rows = data.reconciliation.differing.map(
    (r) =>
      `<tr><td>${esc(String(r.figure_id))}</td><td>${esc(String(r.period_key))}</td><td>${esc(String(r.description ?? r.measure))}</td><td class="n">${esc(plain(r.published_value, r.measure))}</td><td class="n">${esc(plain(r.derived_value, r.measure))}</td><td>${esc(STATUS[String(r.status)] ?? String(r.status))}</td><td>${esc(String(r.reason ?? ''))}</td></tr>`,
  );
  return `<h3>Đối chiếu với báo cáo tham chiếu</h3>
<ul id="reconciliation">${counts.join('')}</ul>
${rows.length === 0 ? '' : `<table><thead><tr><th>Mã</th><th>Kỳ</th><th>Số liệu</th><th>Báo cáo</th><th>Kho dữ liệu</th><th>Kết quả</th><th>Lý do</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`}`;
}

/** A figure of the reference report: a rate (its measure says so) or a count. */
function plain(value: unknown, measure: unknown): string {
  if (value === null || value === undefined) return '–';
  return formatValue(Number(value), String(measure).endsWith('_rate') ? 'rate' : 'count');
}
