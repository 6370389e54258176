// The unit register of a deployment: its roll-up levels and its units over time, with the
// successors of the units that ended (config `deployment.register`, a YAML file). Parsed and
// checked once with the config; the warehouse loads it into seeds.levels, seeds.units and
// seeds.unit_successors (pipelines/setup/layout.ts), and the sample generator builds on it.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, messageOf } from '../core/errors.js';

// The yaml package reads YAML 1.2, where 2025-06-30 is text, not a timestamp.
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(d)) && new Date(Date.parse(d)).toISOString().slice(0, 10) === d, 'no such day');

const successor = z.union([
  z.string().min(1).transform((unit) => ({ unit, share: undefined as number | undefined })),
  z.strictObject({ unit: z.string().min(1), share: z.number().gt(0).lte(1).optional() }),
]);

const unit = z.strictObject({
  code: z.string().regex(/^[\p{L}\p{N}._-]+$/u, 'letters, digits, dots, dashes or underscores'),
  name: z.string().min(1),
  /** A level of `levels`; none for the entity at the top. */
  level: z.string().min(1).optional(),
  type: z.string().min(1),
  parent: z.string().min(1).optional(),
  valid_from: day.optional(),
  valid_to: day.optional(),
  /** The authority the entity at the top sends its reports to, printed under the reporting unit of the report. */
  reports_to: z.string().min(1).optional(),
  aliases: z.array(z.string().min(1)).default([]),
  successors: z.array(successor).default([]),
});

const registerSchema = z.strictObject({
  code: z.string().regex(/^[\p{L}\p{N}._-]+$/u, 'letters, digits, dots, dashes or underscores'),
  name: z.string().min(1),
  levels: z
    .record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower-case code such as province or commune'), z.strictObject({
      label: z.string().min(1),
      aliases: z.array(z.string().min(1)).default([]),
    }))
    .refine((levels) => Object.keys(levels).length > 0, 'at least one level'),
  units: z.array(unit).min(1),
});

export type RegisterUnit = {
  code: string;
  name: string;
  /** NULL for an entity at the top of the register: it receives nothing itself. */
  level: string | null;
  type: string;
  parent: string | null;
  validFrom: string | null;
  validTo: string | null;
  /** Whom the unit reports to ("UBND tỉnh Quảng Bình"); set on the entities at the top, NULL where the register has none. */
  reportsTo: string | null;
  aliases: string[];
  successors: { unit: string; share: number }[];
};

export type Register = {
  file: string;
  code: string;
  name: string;
  /** In the order the report lists them. */
  levels: { code: string; label: string; aliases: string[] }[];
  units: RegisterUnit[];
};

/** Reads and checks a register; every problem is named with the unit it is in. */
export function loadRegister(file: string): Register {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read the unit register ${file}: ${messageOf(error)}`, {
      action: 'set deployment.register to an existing YAML file (config/deployments/ has examples)',
    });
  }
  const parsed = registerSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${describePath(document, i.path)}: ${i.message}`);
    throw new ConfigError(`the unit register ${file} is not valid:\n${problems.join('\n')}`, {
      action: 'correct these entries (the comment at the top of config/deployments/dong-hoi.units.yaml describes each field)',
    });
  }
  const raw = parsed.data;
  const register: Register = {
    file,
    code: raw.code,
    name: raw.name,
    levels: Object.entries(raw.levels).map(([code, l]) => ({ code, label: l.label, aliases: l.aliases })),
    units: raw.units.map((u) => ({
      code: u.code,
      name: u.name,
      level: u.level ?? null,
      type: u.type,
      parent: u.parent ?? null,
      validFrom: u.valid_from ?? null,
      validTo: u.valid_to ?? null,
      reportsTo: u.reports_to ?? null,
      aliases: u.aliases,
      successors: u.successors.map((s) => ({ unit: s.unit, share: s.share ?? (u.successors.length === 1 ? 1 : Number.NaN) })),
    })),
  };
  const problems = registerProblems(register);
  if (problems.length > 0) {
    throw new ConfigError(`the unit register ${file} is not consistent:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      action: 'correct these units (the comment at the top of config/deployments/dong-hoi.units.yaml describes each field)',
    });
  }
  return register;
}

/** What makes a register unusable: a code twice, a parent, level or successor that is not there, shares that do not add up. */
function registerProblems(register: Register): string[] {
  const problems: string[] = [];
  const byCode = new Map<string, RegisterUnit>();
  const levels = new Set(register.levels.map((l) => l.code));
  for (const u of register.units) {
    if (byCode.has(u.code)) problems.push(`${u.code}: listed twice`);
    byCode.set(u.code, u);
  }
  if (byCode.has(register.code)) problems.push(`${register.code}: the deployment's code (the code of its totals) is also a unit's; give the unit another code`);
  for (const u of register.units) {
    const at = `${u.code}`;
    if (u.validFrom && u.validTo && u.validFrom > u.validTo) problems.push(`${at}: valid_from ${u.validFrom} is after valid_to ${u.validTo}`);
    if (u.parent === null && u.level !== null) problems.push(`${at}: a unit without a parent is an entity at the top and has no level; give it a parent, or remove its level`);
    if (u.parent !== null && u.level === null) problems.push(`${at}: no level (one of ${[...levels].join(', ')})`);
    if (u.level !== null && !levels.has(u.level)) problems.push(`${at}: level "${u.level}" is not one of the register's levels (${[...levels].join(', ')})`);
    if (u.parent !== null && !byCode.has(u.parent)) problems.push(`${at}: parent ${u.parent} is not a unit of the register`);
    if (u.parent !== null && u.reportsTo !== null) problems.push(`${at}: reports_to is read on an entity at the top only (a unit without a parent, which signs the report): move it there, or remove it`);
    // A unit that receives dossiers hands its work on when it ends, or the restatement under
    // today's units would lose its dossiers.
    if (u.successors.length === 0) {
      if (u.validTo && u.parent !== null) problems.push(`${at}: ends on ${u.validTo} with no successors: name the units that took its work over`);
      continue;
    }
    if (!u.validTo) problems.push(`${at}: has successors but no valid_to (the last day it existed)`);
    if (new Set(u.successors.map((s) => s.unit)).size < u.successors.length) problems.push(`${at}: a successor is listed twice`);
    for (const s of u.successors) {
      const next = byCode.get(s.unit);
      if (!next) problems.push(`${at}: successor ${s.unit} is not a unit of the register`);
      else if (u.parent !== null && next.parent === null) problems.push(`${at}: successor ${s.unit} is an entity at the top, which receives nothing: name the unit that took the work over`);
      else if (u.validTo && next.validFrom !== dayAfter(u.validTo)) {
        problems.push(`${at}: successor ${s.unit} starts on ${next.validFrom ?? '(no valid_from)'}, not on ${dayAfter(u.validTo)}, the day after ${u.code} ends`);
      }
      if (Number.isNaN(s.share)) problems.push(`${at}: successor ${s.unit} needs a share: a unit split between several successors gives each its part`);
    }
    const total = u.successors.reduce((sum, s) => sum + s.share, 0);
    if (!Number.isNaN(total) && Math.abs(total - 1) > 1e-9) problems.push(`${at}: the shares of its successors add up to ${total}, not 1`);
  }
  return problems;
}

function dayAfter(day: string): string {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

/** "units[3].level" as "units[3] (DH.TP).level": the code says which entry, the index where it is. */
function describePath(document: unknown, path: PropertyKey[]): string {
  const text = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  if (path[0] !== 'units' || typeof path[1] !== 'number') return text || '(the file)';
  const entry = (document as { units?: { code?: unknown }[] }).units?.[path[1]];
  return typeof entry?.code === 'string' ? text.replace(`units[${path[1]}]`, `units[${path[1]}] (${entry.code})`) : text;
}
