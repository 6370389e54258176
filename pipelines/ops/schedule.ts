// `cchc schedule`: the job on a cron schedule, in one long-lived process (for a service manager).
// Each run is a child process it watches (supervise.ts): a run that dies of a signal is recorded
// and alerted at once, and the schedule goes on. One run at a time: a tick that comes while a run
// is still going is skipped and logged. On SIGTERM or SIGINT the current run stops at its next
// step boundary, and the process exits 0.
import cron from 'node-cron';
import type { Config } from '../../config/load.js';
import { ConfigError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { stopOnSignals } from './signals.js';
import { runSupervised } from './supervise.js';

export async function runOnSchedule(config: Config, log: Logger, expression: string): Promise<void> {
  if (!cron.validate(expression)) {
    throw new ConfigError(`"${expression}" is not a cron expression`, {
      action: 'write minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (a sixth field in front for seconds)',
    });
  }
  const stop = stopOnSignals(log);
  const timezone = config.schedule.timezone;
  let running: Promise<void> | undefined;
  const task = cron.schedule(
    expression,
    () => {
      if (running) {
        log.warn('the previous run is still going: this tick is skipped');
        return;
      }
      running = runSupervised(config, log, 'schedule', stop.signal)
        .then(
          () => undefined,
          (error: unknown) => log.error({ err: messageOf(error), stack: (error as Error).stack }, 'the run could not be started; the schedule goes on'),
        )
        .finally(() => {
          running = undefined;
          if (!stop.signal.aborted) log.info({ next_run: task.getNextRun()?.toISOString() }, 'waiting for the next run');
        });
    },
    { timezone, name: 'cchc-nightly' },
  );
  log.info({ cron: expression, timezone, next_run: task.getNextRun()?.toISOString() }, 'scheduled: waiting for the next run');
  await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  await task.stop();
  await task.destroy();
  if (running) {
    log.info('waiting for the current run to stop at its next step');
    await running;
  }
  log.info('schedule stopped');
}
