// The one schema of cchc-warehouse's configuration. Every setting the job reads is declared
// here, with its default; `config/load.ts` is the only code that reads files or the environment.
import cron from 'node-cron';
import { z } from 'zod';

const memorySize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as "2GB" or "512MiB"');

// A glob on a file name: `*` and `?` as usual, `{a,b}` for alternatives.
const fileGlob = z.string().min(1);

/** What every file-mode source has: an inbox and header spellings; each adds which file names hold which table. */
const fileSource = {
  enabled: z.boolean().default(true),
  mode: z.literal('file').default('file'),
  /** Folder where the source system drops its exports: required in mode file, unless the source is switched off. */
  inbox: z.string().min(1).optional(),
  /** Extra header spellings, by canonical column: `{ dossier_id: ["Số biên nhận"] }`. */
  header_aliases: z.record(z.string(), z.array(z.string().min(1))).default({}),
  /** Hours without new data after which the source is reported stale (status, run summary, alert). */
  max_age_hours: z.number().positive().default(48),
};

/** How to pull a source's sync API: paged JSON with an `updated_since` cursor and a bearer token. */
export const apiSettings = z.strictObject({
  /** Up to the version prefix, e.g. https://dichvucong.example.gov.vn/api/v1; plain http only on this machine (the token would travel in clear). */
  base_url: z
    .url({ protocol: /^https?$/ })
    .refine((url) => url.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url), {
      message: 'use https: a bearer token must not travel in clear (plain http is accepted on 127.0.0.1 or localhost only)',
    }),
  /** Name of the environment variable that holds the bearer token (never the token itself). */
  token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable, e.g. MOTCUA_TOKEN'),
  page_size: z.number().int().min(1).max(1000).default(500),
  timeout_ms: z.number().int().positive().default(30_000),
  /** Attempts after the first, on 429, 5xx, timeouts and connection errors. */
  retries: z.number().int().min(0).max(10).default(5),
  /** Wait before the first retry, doubled at each next one (a Retry-After header wins). */
  backoff_ms: z.number().int().min(0).default(1000),
  /** A pull stops with an error past this many pages: a cursor that never advances. */
  max_pages: z.number().int().positive().default(10_000),
});

/**
 * A source that can be pulled from its API: `mode: api` needs `api`, and keeps `inbox` for the
 * tables the API does not serve (the procedure catalogue of the one-stop-shop system).
 */
const apiCapableSource = {
  ...fileSource,
  mode: z.enum(['file', 'api']).default('file'),
  api: apiSettings.optional(),
};

/** What a source's mode needs; a source switched off needs nothing. */
function modeNeedsItsSettings(source: { enabled: boolean; mode: 'file' | 'api'; inbox?: string | undefined; api?: unknown }, ctx: z.RefinementCtx): void {
  if (!source.enabled) return;
  if (source.mode === 'file' && !source.inbox) ctx.addIssue({ code: 'custom', path: ['inbox'], message: 'missing: mode file needs the inbox folder' });
  if (source.mode === 'api' && !source.api) ctx.addIssue({ code: 'custom', path: ['api'], message: 'missing: mode api needs base_url and token_env' });
}

const motcuaSource = z
  .strictObject({
    ...apiCapableSource,
    files: z
      .strictObject({ dossiers: fileGlob.default('ho-so-*.{csv,xlsx}'), procedures: fileGlob.default('danh-muc-tthc*.{csv,xlsx}') })
      .prefault({}),
  })
  .superRefine(modeNeedsItsSettings);

const dvcSource = z
  .strictObject({
    ...apiCapableSource,
    files: z
      .strictObject({
        payments: fileGlob.default('thanh-toan-*.csv'),
        ratings: fileGlob.default('danh-gia-*.csv'),
        feedback: fileGlob.default('pakn-*.csv'),
        accounts: fileGlob.default('tai-khoan-*.csv'),
      })
      .prefault({}),
  })
  .superRefine(modeNeedsItsSettings);

/** The four headline lines of the budget report, by their place in its hierarchy. */
export const HEADLINE_BUDGET_ITEMS = {
  revenue_total: 'A',
  revenue_balanced: 'A.I',
  expenditure_total: 'B',
  expenditure_capital: 'B.I',
};

const ngansachSource = z
  .strictObject({
    ...fileSource,
    files: z.strictObject({ budget_lines: fileGlob.default('*ngan-sach*.xlsx') }).prefault({}),
    /** Stable keys of budget lines, by their path in the report's hierarchy (STT codes joined by "."). */
    items: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'item keys are snake_case'), z.string().min(1)).default(HEADLINE_BUDGET_ITEMS),
  })
  .superRefine(modeNeedsItsSettings);

/** City-wide yearly measures a PAR-index criterion can be scored on (sql/marts/fct_par_criteria.sql). */
export const PAR_MEASURES = [
  'result_digitization_rate',
  'dossier_digitization_rate',
  'online_rate',
  'online_payment_rate',
  'on_time_rate',
  'satisfaction_rate',
  'revenue_execution_rate',
  'expenditure_execution_rate',
  'capital_execution_rate',
] as const;

const parCriterion = z.strictObject({
  measure: z.enum(PAR_MEASURES),
  /** Points for a measure at or above each threshold (fractions: 0.5 is 50 %); below all of them, 0. */
  thresholds: z.array(z.strictObject({ at_least: z.number(), points: z.number().min(0) })).min(1),
});

/** The criteria of the provincial PAR index that follow from the data, with the province's thresholds. */
export const DEFAULT_PAR_CRITERIA = {
  // 7.2.4: digitization of results, ≥ 50 % scores 0.5, ≥ 80 % scores 1 (the report's wording).
  '7.2.4': { measure: 'result_digitization_rate', thresholds: [{ at_least: 0.5, points: 0.5 }, { at_least: 0.8, points: 1 }] },
  // 8.8: budget revenue collected as planned: the full 1.5 points at 100 % of the estimate.
  '8.8': { measure: 'revenue_execution_rate', thresholds: [{ at_least: 1, points: 1.5 }] },
} satisfies Record<string, z.input<typeof parCriterion>>;

export const configSchema = z.strictObject({
  warehouse: z
    .strictObject({
      /** Landing zone, the DuckDB warehouse and run files live here. */
      data_dir: z.string().min(1).default('./data'),
      /** Releases and `current`; defaults to `<data_dir>/publish`. */
      publish_dir: z.string().min(1).optional(),
      /**
       * The group that reads the publish folder (the account Metabase runs as is in it), by name or
       * number: releases are made 0750/0640 and that group's. Unset, they are readable by every
       * account (0755/0644): they hold no personal data. The data folder is the job's account's alone.
       */
      publish_group: z.string().min(1).optional(),
      /** The SQL models, seeds and tests; defaults to the project's sql/ folder. */
      sql_dir: z.string().min(1).optional(),
      /** Releases kept under <publish_dir>/releases; older ones are deleted after a publish (never `current`). At least 2: a reader may still be in the one before. */
      keep_releases: z.number().int().min(2).default(7),
    })
    .prefault({}),
  /** When `cchc schedule` runs the job: a cron expression (5 fields, or 6 with seconds) in a time zone. */
  schedule: z
    .strictObject({
      cron: z.string().refine((e) => cron.validate(e), 'a cron expression such as "0 2 * * *" (minute hour day month weekday)').default('0 2 * * *'),
      timezone: z
        .string()
        .refine(isTimeZone, 'an IANA time zone, such as Asia/Ho_Chi_Minh')
        .default('Asia/Ho_Chi_Minh'),
    })
    .prefault({}),
  /** Where to send the run summary when a run fails, is partial or finds a stale source. */
  alerts: z
    .strictObject({
      /** Receives a POST of the summary as JSON. A URL with a secret in it belongs in CCHC__ALERTS__WEBHOOK_URL. */
      webhook_url: z.url({ protocol: /^https?$/ }).optional(),
      timeout_ms: z.number().int().positive().default(5000),
      /** Attempts after the first; the alert holds the end of the run up at most (retries + 1) × timeout, plus pauses of 0.5 s, 1 s, 2 s… */
      retries: z.number().int().min(0).max(5).default(2),
    })
    .prefault({}),
  duckdb: z
    .strictObject({
      threads: z.number().int().positive().max(256).default(2),
      memory_limit: memorySize.default('2GB'),
      /** Where DuckDB spills; defaults to `<data_dir>/tmp`. */
      temp_directory: z.string().min(1).optional(),
      /**
       * Megabytes of exports the load reads per transaction: big enough that commits cost little,
       * small enough that a failure redoes little. Two batches are in flight at once, on two
       * connections: one read while the other is checked and committed.
       */
      load_batch_mb: z.number().positive().default(512),
    })
    .prefault({}),
  /** Where the deployment's units come from: its unit register (config/register.ts), relative to this file. */
  deployment: z.strictObject({
    register: z.string().min(1),
    /** The deployment's targets (year, measure, comparison, target_value, description), a CSV; none without it. */
    targets: z.string().min(1).optional(),
  }),
  reporting: z
    .strictObject({
      /** `calendar` periods, or the official cut-off: 15th of the month before to the 14th of the last month. */
      period_window: z.enum(['calendar', 'cutoff']).default('calendar'),
      /** Which date finishes a dossier: NgayKetThucXuLy (falling back to NgayTra) or the reverse. */
      finished_date: z.enum(['processing_finished', 'result_returned']).default('processing_finished'),
      /** Compare the figures with those of the reference report in sql/seeds/published_figures.csv (rpt_reconciliation): the Đồng Hới deployment's. */
      reconcile_published_figures: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * The deployment's own spellings of code-list values, on top of sql/seeds: by list (unit,
   * channel, status, payment_method …), then by code (or a name the list knows), the spellings
   * its exports use: `{ channel: { "3": ["Dịch vụ BCCI"] } }`. Matched as headers are: case,
   * diacritics, NFC/NFD, spaces and punctuation do not matter. `cchc codes` prints what to add.
   */
  vocabulary: z.record(z.string().min(1), z.record(z.string().min(1), z.array(z.string().min(1)).min(1))).default({}),
  sources: z.strictObject({
    motcua: motcuaSource.optional(),
    ngansach: ngansachSource.optional(),
    dvc: dvcSource.optional(),
  }),
  par_criteria: z.record(z.string().regex(/^\d+(\.\d+)*$/, 'a criterion code such as 7.2.4'), parCriterion).default(DEFAULT_PAR_CRITERIA),
  /** Only in the bundled sample config: generate the sample exports when the inbox is missing. */
  sample: z
    .strictObject({
      generate_if_missing: z.boolean().default(false),
      /** Where to write the sample exports: needed only to generate them. */
      out: z.string().min(1).optional(),
      seed: z.number().int().default(20240331),
      /**
       * `reference`: the Đồng Hới exports built to reproduce the reference report, continued to
       * 2026; `steady`: a plain flow of dossiers for the units of any register (no reference).
       */
      plan: z.enum(['reference', 'steady']).default('reference'),
    })
    .refine((sample) => !sample.generate_if_missing || sample.out, { path: ['out'], message: 'missing: generate_if_missing needs the folder to write the sample to' })
    .optional(),
  /** What one export may hold: beyond these the file is refused with a message, not read until memory or disk runs out. */
  limits: z
    .strictObject({
      /** A file larger than this is not loaded (it is landed, then refused). */
      max_file_mb: z.number().positive().default(4096),
      /** A CSV line longer than this is quarantined as a row too long. */
      max_row_kb: z.number().int().min(64).max(1024 * 1024).default(2048),
      /** A file with more records than this is not loaded: a CSV export is refused before it is read, a workbook or API page (read as a stream, in bounded memory) after. Below 2^32: version_rank (sql/setup.sql) orders a file's rows by a 32-bit row number. */
      max_rows_per_file: z.number().int().positive().max(2 ** 32 - 1).default(50_000_000),
      /**
       * A source whose rows quarantined since it last passed are more than this share of its rows
       * read (and more than quarantine_rows_tolerated) fails the run: its marts keep their last
       * good data and the alert says why, rather than publishing an undercount.
       */
      max_quarantine_rate: z.number().min(0).max(1).default(0.005),
      /** Quarantined rows that never fail a source, whatever the rate: a bad row or two in a small night. */
      quarantine_rows_tolerated: z.number().int().min(0).default(5),
    })
    .prefault({}),
  /** Citizens' personal data: the key that hashes their ID numbers, and how long raw keeps them (docs/security.md). */
  privacy: z
    .strictObject({
      /** The environment variable holding the key of the keyed hashes (HMAC-SHA-256) that stand in for ID numbers in staging; unset, staging keeps no hash. */
      hash_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable, e.g. CCHC_HASH_KEY').default('CCHC_HASH_KEY'),
      /** Days after its load that a row's personal data is erased from raw, the quarantine and the landed file; unset, it is kept. */
      erase_personal_after_days: z.number().int().min(1).optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    })
    .prefault({}),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type SourceName = keyof ParsedConfig['sources'];
export type ApiSettings = z.output<typeof apiSettings>;
