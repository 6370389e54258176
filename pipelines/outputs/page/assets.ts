// The page's style and its one script, inlined: the page is opened from a file share or a
// mail attachment, with no server and no network.

export const STYLE = `
:root { --ink: #1d2733; --muted: #5b6775; --line: #d8dee6; --accent: #b3261e; --good: #1e7b34; --bad: #b3261e; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header, main { max-width: 1280px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 8px; }
.meta { color: var(--muted); margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card h3 { margin: 0 0 6px; font-size: 14px; font-weight: 600; color: var(--muted); }
.figures { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; align-items: baseline; }
.figure .value { font-size: 24px; font-weight: 700; white-space: nowrap; }
.figure + .figure .value { font-size: 19px; }
.figure .period { display: block; font-size: 12px; color: var(--muted); }
.target { font-size: 13px; margin: 4px 0 0; }
.met { color: var(--good); font-weight: 600; }
.missed { color: var(--bad); font-weight: 600; }
svg.trend { display: block; margin-top: 6px; }
.axis { display: flex; justify-content: space-between; width: 220px; font-size: 11px; color: var(--muted); }
svg.trend .line { fill: none; stroke: #2f5d8c; stroke-width: 2; }
svg.trend .target { fill: none; stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.trend .dot { fill: #2f5d8c; }
svg.trend .last { fill: var(--accent); }
.legend { font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; background: #fff; width: 100%; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; }
th { background: #eef1f5; font-weight: 600; vertical-align: bottom; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td, tr.level td { font-weight: 700; background: #fafbfc; }
.scroll { overflow-x: auto; }
th button { all: unset; cursor: pointer; display: block; width: 100%; }
th button::after { content: " ↕"; color: #9aa5b1; }
th[aria-sort="ascending"] button::after { content: " ↑"; color: var(--ink); }
th[aria-sort="descending"] button::after { content: " ↓"; color: var(--ink); }
.stale { color: var(--bad); font-weight: 600; }
.fresh { color: var(--good); }
ul.links { columns: 2 320px; padding-left: 18px; }
footer { max-width: 1280px; margin: 24px auto; padding: 0 20px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } .card { break-inside: avoid; } th button::after { content: ""; } }
`;

/**
 * Sorts the units of Biểu 06 by a column: numbers by value, text in Vietnamese order, each click
 * turning the order round. The total and the levels stay above, as on the form.
 */
export const SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  var body = table.querySelector('tbody.units');
  table.querySelectorAll('th[data-col]').forEach(function (th) {
    th.querySelector('button').addEventListener('click', function () {
      var col = Number(th.dataset.col);
      var descending = th.getAttribute('aria-sort') === 'ascending';
      table.querySelectorAll('th[data-col]').forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) { var cell = row.cells[col]; return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.dataset.value; };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), order;
        // A cell with no figure goes last either way.
        if (x === '' || y === '') return (x === '') - (y === '') || Number(a.dataset.order) - Number(b.dataset.order);
        if (th.dataset.type === 'text') order = x.localeCompare(y, 'vi');
        else order = Number(x) - Number(y);
        return (descending ? -order : order) || Number(a.dataset.order) - Number(b.dataset.order);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
`;
