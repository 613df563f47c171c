import { z } from 'zod';

const durationMs = z.number().int().nonnegative();

/**
 * One temperature alarm limit. Several per profile — warning and critical, upper and lower — each with its own
 * delay (consecutive time beyond the limit before it is a breach) and optionally its own budget (accumulated
 * time beyond the limit over the journey), the way Controlant and LogTag configure their loggers.
 */
export const TemperatureBoundarySchema = z.strictObject({
  /** Stable within the profile: it becomes part of the excursion key. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  direction: z.enum(['upper', 'lower']),
  limitC: z.number(),
  /** `warning` limits raise `range` excursions, `critical` limits raise `critical` ones. */
  severity: z.enum(['warning', 'critical']),
  /** Beyond the limit continuously for at least this long is a breach; 0 = at once. */
  delayMs: durationMs,
  /** Beyond the limit for more than this in total over the journey is a `cumulative` breach. */
  budgetMs: durationMs.optional(),
});
export type TemperatureBoundary = z.infer<typeof TemperatureBoundarySchema>;

const HumiditySchema = z
  .strictObject({
    lowPct: z.number().min(0).max(100).optional(),
    highPct: z.number().min(0).max(100).optional(),
    delayMs: durationMs,
    /** An excursion clears only once humidity is back inside by this margin. */
    hysteresisPct: z.number().nonnegative(),
  })
  .refine((h) => h.lowPct !== undefined || h.highPct !== undefined, 'humidity needs lowPct or highPct')
  .refine((h) => h.lowPct === undefined || h.highPct === undefined || h.lowPct < h.highPct, {
    message: 'humidity lowPct must be below highPct',
  });

export const ProfileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    name: z.string().min(1),
    /** Where the values come from; a value that is a planning judgement says so. */
    source: z.string().min(1),
    temperature: z.strictObject({
      /** The recommended band (set point). Informational: reported as time in target, raises nothing. */
      targetC: z.strictObject({ lowC: z.number().optional(), highC: z.number().optional() }).optional(),
      boundaries: z.array(TemperatureBoundarySchema).min(1),
    }),
    humidity: HumiditySchema.optional(),
    /** Total time outside the range (see `temperatureRange`) over the journey above which it is a breach. */
    cumulativeBudgetMs: durationMs.optional(),
    /** Readings further apart than this are a data gap; also the longest a reading's value is held. */
    maxGapMs: z.number().int().positive(),
    /**
     * The interval a logger is expected to record at: a report's completeness counts one reading per interval
     * and lists every stretch longer than it without one (China GSP appendix: transport records at least every
     * 5 min). Absent: `maxGapMs` stands in for it.
     */
    recordingIntervalMs: z.number().int().positive().optional(),
    doorOpenMaxMs: durationMs.optional(),
    /** Mean kinetic temperature (USP <1079>) above this fails the shipment. */
    mktLimitC: z.number().optional(),
    /** An excursion clears only once the temperature is back inside its limit by this margin. */
    hysteresisC: z.number().nonnegative(),
    /** Ignore period at the start of a leg while the logger settles; no rule sees readings in it. */
    settleMs: durationMs,
    /**
     * A warning before the goods are harmed, for devices with both an air and a product probe: the air outside
     * the range (see `temperatureRange`) for at least `airDelayMs` while the product is still inside. It never
     * fails a shipment. Absent: no early warning.
     */
    earlyWarning: z
      .strictObject({
        /** Longer than a door opening at a drop, shorter than the time the product takes to follow the air. */
        airDelayMs: durationMs,
        /** The product readings the projected time to breach is fitted to: at most this far back. */
        trendWindowMs: z.number().int().positive(),
      })
      .optional(),
  })
  .superRefine((profile, ctx) => {
    const ids = profile.temperature.boundaries.map((b) => b.id);
    for (const [i, id] of ids.entries()) {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', message: `duplicate boundary id ${id}` });
    }
    if (profile.recordingIntervalMs !== undefined && profile.recordingIntervalMs > profile.maxGapMs) {
      // A reading missed at the interval would be no gap at all if the interval were longer than the gap limit.
      ctx.addIssue({ code: 'custom', message: 'recordingIntervalMs must not exceed maxGapMs' });
    }
    const range = temperatureRange(profile);
    if (range.lowC !== null && range.highC !== null && range.lowC >= range.highC) {
      ctx.addIssue({ code: 'custom', message: 'the lower temperature limits must be below the upper ones' });
    }
  });
export type Profile = z.infer<typeof ProfileSchema>;

/** The seed file: `{ "profiles": [...] }`. */
export const ProfilesFileSchema = z
  .strictObject({ profiles: z.array(ProfileSchema) })
  .refine((file) => new Set(file.profiles.map((p) => p.id)).size === file.profiles.length, {
    message: 'profile ids must be unique',
  });

/** Parses the content of a profiles seed file; throws a `ZodError` naming the offending path. */
export function parseProfiles(json: unknown): Profile[] {
  return ProfilesFileSchema.parse(json).profiles;
}

export interface TemperatureRange {
  lowC: number | null;
  highC: number | null;
}

/**
 * The range `[low, high]` of DESIGN.md §4, against which time in range and the cumulative budget are measured:
 * the tightest warning limit on each side, or the tightest critical limit where a side has no warning limit.
 */
export function temperatureRange(profile: Pick<Profile, 'temperature'>): TemperatureRange {
  return { lowC: tightest(profile, 'lower'), highC: tightest(profile, 'upper') };
}

function tightest(profile: Pick<Profile, 'temperature'>, direction: 'upper' | 'lower'): number | null {
  const side = profile.temperature.boundaries.filter((b) => b.direction === direction);
  const warnings = side.filter((b) => b.severity === 'warning');
  const limits = (warnings.length > 0 ? warnings : side).map((b) => b.limitC);
  if (limits.length === 0) return null;
  return direction === 'upper' ? Math.min(...limits) : Math.max(...limits);
}
