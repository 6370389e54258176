// `cchc codes`: the values the quarantine holds that no code list knows (a unit, a channel, a
// status spelled the way one office spells it), with how many rows wait on each, the first file
// it came in, and the closest spellings the list knows; then the YAML to paste under
// `vocabulary:` in the config. Read against the config as it is now, so that a spelling just
// added shows as placed: its rows load at the next run.
import { existsSync } from 'node:fs';
import type { Config } from '../../config/load.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { CchcError, messageOf } from '../../core/errors.js';
import { literal, Warehouse } from '../../core/warehouse.js';
import { deploymentReference, prepareWarehouse } from '../setup/layout.js';
import { unknownValues, type UnknownValue } from '../stages/quarantine-report.js';

/** Below this similarity a spelling is not offered as the code a value means. */
const SUGGEST_FROM = 0.85;

export async function readUnknownValues(config: Config): Promise<UnknownValue[]> {
  const warehouse = config.paths.warehouse;
  if (!existsSync(warehouse)) return [];
  const db = await Warehouse.open(':memory:');
  try {
    // The code lists as the config makes them now; the quarantine as the last run left it.
    await prepareWarehouse(db, CONNECTORS, { sqlDir: config.paths.sqlDir, reference: deploymentReference(config) });
    try {
      await db.run(`ATTACH ${literal(warehouse)} AS w (READ_ONLY)`);
    } catch (error) {
      throw new CchcError(`cannot open ${warehouse}: ${messageOf(error)}`, {
        action: 'a run holds the warehouse while it works: try again when it ends (`cchc status` shows it)',
        cause: error,
      });
    }
    return await unknownValues(db, 'w.ops.quarantine');
  } finally {
    db.close();
  }
}

export function formatUnknownValues(values: readonly UnknownValue[]): string {
  const waiting = values.filter((v) => !v.placed_as);
  const placed = values.filter((v) => v.placed_as);
  const lines: string[] = [];
  if (values.length === 0) return 'The quarantine holds no value that a code list does not know.';
  if (placed.length > 0) {
    lines.push(`${placed.length} spelling${placed.length > 1 ? 's' : ''} the config now places: ${count(sum(placed))} rows load at the next run.`);
    for (const v of placed) lines.push(`  ${v.list.padEnd(14)} ${JSON.stringify(v.value)} → ${v.placed_as}  (${count(v.rows)} rows)`);
    lines.push('');
  }
  if (waiting.length === 0) return lines.join('\n').trimEnd();
  lines.push(`${waiting.length} value${waiting.length > 1 ? 's' : ''} no code list knows, in ${count(sum(waiting))} quarantined rows:`, '');
  const valueWidth = Math.min(40, Math.max(5, ...waiting.map((v) => v.value.length + 2)));
  lines.push(`  ${'list'.padEnd(14)} ${'value'.padEnd(valueWidth)} ${'rows'.padStart(7)}  first seen in`);
  for (const v of waiting) {
    lines.push(`  ${v.list.padEnd(14)} ${JSON.stringify(v.value).padEnd(valueWidth)} ${count(v.rows).padStart(7)}  ${v.first_file}`);
    const closest = v.closest.map((c) => `${c.code} (${c.label}) ${c.similarity.toFixed(2)}`).join('; ');
    lines.push(`  ${''.padEnd(14)} closest: ${closest || 'none'}`);
  }
  lines.push('', 'To place them, add this under the config (merged with a vocabulary: it already has); check each code first:', '', ...vocabularyYaml(waiting));
  return lines.join('\n');
}

/** The YAML of the values under the code each most likely means; those with no close spelling, as comments to complete. */
function vocabularyYaml(values: readonly UnknownValue[]): string[] {
  const lines = ['vocabulary:'];
  for (const list of [...new Set(values.map((v) => v.list))]) {
    lines.push(`  ${list}:`);
    const ofList = values.filter((v) => v.list === list);
    const byCode = new Map<string, UnknownValue[]>();
    for (const v of ofList.filter((x) => (x.closest[0]?.similarity ?? 0) >= SUGGEST_FROM)) {
      const code = v.closest[0]!.code;
      byCode.set(code, [...(byCode.get(code) ?? []), v]);
    }
    for (const [code, same] of byCode) {
      lines.push(`    ${JSON.stringify(code)}:   # ${same[0]!.closest[0]!.label}`);
      for (const v of same) lines.push(`      - ${JSON.stringify(v.value)}   # ${count(v.rows)} rows; close to "${v.closest[0]!.spelling}" (${v.closest[0]!.similarity.toFixed(2)})`);
    }
    for (const v of ofList.filter((x) => (x.closest[0]?.similarity ?? 0) < SUGGEST_FROM)) {
      lines.push(`    # "<code>": [${JSON.stringify(v.value)}]   # ${count(v.rows)} rows; no close spelling: name the code it means`);
    }
  }
  return lines;
}

function sum(values: readonly UnknownValue[]): number {
  return values.reduce((n, v) => n + v.rows, 0);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
