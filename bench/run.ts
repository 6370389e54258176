// `npm run bench [-- --quick | --scale N]`: the job against DuckDB alone and against a row-by-row
// loader, on the same scaled one-stop-shop exports, in one run, as ratios. Each measure runs in a
// process of its own (bench/tasks.ts) for its own peak memory. Writes bench/results.md.
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { literal, Warehouse } from '../core/warehouse.js';
import { runEnv } from '../pipelines/ops/supervise.js';
import { writeScaledSample } from '../sample/scale.js';

const ROOT = join(import.meta.dirname, '..');
const CITY_ROWS = 67_983;

const options = new Command('bench')
  .option('--quick', 'about 1 million dossier rows (scale 15) instead of 10 million (scale 147)')
  .option('--scale <n>', 'cities like Đồng Hới in the exports', (v) => Number(v))
  .option('--memory-limit <size>', 'duckdb.memory_limit of the job', '2GB')
  .option('--out <file>', 'the results file', join(ROOT, 'bench', 'results.md'))
  .option('--growth <millions>', 'sizes of the growth runs, in millions of rows (default 1,10,30; with --quick, 1 alone)', (v) => v.split(',').map(Number))
  .parse()
  .opts<{ quick?: boolean; scale?: number; memoryLimit: string; out: string; growth?: number[] }>();

const scale = options.scale ?? (options.quick ? 15 : 147);
// The growth runs: the job alone on a fresh warehouse at each size, 1 million rows being 15 cities.
const growthScales = (options.growth ?? (options.quick ? [1] : [1, 10, 30])).map((millions) => Math.round((millions * 1e6) / CITY_ROWS));
// --quick keeps to about two minutes: a smaller row-by-row subset and smaller workbooks.
const BASELINE_ROWS = options.quick ? 250_000 : 1_000_000;
const [SMALL_XLSX, BIG_XLSX] = options.quick ? [50_000, 250_000] : [100_000, 500_000];
const count = (n: number) => n.toLocaleString('en-US');
const work = join(ROOT, 'data', 'bench');

type Measure = { ms: number; rows: number; maxRssMb: number; stages?: Record<string, number> };

async function task(name: string, args: Record<string, unknown>): Promise<Measure> {
  // What the measures before wrote is on disk first: the kernel would write it back during this
  // one (a night ran just after the physical floor had written its database), and bill it there.
  await promisify(execFile)('sync');
  // Each task in the environment the supervisor gives a run (cron and systemd start the job
  // supervised): the floors too, so that all are measured alike.
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'tasks.ts'), name, JSON.stringify(args)], {
    cwd: ROOT,
    env: runEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measure;
}

async function fresh(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

function log(line: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

// 1. The exports, once per scale.
const { inbox, files, bytes } = await exportsOf(scale);

// 2-4. The job on a fresh warehouse, the same-model floor (DuckDB alone, same reading, models and
// Parquet), the physical floor (the heart of the job in one plain SQL script of its own, which
// does not move with the job's models: bench/physical-floor.sql) and a night (one more day of
// exports on the first run's warehouse), each three times and in turn, each kept at its fastest
// run. On these machines two runs of the same measure minutes apart differ by up to two thirds
// (results.md lists them all), and with its runs spread over the same minutes as the others', one
// slow or lucky stretch of the machine does not make a ratio by itself.
type FloorMeasure = Measure & { total2023: number | null };
const ROUNDS = [1, 2, 3];
const runs = { full: [] as Measure[], floor: [] as FloorMeasure[], physical: [] as FloorMeasure[], night: [] as Measure[] };
let job: Awaited<ReturnType<typeof jobOnFreshWarehouse>> | undefined;
for (const round of ROUNDS) {
  const of = `(${round} of ${ROUNDS.length})`;
  log(`full load ${of}: the job over every export…`);
  const ran = await jobOnFreshWarehouse(scale, inbox, round === 1 ? 'job' : 'job-again');
  job ??= ran;
  runs.full.push(ran.measure);
  log(`floor ${of}: DuckDB alone…`);
  runs.floor.push((await task('floor', { config: ran.config, inbox, dataDir: await fresh(join(work, 'floor')) })) as FloorMeasure);
  log(`physical floor ${of}: plain SQL, independent of sql/…`);
  const physicalDir = await fresh(join(work, 'physical-floor'));
  runs.physical.push({ ...(await task('physicalFloor', { inbox, dataDir: physicalDir, memoryLimit: options.memoryLimit })), rows: ran.measure.rows } as FloorMeasure);
  // The nightly increment: one more day on top of the first run's warehouse, a day more each round.
  log(`nightly increment ${of}: one more day of exports…`);
  // From the week before the last: the sample's last week is cut short by its end.
  await newDayOfExports(join(inbox, files.at(-2)!), join(job.inbox, `ho-so-2024-W14-day${round}.csv`), 41 + round);
  runs.night.push(await task('job', { config: job.config }));
}
await rm(join(work, 'job-again'), { recursive: true, force: true });
const { dir: jobDir } = job!;
const [full, floor, physical, increment] = [fastest(runs.full), fastest(runs.floor), fastest(runs.physical), fastest(runs.night)];
const jobTotal2023 = await Warehouse.open(':memory:').then(async (db) => {
  const mart = join(jobDir, 'data', 'publish', 'current', 'marts', 'fct_tthc_resolution.parquet');
  const row = await db.one<{ n: number }>(`SELECT received_total AS n FROM read_parquet(${literal(mart)}) WHERE scope = 'total' AND period_key = '2023'`);
  db.close();
  return row?.n ?? null;
});
// The same models on the same rows give the same figures, or the floor did not do the job's work.
for (const f of runs.floor) {
  if (f.total2023 !== jobTotal2023) throw new Error(`the floor's 2023 total (${f.total2023}) is not the job's (${jobTotal2023}): it did not build what the job builds`);
}

// 5. The row-by-row baseline on the first million rows, scaled to the full load.
log(`row-by-row baseline on ${BASELINE_ROWS.toLocaleString('en-US')} rows…`);
const rowDir = await fresh(join(work, 'row-by-row'));
const rowByRow = await task('rowByRow', { dataDir: rowDir, rows: BASELINE_ROWS, files: files.map((f) => join(inbox, f)) });

// 6. XLSX: a 100,000 and a 500,000-row export through the job's reader; memory should not grow with the file.
log(`XLSX: writing and reading ${count(SMALL_XLSX)} and ${count(BIG_XLSX)}-row exports…`);
const xlsx: Record<number, Measure> = {};
for (const rows of [SMALL_XLSX, BIG_XLSX]) {
  const out = join(work, `ho-so-${rows}.xlsx`);
  if (!existsSync(out)) await task('writeXlsx', { out, rows, files: files.map((f) => join(inbox, f)) });
  xlsx[rows] = await task('readXlsx', { out, memoryLimit: options.memoryLimit });
}

// 7. Growth: the job on a fresh warehouse at each size (the main run stands for its own size).
const growth: { scale: number; m: Measure }[] = [];
for (const g of growthScales) {
  if (g === scale) {
    growth.push({ scale, m: full });
    continue;
  }
  log(`growth: the job over ${count(g * CITY_ROWS)} rows…`);
  growth.push({ scale: g, m: (await jobOnFreshWarehouse(g, (await exportsOf(g)).inbox, 'growth')).measure });
  await rm(join(work, 'growth'), { recursive: true, force: true });
}
growth.sort((a, b) => a.scale - b.scale);

// The report.
const limitMb = sizeInMb(options.memoryLimit);
const baselineScaledMs = (rowByRow.ms * full.rows) / rowByRow.rows;
// The row-by-row loader only ingests: it is set against the job's ingest (landing, reading,
// checking, quarantining), like with like; against the whole job it is shown for information.
const ingestMs = (full.stages?.extract ?? 0) + (full.stages?.load ?? 0);
const big = xlsx[BIG_XLSX]!;
const small = xlsx[SMALL_XLSX]!;
const perRow = (m: Measure) => (m.ms * 1000) / m.rows;
const [largest, nextLargest] = [growth.at(-1), growth.at(-2)];
const targets = [
  ['full load / physical floor', ratio(full.ms / physical.ms), '≤ 2.5×', full.ms / physical.ms <= 2.5],
  ['full load / same-model floor', ratio(full.ms / floor.ms), '≤ 1.25×', full.ms / floor.ms <= 1.25],
  ['nightly increment / full load', ratio(increment.ms / full.ms), '≤ 0.05×', increment.ms / full.ms <= 0.05],
  ['row-by-row baseline / the job\'s ingest (extract + load)', ratio(baselineScaledMs / ingestMs), '(for information)', true],
  ['row-by-row baseline / full load, models and publish included', ratio(baselineScaledMs / full.ms), '(for information)', true],
  [`XLSX ingest, ${count(BIG_XLSX)} rows`, `${count(Math.round(big.rows / (big.ms / 1000)))} rows/s`, '≥ 50,000 rows/s', big.rows / (big.ms / 1000) >= 50_000],
  [`XLSX peak memory, ${count(BIG_XLSX)} vs ${count(SMALL_XLSX)} rows`, `${big.maxRssMb} vs ${small.maxRssMb} MB`, 'flat (≤ +25 %)', big.maxRssMb <= small.maxRssMb * 1.25],
  ['peak RSS, full load', `${full.maxRssMb} MB`, `≤ ${limitMb + 512} MB (memory_limit + 512 MB)`, full.maxRssMb <= limitMb + 512],
  ...(largest && nextLargest
    ? [[
        `time per row, ${millions(largest.m.rows)} vs ${millions(nextLargest.m.rows)} rows`,
        `${perRow(largest.m).toFixed(1)} vs ${perRow(nextLargest.m).toFixed(1)} µs (${signed(perRow(largest.m) / perRow(nextLargest.m) - 1)})`,
        // A growth bound: cheaper rows at the larger size, the fixed costs spread, are no miss.
        'at most 15 % more',
        perRow(largest.m) / perRow(nextLargest.m) - 1 <= 0.15,
      ] as const]
    : []),
  ...(growth.length > 1
    ? [['peak RSS, every size of the growth runs', `${Math.max(...growth.map((g) => g.m.maxRssMb))} MB at most`, `≤ ${limitMb + 512} MB`, growth.every((g) => g.m.maxRssMb <= limitMb + 512)] as const]
    : []),
] as const;
const measures = [
  ['full load (the job)', full],
  ['same-model floor (the job\'s SQL models, DuckDB alone)', floor],
  ['physical floor (bench/physical-floor.sql)', physical],
  ['nightly increment', increment],
  [`row-by-row baseline (${rowByRow.rows.toLocaleString('en-US')} rows)`, rowByRow],
  [`XLSX read, ${count(SMALL_XLSX)} rows`, small],
  [`XLSX read, ${count(BIG_XLSX)} rows`, big],
] as const;

const duckdbVersion = await Warehouse.open(':memory:').then(async (db) => {
  const row = await db.one<{ v: string }>(`SELECT version() AS v`);
  db.close();
  return row!.v;
});
const cpu = cpus();
const lines = [
  '# Benchmark',
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${platform()} ${release()}, ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, DuckDB ${duckdbVersion}; duckdb.threads 2, memory_limit ${options.memoryLimit}.`,
  '',
  `Exports: ${files.length} weekly CSV files of the one-stop-shop system, ${scale} cities like Đồng Hới, ` +
    `${full.rows.toLocaleString('en-US')} dossier rows, ${(bytes / 1e9).toFixed(2)} GB (\`npx cchc sample --scale ${scale}\`).`,
  '',
  `The full load, both floors and the night ran ${ROUNDS.length} times each, in turn; each is shown at its fastest run ` +
    `(${[runs.full, runs.floor, runs.physical, runs.night].map((r) => r.map((m) => `${(m.ms / 1000).toFixed(1)}`).join(', ')).join(' s; ')} s, in that order), ` +
    'with the largest peak memory of its runs.',
  '',
  '| measure | time | rows | rows/s | peak RSS |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...measures.map(([name, m]) => `| ${name} | ${(m.ms / 1000).toFixed(1)} s | ${m.rows.toLocaleString('en-US')} | ${Math.round(m.rows / (m.ms / 1000)).toLocaleString('en-US')} | ${m.maxRssMb} MB |`),
  '',
  `The job's stages on the full load: ${Object.entries(full.stages ?? {}).map(([s, ms]) => `${s} ${(ms / 1000).toFixed(1)} s`).join(', ')}.`,
  `The row-by-row baseline, scaled to ${full.rows.toLocaleString('en-US')} rows: ${(baselineScaledMs / 1000).toFixed(1)} s.`,
  `Dossiers to process in 2023, the deployment's total: the job ${count(jobTotal2023 ?? 0)}, the physical floor ${count(physical.total2023 ?? 0)} ` +
    `(${jobTotal2023 === physical.total2023 ? 'equal' : `${count(Math.abs((jobTotal2023 ?? 0) - (physical.total2023 ?? 0)))} apart`}; the floor keeps units as exported, ` +
    'checks no value and maps no spelling, which the scaled exports do not need).',
  '',
  ...(growth.length > 1
    ? [
        'Growth: the job alone on a fresh warehouse at each size, the same exports repeated for more cities.',
        '',
        '| rows | time | per row | peak RSS |',
        '| ---: | ---: | ---: | ---: |',
        ...growth.map(({ m }) => `| ${count(m.rows)} | ${(m.ms / 1000).toFixed(1)} s | ${perRow(m).toFixed(1)} µs | ${m.maxRssMb} MB |`),
        '',
      ]
    : []),
  '| target | measured | goal | met |',
  '| --- | ---: | --- | --- |',
  ...targets.map(([name, value, goal, met]) => `| ${name} | ${value} | ${goal} | ${met ? 'yes' : '**no**'} |`),
  '',
  `Reproduce: \`npm run bench${reproduce()}\` (the exports are written once, to \`data/bench/\`).`,
  '',
];
await writeFile(options.out, lines.join('\n'));
console.log(lines.join('\n'));

function reproduce(): string {
  const flags = [options.quick ? '--quick' : options.scale ? `--scale ${scale}` : '', options.growth ? `--growth ${options.growth.join(',')}` : ''].filter(Boolean);
  return flags.length > 0 ? ` -- ${flags.join(' ')}` : '';
}

function millions(rows: number): string {
  return `${Math.round(rows / 1e6)} M`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} %`;
}

/** The scaled exports of `cities` cities, written once: the dossier files and their bytes. */
async function exportsOf(cities: number): Promise<{ inbox: string; files: string[]; bytes: number }> {
  const dir = join(work, `sample-x${cities}`);
  const exports = join(dir, 'motcua', 'inbox');
  if (!existsSync(exports)) {
    log(`writing the exports of ${cities} cities (${count(cities * CITY_ROWS)} dossier rows)…`);
    const { register, sample } = loadConfig();
    const scaled = await writeScaledSample({ baseDir: join(work, 'sample'), out: dir, scale: cities, sample: { register, plan: sample?.plan } });
    log(`written in ${(scaled.ms / 1000).toFixed(1)} s, ${(scaled.bytes / 1e9).toFixed(2)} GB`);
  }
  const names = (await readdir(exports)).filter((n) => n.startsWith('ho-so-')).sort();
  // Final once written, as a source system leaves its exports: read-only, so the job lands them as
  // hard links instead of copies (the extract stage, docs/operations.md).
  for (const name of await readdir(exports)) await chmod(join(exports, name), 0o444);
  return { inbox: exports, files: names, bytes: (await Promise.all(names.map((f) => stat(join(exports, f))))).reduce((n, s) => n + s.size, 0) };
}

/** The job over the exports of `cities` cities (in `exports`), on a fresh warehouse in data/bench/<name>. */
async function jobOnFreshWarehouse(cities: number, exports: string, name: string): Promise<{ dir: string; inbox: string; config: string; measure: Measure }> {
  const dir = await fresh(join(work, name));
  const jobExports = join(dir, 'inbox');
  await mkdir(jobExports);
  for (const file of await readdir(exports)) await symlink(join(exports, file), join(jobExports, file));
  const configFile = join(dir, 'config.yaml');
  await writeFile(
    configFile,
    stringify({
      // The sample's deployment (its register of units), which the scaled exports are copies of.
      deployment: { register: loadConfig().register.file },
      warehouse: { data_dir: './data' },
      duckdb: { threads: 2, memory_limit: options.memoryLimit },
      sources: { motcua: { inbox: './inbox' } },
    }),
  );
  // Every export read once before, so that the job, like the floors after it, reads them from the
  // page cache: an earlier size's exports may have pushed these out, and the job alone would pay for the disk.
  for (const file of await readdir(exports)) for await (const _ of createReadStream(join(exports, file), { highWaterMark: 4 * 1024 * 1024 }));
  const measure = await task('job', { config: configFile });
  // Every exported row loaded, or the measure would mean nothing.
  if (measure.rows !== cities * CITY_ROWS) throw new Error(`the job loaded ${measure.rows} rows of the ${cities * CITY_ROWS} exported`);
  return { dir, inbox: jobExports, config: configFile, measure };
}

function ratio(x: number): string {
  // Three decimals under 0.1: a night of 0.054× is not shown as the 0.05× it misses.
  return `${x.toFixed(x < 0.1 ? 3 : 2)}×`;
}

function sizeInMb(size: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(size)!;
  const unit = match[2]!.toUpperCase().replace('I', '');
  return Number(match[1]) * { KB: 1 / 1024, MB: 1, GB: 1024, TB: 1024 * 1024 }[unit as 'KB' | 'MB' | 'GB' | 'TB'];
}

/** The fastest run of a measure, with the largest peak memory of its runs. */
function fastest<T extends Measure>(measures: readonly T[]): T {
  const best = measures.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...best, maxRssMb: Math.max(...measures.map((m) => m.maxRssMb)) };
}

/**
 * One more day: a seventh of a whole week's rows (a sample drawn with `seed`), half of them new
 * versions of dossiers the warehouse has (same code), half new dossiers, as a night brings both.
 */
async function newDayOfExports(lastWeek: string, out: string, seed: number): Promise<void> {
  const db = await Warehouse.open(':memory:');
  try {
    await db.run(
      `COPY (SELECT * REPLACE (CASE WHEN hash("Mã hồ sơ") % 2 = 0 THEN "Mã hồ sơ" ELSE "Mã hồ sơ" || '.day' END AS "Mã hồ sơ")
             FROM read_csv(${literal(lastWeek)}, header = true, all_varchar = true) USING SAMPLE 14 PERCENT (reservoir, ${seed}))
       TO ${literal(out)} (HEADER, DELIMITER ',')`,
    );
  } finally {
    db.close();
  }
}
