import type { Config } from '@backstage/config';
import {
  Entity,
  parseEntityRef,
  RELATION_DEPENDS_ON,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { checkWindows } from './timing/windows';
import type {
  HealthThresholds,
  RolloutPlan,
  RolloutPlanRequest,
  WaveSpec,
} from '@ripple/backstage-plugin-ripple-common';

/** A canary of one consumer, then 10%, 50% and every consumer. */
export const DEFAULT_WAVES: WaveSpec[] = [
  { name: 'canary', count: 1 },
  { name: '10%', percent: 10 },
  { name: '50%', percent: 50 },
  { name: '100%', percent: 100 },
];

export const DEFAULT_HEALTH: Required<HealthThresholds> = {
  maxErrorRate: 0.05,
  maxFreshnessMinutes: 1440,
  minRowCount: 0,
  maxRowCountDrop: 0.5,
  maxFailedRuns: 0,
  maxDurationIncrease: 1,
  // An error rate rises at most 1: off unless configured.
  maxErrorRateIncrease: 1,
  requireSignals: true,
};

/** The annotation that names a consumer's delivery method. */
export const DELIVERY_ANNOTATION = 'ripple.io/delivery';
/** The annotation that sets a consumer's criticality (low, medium, high, critical). */
export const CRITICALITY_ANNOTATION = 'ripple.io/criticality';
/** The annotation that makes a dataset critical: every patch needs an approval. */
export const CRITICAL_ANNOTATION = 'ripple.io/critical';

/**
 * The plan a rollout follows: each field from the start request, else from
 * the config (`ripple.rollout`), else the default. Auto-approval never
 * applies to a critical dataset.
 */
export function resolvePlan(
  config: Config,
  request: RolloutPlanRequest | undefined,
  critical: boolean,
): RolloutPlan {
  const rollout = config.getOptionalConfig('ripple.rollout');
  const configWaves = rollout?.getOptionalConfigArray('waves')?.map(wave =>
    dropUndefined<WaveSpec>({
      name: wave.getString('name'),
      count: wave.getOptionalNumber('count'),
      percent: wave.getOptionalNumber('percent'),
    }),
  );
  const waves = request?.waves ?? configWaves ?? DEFAULT_WAVES;
  checkWaves(waves, request?.waves ? 'plan.waves' : 'ripple.rollout.waves');
  const health = rollout?.getOptionalConfig('health');
  const configHealth: HealthThresholds = health
    ? dropUndefined({
        maxErrorRate: health.getOptionalNumber('maxErrorRate'),
        maxFreshnessMinutes: health.getOptionalNumber('maxFreshnessMinutes'),
        minRowCount: health.getOptionalNumber('minRowCount'),
        maxRowCountDrop: health.getOptionalNumber('maxRowCountDrop'),
        maxFailedRuns: health.getOptionalNumber('maxFailedRuns'),
        maxDurationIncrease: health.getOptionalNumber('maxDurationIncrease'),
        maxErrorRateIncrease: health.getOptionalNumber('maxErrorRateIncrease'),
        requireSignals: health.getOptionalBoolean('requireSignals'),
      })
    : {};
  const autoApprove =
    request?.autoApprove ?? rollout?.getOptionalBoolean('autoApprove') ?? false;
  checkBoolean(request?.requireValidation, 'plan.requireValidation');
  const windows = checkWindows(
    request?.windows ??
      rollout?.getOptionalConfigArray('windows')?.map(w => ({
        cron: w.getString('cron'),
        durationMinutes: w.getNumber('durationMinutes'),
        timeZone: w.getOptionalString('timeZone'),
      })),
    request?.windows ? 'plan.windows' : 'ripple.rollout.windows',
  );
  return {
    ...(windows.length ? { windows } : {}),
    waves,
    soakMinutes:
      request?.soakMinutes ?? rollout?.getOptionalNumber('soakMinutes') ?? 60,
    autoAdvance:
      request?.autoAdvance ??
      rollout?.getOptionalBoolean('autoAdvance') ??
      true,
    autoApprove: autoApprove && !critical,
    mergeWithinHours:
      request?.mergeWithinHours ??
      rollout?.getOptionalNumber('mergeWithinHours') ??
      72,
    requireValidation:
      request?.requireValidation ?? requireValidationDefault(config),
    health: {
      ...DEFAULT_HEALTH,
      ...configHealth,
      ...dropUndefined(request?.health ?? {}),
    },
  };
}

/**
 * Whether a plan requires validation when neither its start request nor a
 * started rollout says: `ripple.rollout.requireValidation`, false by
 * default (today's behaviour: validation informs the reviewers, and gates
 * nothing). It is also what applies to reviews before the rollout starts
 * (docs/validation.md, "Requiring validation").
 */
export function requireValidationDefault(config: Config): boolean {
  return config.getOptionalBoolean('ripple.rollout.requireValidation') ?? false;
}

/**
 * A boolean field of the request, or a 400 naming it: the API's schema
 * checks it first, this is for callers that skip it.
 */
function checkBoolean(value: unknown, field: string) {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InputError(
      `${field}: ${JSON.stringify(value)} is not a boolean (true or false)`,
    );
  }
}

/** Waves must each have one size, and percentages must grow. */
function checkWaves(waves: WaveSpec[], field: string) {
  let lastPercent = 0;
  const names = new Set<string>();
  waves.forEach((wave, i) => {
    const at = `${field}/${i}`;
    if ((wave.count === undefined) === (wave.percent === undefined)) {
      throw new InputError(
        `${at}: give the wave's size as either count or percent, not ${
          wave.count === undefined ? 'neither' : 'both'
        }`,
      );
    }
    if (wave.percent !== undefined) {
      if (wave.percent <= lastPercent || wave.percent > 100) {
        throw new InputError(
          `${at}/percent: ${wave.percent} must be above the previous wave's ${lastPercent} and at most 100 (percentages are cumulative)`,
        );
      }
      lastPercent = wave.percent;
    }
    if (names.has(wave.name)) {
      throw new InputError(`${at}/name: "${wave.name}" names two waves`);
    }
    names.add(wave.name);
  });
}

/** A consumer to place in a wave, with what orders it. */
export type PlannedConsumer = {
  consumerRef: string;
  /** Its catalog entity, when the catalog has it. */
  entity?: Entity;
};

/**
 * Orders consumers for a rollout: a consumer that other consumers read (it
 * is a dependency of theirs in the catalog) goes before them; then the least
 * critical first; then by ref, so that the order is stable.
 */
export function orderConsumers(consumers: PlannedConsumer[]): string[] {
  const refs = new Set(consumers.map(c => c.consumerRef));
  const dependencies = new Map<string, string[]>();
  for (const { consumerRef, entity } of consumers) {
    dependencies.set(
      consumerRef,
      dependsOn(entity).filter(d => d !== consumerRef && refs.has(d)),
    );
  }
  // Depth in the dependency graph: 0 for a consumer that reads no other
  // consumer, one more than its deepest dependency otherwise. A cycle is cut
  // where it is met.
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (r: string): number => {
    const known = depth.get(r);
    if (known !== undefined) return known;
    if (visiting.has(r)) return 0;
    visiting.add(r);
    const d = Math.max(-1, ...dependencies.get(r)!.map(depthOf)) + 1;
    visiting.delete(r);
    depth.set(r, d);
    return d;
  };
  const ranked = consumers.map(c => ({
    ref: c.consumerRef,
    depth: depthOf(c.consumerRef),
    criticality: criticalityOf(c.entity),
  }));
  ranked.sort(
    (a, b) =>
      a.depth - b.depth ||
      a.criticality - b.criticality ||
      a.ref.localeCompare(b.ref),
  );
  return ranked.map(r => r.ref);
}

/** The entity refs an entity depends on (its relations and spec), lower case. */
export function dependsOn(entity: Entity | undefined): string[] {
  if (!entity) return [];
  const refs = new Set<string>();
  for (const relation of entity.relations ?? []) {
    if (relation.type === RELATION_DEPENDS_ON) {
      refs.add(relation.targetRef.toLocaleLowerCase('en-US'));
    }
  }
  const declared = entity.spec?.dependsOn;
  if (Array.isArray(declared)) {
    for (const value of declared) {
      try {
        refs.add(
          stringifyEntityRef(
            parseEntityRef(String(value), {
              defaultNamespace: entity.metadata.namespace ?? 'default',
            }),
          ).toLocaleLowerCase('en-US'),
        );
      } catch {
        // A malformed ref in the catalog orders nothing.
      }
    }
  }
  return [...refs];
}

const CRITICALITY_LEVELS: Record<string, number> = {
  low: 0,
  medium: 1,
  high: 2,
  critical: 3,
};
const LIFECYCLE_LEVELS: Record<string, number> = {
  experimental: 0,
  development: 1,
  production: 2,
};

/**
 * How critical a consumer is, from 0 (least): the `ripple.io/criticality`
 * annotation when set; otherwise its `spec.lifecycle` (experimental <
 * development < production, unknown as development), raised to critical by
 * a `critical` tag.
 */
export function criticalityOf(entity: Entity | undefined): number {
  if (!entity) return LIFECYCLE_LEVELS.development;
  const annotated =
    entity.metadata.annotations?.[CRITICALITY_ANNOTATION]?.toLocaleLowerCase(
      'en-US',
    );
  if (annotated && annotated in CRITICALITY_LEVELS) {
    return CRITICALITY_LEVELS[annotated];
  }
  const lifecycle = String(entity.spec?.lifecycle ?? '').toLocaleLowerCase(
    'en-US',
  );
  const level = LIFECYCLE_LEVELS[lifecycle] ?? LIFECYCLE_LEVELS.development;
  return entity.metadata.tags?.includes('critical')
    ? CRITICALITY_LEVELS.critical
    : level;
}

/**
 * Cuts ordered consumers into waves: a wave of `count` takes that many more,
 * one of `percent` takes consumers until that share of all of them is
 * reached (rounded up). The last wave takes whatever remains. A wave left
 * empty (its share already reached) is dropped.
 */
export function assignWaves(
  consumerRefs: string[],
  waves: WaveSpec[],
): { name: string; consumers: string[] }[] {
  const total = consumerRefs.length;
  const result: { name: string; consumers: string[] }[] = [];
  let taken = 0;
  waves.forEach((wave, i) => {
    let end = total;
    if (i < waves.length - 1) {
      end =
        wave.count !== undefined
          ? taken + wave.count
          : Math.ceil((wave.percent! * total) / 100);
    }
    end = Math.min(total, end);
    if (end > taken) {
      result.push({
        name: wave.name,
        consumers: consumerRefs.slice(taken, end),
      });
      taken = end;
    }
  });
  return result;
}

/** Whether a dataset entity is critical, by its annotation or the config's list. */
export function isCriticalDataset(
  config: Config,
  datasetRef: string,
  dataset: Entity | undefined,
): boolean {
  if (dataset?.metadata.annotations?.[CRITICAL_ANNOTATION] === 'true') {
    return true;
  }
  const listed =
    config.getOptionalStringArray('ripple.rollout.criticalDatasets') ?? [];
  return listed.some(
    r =>
      stringifyEntityRef(parseEntityRef(r)).toLocaleLowerCase('en-US') ===
      datasetRef,
  );
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as T;
}
