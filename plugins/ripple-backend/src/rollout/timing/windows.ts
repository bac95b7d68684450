import { InputError } from '@backstage/errors';
import type { DeliveryWindow } from '@ripple/backstage-plugin-ripple-common';
import { CronExpressionParser } from 'cron-parser';

/**
 * Delivery windows, freezes and pipeline schedules (docs/rollout.md,
 * "Timing"): when a rollout may act. Each is a {@link Constraint}: given a
 * time, the earliest time from then on it allows, and {@link earliestAllowed}
 * combines them. The cron arithmetic is cron-parser's (time zones through
 * luxon), never ours.
 */

/** The consumer annotation declaring its own delivery windows. */
export const DELIVERY_WINDOW_ANNOTATION = 'ripple.io/delivery-window';
/** The consumer annotation declaring when its pipeline runs. */
export const SCHEDULE_ANNOTATION = 'ripple.io/schedule';

/** How a wait for a window starts (the gate's reason, a consumer's wait). */
export const WAITING_FOR_THE_WINDOW = 'waiting for the window';

/** How far ahead a wait looks for an opening before it says "none". */
const HORIZON_MS = 366 * 86_400_000;

/** One rule on when a rollout may act. */
export type Constraint = {
  /** Why it holds, as a clause: "outside the plan's delivery windows". */
  why: (at: Date) => string;
  /** The earliest time at or after `at` it allows (undefined: none soon). */
  earliest: (at: Date) => Date | undefined;
};

/** A freeze of `ripple.rollout.freezes`: nothing automatic in [from, to). */
export type Freeze = { from: Date; to: Date; reason: string };

/**
 * A time zone's IANA name, or a 400 naming the field: `Intl` knows the
 * zones, and luxon (under cron-parser) reads the same database.
 */
export function checkTimeZone(timeZone: string, field: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
  } catch {
    throw new InputError(
      `${field}: "${timeZone}" is not a time zone (an IANA name such as Europe/Stockholm or UTC)`,
    );
  }
  return timeZone;
}

/**
 * A five-field cron expression (minute hour day-of-month month
 * day-of-week), or a 400 naming the field. Seconds and `@`-macros are
 * refused: a window opens on a minute.
 */
export function checkCron(cron: string, field: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new InputError(
      `${field}: "${cron}" must have five fields (minute hour day-of-month month day-of-week), it has ${fields.length}`,
    );
  }
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC', strict: false });
  } catch (error) {
    throw new InputError(
      `${field}: "${cron}" is not a cron expression: ${
        (error as Error).message
      }`,
    );
  }
  return fields.join(' ');
}

/** The plan's windows checked, each field named in a 400 on the first bad one. */
export function checkWindows(
  windows: unknown,
  field: string,
): DeliveryWindow[] {
  if (windows === undefined) return [];
  if (!Array.isArray(windows)) {
    throw new InputError(`${field}: must be a list of windows`);
  }
  return windows.map((w, i) => {
    const at = `${field}/${i}`;
    if (typeof w !== 'object' || w === null) {
      throw new InputError(
        `${at}: must be an object with cron and durationMinutes`,
      );
    }
    const { cron, durationMinutes, timeZone } = w as Record<string, unknown>;
    if (typeof cron !== 'string') {
      throw new InputError(`${at}/cron: must be a cron expression`);
    }
    if (
      typeof durationMinutes !== 'number' ||
      !Number.isInteger(durationMinutes) ||
      durationMinutes < 1 ||
      durationMinutes > 7 * 24 * 60
    ) {
      throw new InputError(
        `${at}/durationMinutes: ${JSON.stringify(
          durationMinutes,
        )} must be a whole number of minutes from 1 to 10080 (a week)`,
      );
    }
    if (timeZone !== undefined && typeof timeZone !== 'string') {
      throw new InputError(`${at}/timeZone: must be a time zone name`);
    }
    return {
      cron: checkCron(cron, `${at}/cron`),
      durationMinutes,
      timeZone: checkTimeZone(timeZone ?? 'UTC', `${at}/timeZone`),
    };
  });
}

/**
 * Windows from an annotation: `;`-separated, each five cron fields, a
 * duration (`180m` or `3h`) and an optional time zone, such as
 * `0 2 * * 1-4 3h Europe/Stockholm` (Monday to Thursday, 02:00 to 05:00 in
 * Stockholm). Throws a message naming the annotation.
 */
export function parseWindowAnnotation(value: string): DeliveryWindow[] {
  const where = `annotation ${DELIVERY_WINDOW_ANNOTATION}`;
  return value
    .split(';')
    .map(part => part.trim())
    .filter(Boolean)
    .map(part => {
      const words = part.split(/\s+/);
      const duration = /^(\d+)(m|h)$/.exec(words[5] ?? '');
      if (words.length < 6 || words.length > 7 || !duration) {
        throw new InputError(
          `${where}: "${part}" must be five cron fields, a duration (such as 180m or 3h) and optionally a time zone`,
        );
      }
      const minutes = Number(duration[1]) * (duration[2] === 'h' ? 60 : 1);
      return checkWindows(
        [
          {
            cron: words.slice(0, 5).join(' '),
            durationMinutes: minutes,
            timeZone: words[6] ?? 'UTC',
          },
        ],
        where,
      )[0];
    });
}

/**
 * A pipeline's schedule from its annotation: `;`-separated cron
 * expressions of five fields, each optionally followed by a time zone
 * (`0 3 * * * Europe/Stockholm`). Throws a message naming the annotation.
 */
export function parseScheduleAnnotation(
  value: string,
): { cron: string; timeZone: string }[] {
  const where = `annotation ${SCHEDULE_ANNOTATION}`;
  return value
    .split(';')
    .map(part => part.trim())
    .filter(Boolean)
    .map(part => {
      const words = part.split(/\s+/);
      if (words.length < 5 || words.length > 6) {
        throw new InputError(
          `${where}: "${part}" must be five cron fields and optionally a time zone`,
        );
      }
      return {
        cron: checkCron(words.slice(0, 5).join(' '), where),
        timeZone: checkTimeZone(words[5] ?? 'UTC', where),
      };
    });
}

/**
 * The freezes of the config, each `from` and `to` an ISO 8601 date-time or
 * a date (a `from` date starts at its 00:00 UTC, a `to` date ends at the
 * end of its day, UTC). A bad one throws, naming its key.
 */
export function parseFreezes(
  entries: { from: string; to: string; reason?: string }[],
  field = 'ripple.rollout.freezes',
): Freeze[] {
  return entries.map(({ from, to, reason }, i) => {
    const at = `${field}[${i}]`;
    const start = parseInstant(from, false, `${at}.from`);
    const end = parseInstant(to, true, `${at}.to`);
    if (end <= start) {
      throw new InputError(
        `${at}: "to" (${to}) must be after "from" (${from})`,
      );
    }
    return { from: start, to: end, reason: reason?.trim() || 'a freeze' };
  });
}

function parseInstant(value: string, endOfDay: boolean, field: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isNaN(day)) return new Date(day + (endOfDay ? 86_400_000 : 0));
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const instant = Date.parse(value);
    if (!Number.isNaN(instant)) return new Date(instant);
  }
  throw new InputError(
    `${field}: "${value}" is not a date (2026-12-24) or an ISO 8601 date-time with its offset`,
  );
}

/** The latest opening of `cron` at or before `at`, and the next after it. */
function around(cron: string, timeZone: string, at: Date) {
  // cron-parser's prev() is strictly before its current date: one
  // millisecond later counts an opening at `at` itself.
  const prev = CronExpressionParser.parse(cron, {
    currentDate: new Date(at.getTime() + 1),
    tz: timeZone,
  });
  const next = CronExpressionParser.parse(cron, {
    currentDate: at,
    tz: timeZone,
  });
  return {
    previous: prev.hasPrev() ? prev.prev().toDate() : undefined,
    next: next.hasNext() ? next.next().toDate() : undefined,
  };
}

/** Where a window is open at `at` (it opened less than its duration ago). */
export function windowOpenAt(window: DeliveryWindow, at: Date): boolean {
  const { previous } = around(window.cron, window.timeZone ?? 'UTC', at);
  return (
    previous !== undefined &&
    at.getTime() < previous.getTime() + window.durationMinutes * 60_000
  );
}

/**
 * A constraint of windows: open when any of them is (none: always open).
 */
export function windowsConstraint(
  windows: DeliveryWindow[],
  why: string,
): Constraint | undefined {
  if (!windows.length) return undefined;
  return {
    why: () => why,
    earliest: at => {
      if (windows.some(w => windowOpenAt(w, at))) return at;
      const nexts = windows
        .map(w => around(w.cron, w.timeZone ?? 'UTC', at).next)
        .filter((d): d is Date => d !== undefined);
      return nexts.length
        ? new Date(Math.min(...nexts.map(d => d.getTime())))
        : undefined;
    },
  };
}

/** A constraint of freezes: nothing from a freeze's start until its end. */
export function freezesConstraint(freezes: Freeze[]): Constraint | undefined {
  if (!freezes.length) return undefined;
  const covering = (at: Date) => freezes.find(f => f.from <= at && at < f.to);
  return {
    why: at => {
      const freeze = covering(at);
      return freeze
        ? `frozen until ${freeze.to.toISOString()}: ${freeze.reason}`
        : 'frozen';
    },
    earliest: at => covering(at)?.to ?? at,
  };
}

/**
 * A constraint of a pipeline's schedule: not within `marginMinutes`
 * before any of its runs (a patch merged just before a run would run
 * untested by the soak, and a revert could not land before it).
 */
export function scheduleConstraint(
  schedules: { cron: string; timeZone: string }[],
  marginMinutes: number,
  consumerRef: string,
): Constraint | undefined {
  if (!schedules.length || marginMinutes <= 0) return undefined;
  const margin = marginMinutes * 60_000;
  // The run within the margin after `at`, if any.
  const runSoon = (at: Date) => {
    const runs = schedules
      .map(s => around(s.cron, s.timeZone, at).next)
      .filter((d): d is Date => d !== undefined)
      .filter(d => d.getTime() - at.getTime() <= margin);
    return runs.length
      ? new Date(Math.max(...runs.map(d => d.getTime())))
      : undefined;
  };
  return {
    why: at => {
      const run = runSoon(at);
      return `the pipeline of ${consumerRef} runs at ${
        run?.toISOString() ?? 'soon'
      } (${SCHEDULE_ANNOTATION}; nothing is delivered within ${marginMinutes} minutes before a run)`;
    },
    // Just after the run starts: the run reads the code as it was.
    earliest: at => {
      const run = runSoon(at);
      return run ? new Date(run.getTime() + 60_000) : at;
    },
  };
}

/**
 * The earliest time at or after `now` that every constraint allows, and
 * the first constraint holding at `now` (undefined when all allow now).
 * Each constraint moves the time forward until none does; after a year
 * without an opening, `at` is undefined.
 */
export function earliestAllowed(
  constraints: (Constraint | undefined)[],
  now: Date,
): { at?: Date; blockedBy?: Constraint } {
  const active = constraints.filter((c): c is Constraint => c !== undefined);
  const blockedBy = active.find(
    c => c.earliest(now)?.getTime() !== now.getTime(),
  );
  if (!blockedBy) return { at: now };
  let at: Date | undefined = now;
  for (let round = 0; round < 200 && at; round++) {
    let moved = false;
    for (const constraint of active) {
      const next: Date | undefined = constraint.earliest(at);
      if (!next) return { blockedBy };
      if (next.getTime() !== at.getTime()) {
        at = next;
        moved = true;
      }
    }
    if (!moved) return { at, blockedBy };
    if (at.getTime() - now.getTime() > HORIZON_MS) return { blockedBy };
  }
  return { blockedBy };
}

/** The wait's words: "waiting for the window at <time> (<why>)". */
export function waitingFor(
  result: { at?: Date; blockedBy?: Constraint },
  now: Date,
): string | undefined {
  if (!result.blockedBy) return undefined;
  const why = result.blockedBy.why(now);
  return result.at
    ? `${WAITING_FOR_THE_WINDOW} at ${result.at.toISOString()} (${why})`
    : `${WAITING_FOR_THE_WINDOW}: none opens within a year (${why})`;
}
