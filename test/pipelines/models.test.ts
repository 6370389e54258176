// The model graph: the order models build in, what breaks it, and what a selection builds.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../core/errors.js';
import { testsOf } from '../../pipelines/models/data-tests.js';
import { discoverModels, referencesIn, rewriteReferences } from '../../pipelines/models/graph.js';
import { selectModels } from '../../pipelines/models/selection.js';
import { sqlCopy } from '../helpers.js';

function modelError(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return (error as ModelError).message;
  }
  throw new Error('expected a model error');
}

describe('the model graph', () => {
  const models = discoverModels();
  const ids = models.map((m) => m.id);

  it('tests each primary key on the data, but for one that holds by construction from keys tested upstream', () => {
    const names = testsOf(models, models[0]!.sqlDir, models).map((t) => t.name);
    expect(names).toContain('int_dossiers_classified: unique(dossier_id)');
    expect(names).toContain('int_periods: unique(period_key)');
    expect(names.filter((n) => n.startsWith('int_dossier_periods:'))).toEqual([]);
  });

  it('builds each model after the models it reads, found in its SQL', () => {
    for (const model of models) {
      for (const dep of model.dependsOn) expect(ids.indexOf(dep)).toBeLessThan(ids.indexOf(model.id));
    }
    expect(models.find((m) => m.id === 'marts.fct_digitization')!.dependsOn).toEqual(['intermediate.int_unit_period_counts']);
  });

  it('names every reader, with file and line, of a model that was deleted', () => {
    const dir = sqlCopy();
    rmSync(join(dir, 'staging', 'motcua', 'stg_motcua__procedures.sql'));
    expect(modelError(() => discoverModels(dir))).toMatch(
      /^models read tables that are not models: staging\.stg_motcua__procedures, read by sql\/intermediate\/int_dossiers_classified\.sql:\d+, sql\/marts\/dim_procedure\.sql:\d+$/,
    );
  });

  it('reports a cycle with the file and line of each step', () => {
    const dir = sqlCopy();
    const model = (name: string, reads: string) =>
      writeFileSync(join(dir, 'intermediate', `${name}.sql`), `/*\ndescription: d\ngrain: g\n*/\nselect *\nfrom ${reads}\n`);
    model('int_a', 'intermediate.int_b');
    model('int_b', 'intermediate.int_a');
    expect(modelError(() => discoverModels(dir))).toBe(
      'models read each other in a cycle: sql/intermediate/int_a.sql:6 reads intermediate.int_b, sql/intermediate/int_b.sql:6 reads intermediate.int_a',
    );
  });

  it('refuses a model beyond staging that reads a raw table', () => {
    const dir = sqlCopy();
    writeFileSync(join(dir, 'marts', 'fct_raw.sql'), '/*\ndescription: d\ngrain: g\n*/\nselect * from raw.motcua__dossiers\n');
    expect(modelError(() => discoverModels(dir))).toBe('sql/marts/fct_raw.sql:5 reads raw.motcua__dossiers: only staging models read raw tables');
  });

  it('refuses a model built from another that is not an incremental model on its key, or that it does not read', () => {
    const dir = sqlCopy();
    const model = (from: string, reads: string) =>
      `/*\ndescription: d\ngrain: g\nmaterialized: incremental\nincremental:\n  unique_key: dossier_id\n  from: ${from}\n*/\nselect * from ${reads}\n`;
    const message = (from: string) => `sql/intermediate/int_x.sql: \`incremental.from: ${from}\` must name an incremental model on the same key (dossier_id) that this model reads`;
    writeFileSync(join(dir, 'intermediate', 'int_x.sql'), model('staging.stg_motcua__procedures', 'staging.stg_motcua__procedures'));
    expect(modelError(() => discoverModels(dir))).toBe(message('staging.stg_motcua__procedures'));
    writeFileSync(join(dir, 'intermediate', 'int_x.sql'), model('staging.stg_motcua__dossiers', 'intermediate.int_dossiers_classified'));
    expect(modelError(() => discoverModels(dir))).toBe(message('staging.stg_motcua__dossiers'));
    writeFileSync(join(dir, 'intermediate', 'int_x.sql'), model('staging.stg_motcua__dossiers', 'staging.stg_motcua__dossiers'));
    expect(discoverModels(dir).find((m) => m.id === 'intermediate.int_x')?.dependsOn).toEqual(['staging.stg_motcua__dossiers']);
  });

  it('finds what a model reads in its SQL, quoted or not, and not in strings, comments or quoted names', () => {
    const sql = [
      'select u.unit_name, "staging.total" as x -- marts.fct_in_a_comment',
      'from "marts"."dim_unit" as u',
      "join STAGING.stg_seeds__units s on s.note = 'intermediate.int_in_a_string' and e'it\\'s raw.x' <> ''",
      '/* seeds.in_a_block */ join intermediate . int_periods p on true',
    ].join('\n');
    expect(referencesIn(sql)).toEqual([
      { table: 'marts.dim_unit', line: 2 },
      { table: 'staging.stg_seeds__units', line: 3 },
      { table: 'intermediate.int_periods', line: 4 },
    ]);
  });

  it('rewrites the references to one schema only, not those in comments or strings', () => {
    const sql = `-- from raw.old\nselect 'raw.x', * from raw.motcua__dossiers r join "raw"."dvc__payments" p using (a) join seeds.units u using (b)`;
    expect(rewriteReferences(sql, 'raw', (t) => `(${t} new)`)).toBe(
      `-- from raw.old\nselect 'raw.x', * from (raw.motcua__dossiers new) r join ("raw"."dvc__payments" new) p using (a) join seeds.units u using (b)`,
    );
  });

  it('selects a model with what it reads (+model) or with what reads it (model+)', () => {
    const upstream = selectModels(models, ['+fct_digitization']).map((m) => m.id);
    expect(upstream).toContain('staging.stg_motcua__dossiers');
    expect(upstream).toContain('marts.fct_digitization');
    expect(upstream).not.toContain('marts.fct_online_service');
    const downstream = selectModels(models, ['stg_ngansach__budget_lines+']).map((m) => m.id);
    expect(new Set(downstream)).toEqual(
      new Set(['staging.stg_ngansach__budget_lines', 'marts.fct_budget_execution', 'marts.fct_par_criteria', 'marts.rpt_quarterly_indicators', 'marts.rpt_reconciliation']),
    );
  });

  it('selects the models of a folder, and names a selector that matches none', () => {
    expect(selectModels(models, ['staging.motcua']).every((m) => m.file.startsWith('sql/staging/motcua/'))).toBe(true);
    expect(selectModels(models, ['staging.motcua']).length).toBeGreaterThan(5);
    expect(modelError(() => selectModels(models, ['fct_nothing+']))).toBe('--select fct_nothing+: no model or folder of sql/ is called fct_nothing');
  });
});
