// The steady plan, for the register of any deployment: from 1 July 2025 (or the first day a unit
// under its entity exists, if later) to the end of the data, a plain flow of dossiers for every
// unit that receives them, month by month, with counts, mixes and fates drawn at random. There is
// no report to reproduce: levels, units and their validity all come from the register.
import { ConfigError } from '../core/errors.js';
import { day, isoDay, workingDaysBetween } from './calendar.js';
import type { Level } from './catalogue.js';
import { calendarWindows, DATA_END, levelPlan, open, resolved, stopped, type Cohort, type Fate, type Mix, type SamplePlan, type Window } from './plan.js';
import type { Random } from './random.js';
import type { SampleUnits, Unit } from './units.js';

/** The first day of two-tier local government: no steady sample starts before it. */
const FIRST_DAY = '2025-07-01';
const PER_MONTH: [number, number] = [20, 60];
const DAYS_PER_MONTH = 30.44;
/** A unit valid for fewer working days of a month gets no dossiers that month. */
const MIN_WORKING_DAYS = 3;

export function steadyPlan(units: SampleUnits, random: Random): SamplePlan {
  const receiving = units.all.filter((u) => u.level !== null && !units.isDesk(u));
  const start = isoDay(Math.max(day(FIRST_DAY), Math.min(...receiving.map((u) => u.firstDay))));
  const span: Window = { from: start, to: DATA_END };
  const active = receiving.filter((u) => overlap(span, u) !== undefined);
  if (active.length === 0) {
    throw new ConfigError(`the unit register ${units.register.file} has no unit that receives dossiers between ${FIRST_DAY} and ${DATA_END}`, {
      action: 'give the register units under its entity (with a parent and a level) valid in that time',
    });
  }
  const months = calendarWindows(start, DATA_END, 1);
  const cohorts: Cohort[] = [];
  months.forEach((month, i) => {
    for (const unit of active) {
      const window = overlap(month, unit);
      if (!window || workingDaysBetween(day(window.from), day(window.to)).length < MIN_WORKING_DAYS) continue;
      const received = Math.round((random.int(...PER_MONTH) * (day(window.to) - day(window.from) + 1)) / DAYS_PER_MONTH);
      const level = levelOf(units, unit);
      cohorts.push({
        name: `received by ${unit.code} ${window.from} to ${window.to}`,
        received: window,
        unit: unit.code,
        [level]: levelPlan(received, mixOf(random, level), resolved(window, 'early_or_on_time'), fatesOf(random, window, months[i + 1])),
      });
    }
  });
  return {
    name: 'steady',
    start,
    end: DATA_END,
    procedureLevels: procedureLevels(units, active),
    cohorts,
    residences: [],
    resultsDigitized: [{ within: span, share: 0.85 }],
    abandoned: [{ within: span, count: 3 * months.length }],
    portal: {
      fixedRatings: undefined,
      ratedShare: 0.55,
      feedback: calendarWindows(start, DATA_END, 3).map((within) => ({ within, count: random.int(1, 3) })),
      accounts: [{ within: span, perWorkingDay: [3, 10] }],
    },
    budget: false,
  };
}

/** The register's last level takes the commune-level procedures of the catalogue, the others the rest. */
function levelOf(units: SampleUnits, unit: Unit): Level {
  return unit.level === units.lastLevel ? 'commune' : 'city';
}

/** The catalogue writes each catalogue level as the label of the first register level that takes it in the span. */
function procedureLevels(units: SampleUnits, active: Unit[]): SamplePlan['procedureLevels'] {
  const levels: SamplePlan['procedureLevels'] = {};
  for (const level of units.register.levels) {
    const unit = active.find((u) => u.level === level.code);
    if (unit) levels[levelOf(units, unit)] ??= level.label;
  }
  return levels;
}

/** The days of `window` on which `unit` is valid, if any. */
function overlap(window: Window, unit: Unit): Window | undefined {
  const [from, to] = [Math.max(day(window.from), unit.firstDay), Math.min(day(window.to), unit.lastDay)];
  return from <= to ? { from: isoDay(from), to: isoDay(to) } : undefined;
}

function between(random: Random, low: number, high: number): number {
  return low + random.next() * (high - low);
}

/** Communes take most dossiers online; agencies and departments fewer. */
function mixOf(random: Random, level: Level): Mix {
  const [online, direct] = level === 'commune' ? [between(random, 0.6, 0.9), between(random, 0.02, 0.08)] : [between(random, 0.3, 0.6), between(random, 0.1, 0.3)];
  return {
    onlineOfOnline: online,
    directOfOnline: direct,
    onlineOfOther: 0.01,
    requiring: between(random, 0.9, 1),
    digitized: between(random, 0.8, 1),
    withFee: between(random, 0.2, 0.4),
    paidOnline: between(random, 0.4, 0.9),
  };
}

/** Besides those resolved in the month: some late or stopped, some finished the month after; in the last month, some still open. */
function fatesOf(random: Random, received: Window, next: Window | undefined): [Fate, number][] {
  const fates: [Fate, number][] = [[resolved(received, 'late'), between(random, 0.02, 0.1)], [stopped(received), between(random, 0.02, 0.06)]];
  if (next) fates.push([resolved(next, 'early_or_on_time'), between(random, 0.03, 0.08)], [resolved(next, 'late'), 0.015], [stopped(next), 0.01]);
  else fates.push([open(false), between(random, 0.08, 0.15)], [open(true), 0.02]);
  return fates;
}
