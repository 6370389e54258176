// The release page as one self-contained HTML document: the headline indicators with their
// trends and targets, Biểu 06 of the latest complete quarter, the state of the data, and the
// files of the release. The figures of the cards and of Biểu 06 carry their unrounded value in
// data-value, so that what is shown can be checked against the marts.
import type { Row } from '../../../core/warehouse.js';
import { UNIT_TABLES } from '../report/forms.js';
import { STYLE, SCRIPT } from './assets.js';
import { escapeXml as esc, sparkline } from './chart.js';
import type { Period } from '../report/release.js';
import { INDICATORS, type Indicator, type PageData, type Target } from './data.js';
import { statusSections } from './status.js';
import { formatValue, vietnameseDateTime } from './format.js';

export function renderPage(data: PageData): string {
  const title = `Kho dữ liệu CCHC – ${data.deployment}`;
  return `<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">Bản phát hành <b>${esc(data.runId)}</b>, công bố lúc ${esc(vietnameseDateTime(data.publishedAt))}${
    data.dataAsOf ? `; số liệu hồ sơ cập nhật đến <span id="data-as-of">${esc(vietnameseDateTime(data.dataAsOf, 'UTC'))}</span>` : ''
  }.</p>
</header>
<main>
${headlineSection(data)}
${bieu06Section(data)}
${statusSections(data)}
${filesSection(data)}
</main>
<footer>Trang này được kho dữ liệu CCHC viết khi công bố bản phát hành; mở trực tiếp từ thư mục, không cần mạng.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function headlineSection(data: PageData): string {
  if (data.missing.length > 0) {
    return `<section id="headline"><h2>Chỉ tiêu chính</h2><p>Chưa có số liệu: các mart ${esc(data.missing.join(', '))} chưa được xây dựng (một nguồn chưa từng nạp được).</p></section>`;
  }
  if (!data.quarter) return '<section id="headline"><h2>Chỉ tiêu chính</h2><p>Chưa có quý nào trọn vẹn trong số liệu đã công bố.</p></section>';
  const yearLabel = data.year ? `${data.year.period_label}${data.year.is_complete ? '' : ' (từ đầu năm đến nay)'}` : '';
  return `<section id="headline">
<h2>Chỉ tiêu chính: ${esc(data.quarter.period_label)}${data.year ? ` và ${esc(yearLabel)}` : ''}</h2>
<p class="legend">Đường liền: từng quý trọn vẹn (chấm đỏ là quý gần nhất); đường đứt: mục tiêu của năm, nếu có.</p>
<div class="cards">
${INDICATORS.map((indicator) => card(data, indicator, yearLabel)).join('\n')}
</div>
</section>`;
}

function card(data: PageData, indicator: Indicator, yearLabel: string): string {
  const { measure, kind } = indicator;
  const figure = (period: Period, label: string) => {
    const value = data.totals.get(period.period_key)?.[measure] ?? null;
    return `<div class="figure"><span class="value" data-period="${esc(period.period_key)}" data-measure="${measure}" data-value="${value ?? ''}">${esc(formatValue(value, kind))}</span><span class="period">${esc(label)}</span></div>`;
  };
  const points = data.quarters.map((q) => {
    const value = data.totals.get(q.period_key)?.[measure] ?? null;
    return { label: q.period_label, value, target: targetOf(data.targets, measure, q)?.value ?? null, text: formatValue(value, kind) };
  });
  const trend = sparkline(points, `${indicator.label} theo quý, từ ${data.quarters[0]!.period_label} đến ${data.quarter!.period_label}`);
  return `<article class="card" data-measure="${measure}">
<h3>${esc(indicator.label)}</h3>
<div class="figures">${figure(data.quarter!, data.quarter!.period_label)}${data.year ? figure(data.year, yearLabel) : ''}</div>
${latestKnown(data, indicator)}${targetLine(data, indicator)}
${trend}
<div class="axis"><span>${esc(data.quarters[0]!.period_label)}</span><span>${esc(data.quarter!.period_label)}</span></div>
</article>`;
}

/** A source that stopped sending (the sample's budget ends in March 2024): its last quarter with a figure. */
function latestKnown(data: PageData, indicator: Indicator): string {
  if (data.totals.get(data.quarter!.period_key)?.[indicator.measure] != null) return '';
  const last = [...data.quarters].reverse().find((q) => data.totals.get(q.period_key)?.[indicator.measure] != null);
  if (!last) return '<p class="target">Chưa có số liệu.</p>\n';
  const value = data.totals.get(last.period_key)![indicator.measure];
  return `<p class="target">Số liệu gần nhất: ${esc(last.period_label)}, ${esc(formatValue(value, indicator.kind))}</p>\n`;
}

/** The target of the quarter's year, and whether the quarter meets it. */
function targetLine(data: PageData, indicator: Indicator): string {
  const target = targetOf(data.targets, indicator.measure, data.quarter!);
  if (!target) return '<p class="target">Chưa đặt mục tiêu cho năm này.</p>';
  const value = data.totals.get(data.quarter!.period_key)?.[indicator.measure] ?? null;
  const met = value === null ? null : target.comparison === '<=' ? value <= target.value : value >= target.value;
  const verdict = met === null ? '' : met ? ' <span class="met">Đạt</span>' : ' <span class="missed">Chưa đạt</span>';
  return `<p class="target" data-target="${target.value}">Mục tiêu năm ${target.year}: ${target.comparison === '<=' ? '≤' : '≥'} ${esc(formatValue(target.value, indicator.kind))}${verdict}</p>`;
}

export function targetOf(targets: readonly Target[], measure: string, period: Period): Target | undefined {
  return targets.find((t) => t.measure === measure && t.year === Number(period.year));
}

const BIEU_06 = UNIT_TABLES.find((t) => t.name === 'Biểu 06')!;

function bieu06Section(data: PageData): string {
  if (!data.quarter || data.bieu06.length === 0) return '';
  const groups: string[] = [];
  BIEU_06.measures.forEach((m, i) => {
    if (m.group === undefined) groups.push(`<th rowspan="2" data-col="${i + 2}" data-type="num"><button type="button">${esc(m.header)}</button></th>`);
    else if (BIEU_06.measures[i - 1]?.group !== m.group) {
      groups.push(`<th colspan="${BIEU_06.measures.filter((x) => x.group === m.group).length}">${esc(m.group)}</th>`);
    }
  });
  const columns = BIEU_06.measures
    .map((m, i) => (m.group === undefined ? '' : `<th data-col="${i + 2}" data-type="num"><button type="button">${esc(m.header)}</button></th>`))
    .join('');
  const sums = data.bieu06.filter((r) => r.scope !== 'unit');
  const units = data.bieu06.filter((r) => r.scope === 'unit');
  return `<section id="bieu-06">
<h2>Biểu 06: tình hình, kết quả giải quyết TTHC, ${esc(data.quarter.period_label)}</h2>
<p class="legend">Bấm vào tên cột để sắp xếp các đơn vị; dòng tổng cộng và các cấp giữ nguyên ở trên.</p>
<div class="scroll"><table class="sortable" id="bieu-06-table">
<thead>
<tr><th rowspan="2" data-col="0" data-type="num"><button type="button">Cấp</button></th><th rowspan="2" data-col="1" data-type="text"><button type="button">Đơn vị</button></th>${groups.join('')}</tr>
<tr>${columns}</tr>
</thead>
<tbody class="sums">${sums.map((r) => unitRow(r, 0)).join('\n')}</tbody>
<tbody class="units">${units.map((r, i) => unitRow(r, i)).join('\n')}</tbody>
</table></div>
</section>`;
}

function unitRow(row: Row, order: number): string {
  const scope = String(row.scope);
  const level = scope === 'unit' ? String(row.level_label ?? 'Chưa có trong danh mục') : '';
  const name = scope === 'total' ? 'Tổng cộng' : scope === 'level' ? `Cộng ${String(row.level_label ?? row.unit_name).toLocaleLowerCase('vi-VN')}` : String(row.unit_name);
  const cells = BIEU_06.measures.map((m) => {
    const value = (row[m.field] as number | null) ?? null;
    return `<td class="n" data-field="${m.field}" data-value="${value ?? ''}">${esc(formatValue(value, m.kind))}</td>`;
  });
  return `<tr class="${scope}" data-unit="${esc(String(row.unit_code))}" data-order="${order}"><td data-sort="${row.level_position ?? ''}">${esc(level)}</td><td data-sort="${esc(name)}">${esc(name)}</td>${cells.join('')}</tr>`;
}

function filesSection(data: PageData): string {
  const item = (href: string, label: string, detail: string) => `<li><a href="${esc(encodeURI(href))}">${esc(label)}</a> <span class="legend">${esc(detail)}</span></li>`;
  return `<section id="files">
<h2>Tải về</h2>
<h3>Báo cáo (Excel), theo kỳ trọn vẹn</h3>
${data.workbooks.length === 0 ? `<p>${data.missing.length > 0 ? 'Chưa có: một số mart chưa được xây dựng.' : 'Chưa có kỳ nào trọn vẹn.'}</p>` : `<ul class="links">${data.workbooks.map((w) => item(w.file, w.label, w.file)).join('\n')}</ul>`}
<h3>Dữ liệu</h3>
<ul class="links">${data.links.map((l) => item(l.file, l.label, l.detail)).join('\n')}</ul>
</section>`;
}
