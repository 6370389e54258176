// The `cchc` command line. Exit codes (README): 0 success, 1 the run failed, 2 the config or the
// command line is wrong, 3 the run was partial (a source failed; the others were published),
// 4 the run was skipped because another holds the lock.
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type Config } from '../config/load.js';
import { configuredSources } from '../connectors/registry.js';
import { CchcError, ConfigError, messageOf } from '../core/errors.js';
import { createLogger, type Logger } from '../core/log.js';
import { createProgress } from '../core/progress.js';
import type { SampleCommandOptions } from '../sample/command.js';
import { STAGES, type StageName } from './context.js';
import { checkDeployment } from './ops/check.js';
import { isDiskFull, ResourceError } from './ops/resources.js';
import { runOnSchedule } from './ops/schedule.js';
import { stopOnSignals } from './ops/signals.js';
import { formatStatus, readStatus } from './ops/status.js';
import { runSupervised } from './ops/supervise.js';
import { formatUnknownValues, readUnknownValues } from './outputs/codes.js';
import { DOCS_DIR, writeDocs } from './outputs/docs.js';
import { formatRows, QUERY_FORMATS, querySnapshot, type QueryFormat } from './outputs/query.js';
import { writeReport } from './outputs/report/workbook.js';
import { printRun } from './outputs/run-report.js';
import { runJob, type RunOptions } from './run.js';

const program = new Command('cchc')
  .description('Nightly warehouse of the administrative-reform (CCHC) indicators')
  .showHelpAfterError()
  // A wrong command line exits 2, as a wrong config does (docs/operations.md), not commander's 1.
  .exitOverride();

const configOption = () =>
  new Option('-c, --config <file>', 'YAML config file (default: CCHC_CONFIG, else the bundled sample config)');

const sourcesOption = () =>
  new Option('--sources <names>', 'comma-separated sources (default: all enabled)').argParser((v) => v.split(',').map((s) => s.trim()));

program
  .command('run')
  .description('run the nightly job once: extract → load → transform → publish')
  .addOption(configOption())
  .addOption(new Option('--only <stage>', 'run one stage alone').choices(STAGES))
  .addOption(sourcesOption())
  .option('--retry-failed', 'load again the files that failed in earlier runs (see ops.load_failures)')
  .option('--select <models...>', 'build and test only these models: fct_digitization, marts.fct_digitization, a folder (staging.motcua); fct_x+ adds what reads it, +fct_x what it reads')
  .option('--full-refresh', 'rebuild the incremental models (the dossiers of staging) from all of raw, not only from the rows loaded since the last run')
  .option('--supervised', 'run the job in a child process and watch it: a run that dies of a signal (a crash of the engine, the OOM killer) is recorded as failed and alerted at once (for cron and systemd)')
  .addOption(new Option('--trigger <trigger>', 'what started the run, for the ledger: cron for a crontab line or a systemd timer (schedule: a run of `cchc schedule`)').choices(['manual', 'cron', 'schedule']).default('manual'))
  .action(async (options: { config?: string; only?: StageName; sources?: string[]; retryFailed?: boolean; select?: string[]; fullRefresh?: boolean; trigger: 'manual' | 'cron' | 'schedule'; supervised?: boolean }) => {
    if (options.supervised) {
      const config = loadConfig({ file: options.config });
      const log = createLogger({ level: config.log.level });
      const end = await runSupervised(config, log, options.trigger, stopOnSignals(log).signal, childArguments(process.argv));
      process.exitCode = end.signal === null && end.code !== null ? end.code : 1;
      return;
    }
    await runAndPrint(loadConfig({ file: options.config }), {
      only: options.only,
      sources: options.sources,
      retryFailed: options.retryFailed ?? false,
      fullRefresh: options.fullRefresh ?? false,
      select: options.select?.flatMap((s) => s.split(',')).filter(Boolean),
      trigger: options.trigger,
    });
  });

program
  .command('backfill')
  .description('pull a date range of the source APIs again, then load, build and publish as a nightly run does')
  .addOption(configOption())
  .requiredOption('--from <date>', 'first day, YYYY-MM-DD (update time of the records, in the API\'s time)', parseDay)
  .requiredOption('--to <date>', 'last day, YYYY-MM-DD, included', parseDay)
  .addOption(sourcesOption())
  .action(async (options: { config?: string; from: string; to: string; sources?: string[] }) => {
    const config = loadConfig({ file: options.config });
    if (options.from > options.to) throw new ConfigError(`--from ${options.from} is after --to ${options.to}`, { action: 'give the first day, then the last' });
    const pulled = configuredSources(config).filter((s) => s.api).map((s) => s.contract.name);
    const sources = options.sources ?? pulled;
    const notPulled = sources.filter((s) => !pulled.includes(s));
    if (sources.length === 0 || notPulled.length > 0) {
      throw new ConfigError(`backfill re-pulls APIs, and ${notPulled.length > 0 ? `${notPulled.join(', ')} ${notPulled.length > 1 ? 'are' : 'is'} not` : 'no source is'} in API mode`, {
        action: `choose among the sources with mode: api (${pulled.join(', ') || 'none in this config'}); for file exports, put the files back in the inbox`,
      });
    }
    await runAndPrint(config, {
      sources,
      trigger: 'backfill',
      // The API's window is [updated_since, updated_until): up to the start of the day after --to.
      backfill: { from: stamp(options.from), to: stamp(new Date(Date.parse(`${options.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) },
    });
  });

program
  .command('schedule')
  .description('run the job on the schedule of the config (schedule.cron, schedule.timezone) until SIGTERM or Ctrl-C')
  .addOption(configOption())
  .option('--cron <expression>', 'this cron expression instead of schedule.cron (6 fields for seconds)')
  .action(async (options: { config?: string; cron?: string }) => {
    const config = loadConfig({ file: options.config });
    const log = createLogger({ level: config.log.level });
    await runOnSchedule(config, log, options.cron ?? config.schedule.cron);
  });

program
  .command('status')
  .description('the last runs, the current release, the freshness of each source and the failing tests')
  .addOption(configOption())
  .option('--json', 'as JSON, for machines')
  .option('-n, --runs <n>', 'how many runs to list', (v) => parseInteger(v), 5)
  .action(async (options: { config?: string; json?: boolean; runs: number }) => {
    const config = loadConfig({ file: options.config });
    const status = await readStatus(config, options.runs);
    console.log(options.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    process.exitCode = status.healthy ? 0 : 1;
  });

program
  .command('query')
  .description('run SQL on the current snapshot, read-only (schemas seeds, settings, staging, intermediate, marts)')
  .argument('<sql>', 'the query, e.g. "SELECT * FROM marts.rpt_quarterly_indicators WHERE scope = \'total\'"')
  .addOption(configOption())
  .addOption(new Option('-f, --format <format>', 'how to print the rows').choices(QUERY_FORMATS).default('table'))
  .action(async (sql: string, options: { config?: string; format: QueryFormat }) => {
    const config = loadConfig({ file: options.config });
    console.log(formatRows(await querySnapshot(config.paths.publishDir, sql), options.format));
  });

program
  .command('codes')
  .description('the values the quarantine holds that no code list knows, with the YAML to add under vocabulary: in the config')
  .addOption(configOption())
  .option('--json', 'as JSON, for machines')
  .action(async (options: { config?: string; json?: boolean }) => {
    const values = await readUnknownValues(loadConfig({ file: options.config }));
    console.log(options.json ? JSON.stringify(values, null, 2) : formatUnknownValues(values));
  });

program
  .command('report')
  .description('write the quarterly report workbook (XLSX) of a period from the current release')
  .addOption(configOption())
  .requiredOption('-p, --period <key>', 'a year (2023) or a quarter (2024-Q1)')
  .option('-o, --out <file>', 'the workbook to write (default: cchc-report-<period>.xlsx here)')
  .action(async (options: { config?: string; period: string; out?: string }) => {
    const config = loadConfig({ file: options.config });
    const written = await writeReport({
      releaseDir: join(config.paths.publishDir, 'current'),
      period: options.period,
      out: resolve(options.out ?? `cchc-report-${options.period}.xlsx`),
    });
    console.log(`wrote ${written.out} (${written.sheets.join(', ')})`);
  });

program
  .command('check')
  .description('validate the config, the sources, the seeds and the SQL models')
  .addOption(configOption())
  .action(async (options: { config?: string }) => {
    const problems = await checkDeployment(loadConfig({ file: options.config }));
    for (const problem of problems) console.error(`problem: ${problem}`);
    if (problems.length > 0) process.exitCode = 2;
  });

program
  .command('sample')
  .description('write the sample exports of the source systems (seeded, deterministic) for the units of the config\'s register, or serve them as the sync APIs')
  .addOption(configOption())
  .option('-o, --out <dir>', 'folder to write (default: sample.out of the config)')
  .option('--seed <n>', 'random seed (default: the generator\'s own, the same every time)', (v) => parseInteger(v))
  .option('--serve', 'serve the sample as the sync APIs of the one-stop-shop and the portal (writing it first if missing), until Ctrl-C')
  .option('--port <n>', 'port of --serve, on 127.0.0.1', (v) => parseInteger(v), 8787)
  .option('--token <token>', 'bearer token that --serve expects', 'sample-token')
  .option('--scale <n>', "one-stop-shop exports of n cities like Đồng Hới (67,983 dossier rows each), as CSV, for measuring the job (default --out: data/sample-x<n>)", (v) => parseInteger(v))
  .action(async (options: { config?: string } & SampleCommandOptions) => {
    const { sampleCommand } = await import('../sample/command.js');
    await sampleCommand(loadConfig({ file: options.config }), options);
  });

program
  .command('docs')
  .description('write the reference documents generated from the code: docs/sources.md and docs/data-dictionary.md')
  .addOption(configOption())
  .option('-o, --out <dir>', 'folder to write', DOCS_DIR)
  .action(async (options: { out: string; config?: string }) => {
    const config = loadConfig({ file: options.config });
    for (const path of await writeDocs(resolve(options.out), config.paths.sqlDir)) console.log(`wrote ${path}`);
  });

/** The arguments of `cchc run` for its supervised child: all but those the supervisor sets itself. */
function childArguments(argv: readonly string[]): string[] {
  const own = ['--config', '-c', '--trigger'];
  const args = argv.slice(argv.indexOf('run') + 1);
  return args.filter((a, i) => a !== '--supervised' && !own.includes(a) && !own.includes(args[i - 1]!) && !own.some((o) => a.startsWith(`${o}=`)));
}

/** One run from the command line: stopped cleanly by SIGTERM or Ctrl-C, with progress on a terminal. */
async function runAndPrint(config: Config, options: RunOptions): Promise<void> {
  const log = createLogger({ level: config.log.level });
  const prepareInboxes = config.sample?.generate_if_missing
    ? async (runLog: Logger) => (await import('../sample/command.js')).generateSampleIfMissing(config, runLog)
    : undefined;
  process.exitCode = await printRun(await runJob(config, log, { signal: stopOnSignals(log).signal, progress: createProgress(), prepareInboxes, ...options }));
}

/** 2024-01-31 as the APIs' yyyyMMddHHmmss, at the start of the day. */
function stamp(day: string): string {
  return `${day.replaceAll('-', '')}000000`;
}

function parseDay(value: string): string {
  // 2024-13-01 is no day (an invalid Date, whose toISOString throws); 2024-02-30 reads as 1 March.
  const time = Date.parse(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('expected a day as YYYY-MM-DD');
  }
  return value;
}

function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed its message (and the help, when asked for it).
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  // Before a run could record it (taking the lock, say): still the operator's to fix, not a bug.
  if (isDiskFull(error)) error = new ResourceError(`the disk is full: ${messageOf(error)}`, { action: 'free space in the data folder (warehouse.data_dir), then run again', cause: error });
  if (!(error instanceof CchcError)) throw error;
  console.error(error.describe());
  process.exitCode = error.exitCode;
}
