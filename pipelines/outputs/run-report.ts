// What a person reads after `cchc run`: the headline figures, where they were published, the
// data tests, the figures of the reference report, and what failed with what to do.
import type { RunSummary } from '../ops/ledger.js';
import { headlineTable } from './headline.js';

/** The exit code of each outcome (docs/operations.md). */
const EXIT_CODES: Record<RunSummary['outcome'], number> = { success: 0, running: 1, failed: 1, partial: 3, skipped: 4 };

/** What a person reads after a run: the headline figures, where they are, the tests, what failed. */
export async function printRun(summary: RunSummary): Promise<number> {
  const published = summary.stages.publish;
  if (published) {
    console.log(`\n${await headlineTable(published.releaseDir)}\n`);
    console.log(`Published ${published.marts.length} marts as Parquet, the DuckDB snapshot, the report workbooks and manifest.json in`);
    console.log(`  ${published.releaseDir}`);
    console.log(`  (current release: ${published.currentLink}; open ${published.currentLink}/index.html in a browser)`);
  }
  const released = summary.stages.load?.released ?? [];
  if (released.length > 0) {
    const rows = released.reduce((n, r) => n + r.rows, 0);
    const files = new Set(released.map((r) => r.file)).size;
    console.log(`\n${rows.toLocaleString('en-US')} quarantined rows of ${files} file${files > 1 ? 's' : ''} now pass their checks and were loaded (ops.quarantine_releases).`);
  }
  const tests = summary.stages.transform?.tests ?? [];
  const warned = tests.filter((t) => t.status === 'fail' && t.severity === 'warn');
  if (tests.length > 0) {
    console.log(`\nData tests: ${tests.filter((t) => t.status === 'pass').length} of ${tests.length} pass${warned.length > 0 ? '; to look at (warn):' : ''}`);
    for (const t of warned) console.log(`  ${t.name}: ${t.failingRows.toLocaleString('en-US')} row${t.failingRows === 1 ? '' : 's'} (see ops.test_results)\n    ${firstSentence(t.description)}`);
  }
  const reconciled = summary.stages.transform?.reconciliation;
  if (reconciled) {
    console.log(
      `Figures of the reference report: ${reconciled.match} of ${reconciled.match + reconciled.mismatch} match` +
        (reconciled.inconsistent_in_source > 0 ? `; ${reconciled.inconsistent_in_source} contradict the report itself (see rpt_reconciliation)` : ''),
    );
  }
  for (const warning of summary.warnings) console.error(`\nwarning: ${warning}`);
  if (summary.outcome === 'skipped') {
    console.error(`\nThe run was skipped: ${summary.errors[0]?.message}\n  → ${summary.errors[0]?.action}`);
  } else if (summary.outcome === 'partial') {
    console.error(`\nThe run was partial (${summary.runId}): these sources failed; the others were published, and the marts that read a failed source keep their last good data (stale_marts in manifest.json):`);
  } else if (summary.outcome === 'failed') {
    console.error(`\nThe run failed (${summary.runId}); the published release was not changed.`);
  }
  if (summary.outcome === 'partial' || summary.outcome === 'failed') {
    for (const error of summary.errors) console.error(`- [${error.stage}${error.source ? ` ${error.source}` : ''}] ${error.message}\n  → ${error.action}`);
  }
  return EXIT_CODES[summary.outcome];
}

/** "Data quality: dossiers received for …." of a test's description, without its advice. */
function firstSentence(text: string): string {
  return text.replace(/\s+/g, ' ').trim().split(/(?<=\.) /)[0]!;
}
