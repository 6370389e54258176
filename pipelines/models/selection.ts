// Which models a run builds: those a --select names (with what they read or what reads them),
// or those that read a source, to leave alone when that source failed.
import { dirname, sep } from 'node:path';
import { ModelError } from '../../core/errors.js';
import type { Model } from './graph.js';

/**
 * The models a selection names, in build order. Each selector is a model (`fct_digitization` or
 * `marts.fct_digitization`) or a folder of sql/ (`staging.motcua`, `marts`); `+` after it adds
 * the models that read it, directly or not, and `+` before it the models it reads.
 */
export function selectModels(models: Model[], selectors: readonly string[]): Model[] {
  const selected = new Set<string>();
  for (const raw of selectors) {
    const upstream = raw.startsWith('+');
    const downstream = raw.endsWith('+');
    const selector = raw.replace(/^\+|\+$/g, '');
    const matched = models.filter((m) => m.name === selector || m.id === selector || folderOf(m).startsWith(`${selector}.`) || folderOf(m) === selector);
    if (matched.length === 0) {
      throw new ModelError(`--select ${raw}: no model or folder of sql/ is called ${selector}`, {
        action: 'name a model (fct_digitization, marts.fct_digitization) or a folder (staging.motcua)',
      });
    }
    for (const model of matched) {
      selected.add(model.id);
      if (upstream) for (const id of ancestors(models, model)) selected.add(id);
      if (downstream) for (const id of descendants(models, model)) selected.add(id);
    }
  }
  return models.filter((m) => selected.has(m.id));
}

/** The models that read a raw table of these sources, directly or through other models. */
export function modelsReadingSources(models: Model[], sources: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const model of models) {
    if (!model.references.some((r) => sources.some((source) => r.table.startsWith(`raw.${source}__`)))) continue;
    found.add(model.id);
    for (const id of descendants(models, model)) found.add(id);
  }
  return found;
}

/** staging.motcua for sql/staging/motcua/stg_motcua__dossiers.sql. */
function folderOf(model: Model): string {
  return dirname(model.file).split(sep).slice(1).join('.');
}

function ancestors(models: Model[], model: Model): Set<string> {
  const byId = new Map(models.map((m) => [m.id, m]));
  const found = new Set<string>();
  const walk = (m: Model) => {
    for (const dep of m.dependsOn) {
      if (found.has(dep)) continue;
      found.add(dep);
      walk(byId.get(dep)!);
    }
  };
  walk(model);
  return found;
}

function descendants(models: Model[], model: Model): Set<string> {
  const found = new Set<string>();
  let frontier = [model.id];
  while (frontier.length > 0) {
    const next = models.filter((m) => !found.has(m.id) && m.dependsOn.some((d) => frontier.includes(d))).map((m) => m.id);
    for (const id of next) found.add(id);
    frontier = next;
  }
  return found;
}

