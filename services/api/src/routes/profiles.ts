import { temperatureRange } from '@coldchain/coldchain';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, jsonResponse } from '../http/responses.js';

const profileSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    rangeC: z
      .object({ lowC: z.number().nullable(), highC: z.number().nullable() })
      .meta({ description: 'The tightest warning limits: what a reading is judged in or out of range by' }),
    criticalC: z.object({ lowC: z.number().nullable(), highC: z.number().nullable() }),
    humidityPct: z.object({ lowPct: z.number().nullable(), highPct: z.number().nullable() }).nullable(),
    maxGapMs: z.number().int().meta({ description: 'Longer than this without a reading is a data gap' }),
  })
  .meta({ id: 'ProfileSummary' });

/**
 * The configured cold-chain profiles with their limits, so that a client can show a reading
 * against the range of the shipment it belongs to. The limits are no secret: every report
 * prints them.
 */
export function profileRoutes(app: OpenAPIHono<AppEnv>, deps: Pick<ApiDeps, 'profiles'>) {
  // Formed per request: a handful of profiles, and nothing is read before a client asks.
  const items = () =>
    [...deps.profiles.values()].map((p) => {
      const critical = (direction: 'upper' | 'lower') => {
        const limits = p.temperature.boundaries
          .filter((b) => b.direction === direction && b.severity === 'critical')
          .map((b) => b.limitC);
        if (limits.length === 0) return null;
        return direction === 'upper' ? Math.min(...limits) : Math.max(...limits);
      };
      return {
        id: p.id,
        name: p.name,
        rangeC: temperatureRange(p),
        criticalC: { lowC: critical('lower'), highC: critical('upper') },
        humidityPct: p.humidity
          ? { lowPct: p.humidity.lowPct ?? null, highPct: p.humidity.highPct ?? null }
          : null,
        maxGapMs: p.maxGapMs,
      };
    });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/profiles',
      tags: ['Shipments'],
      security: [{ bearer: [] }],
      summary: 'The cold-chain profiles and their limits',
      responses: {
        200: jsonResponse(z.object({ items: z.array(profileSummarySchema) }), 'Profiles'),
        ...commonErrors,
      },
    }),
    (c) => c.json({ items: items() }, 200),
  );
}
