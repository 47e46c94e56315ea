import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  planStreamsTick,
  type StreamsTickCandidate,
  type StreamsTickInput,
  streamsAllowance,
  streamsFilter,
} from '../../src/streams/streams-tick';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
const PROVIDERS = ['strava', 'garmin', 'polar'] as const;
const SPORTS = ['run', 'ride', 'swim', 'walk'] as const;

/** Connections (each of one provider) and their backlogs, newest first, ids unique. */
const candidatesArb = fc
  .array(
    fc.record({
      provider: fc.constantFrom(...PROVIDERS),
      backlog: fc.array(
        fc.record({ ageDays: fc.integer({ min: 0, max: 400 }), sport: fc.constantFrom(...SPORTS) }),
        { maxLength: 12 },
      ),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((connections) => {
    let activityId = 0;
    return connections.flatMap((c, i) =>
      c.backlog
        .map((a) => ({
          activityId: ++activityId,
          connectionId: i + 1,
          provider: c.provider as string,
          startDate: new Date(NOW - a.ageDays * DAY),
          sportType: a.sport as string,
        }))
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime()),
    );
  });

const inputArb: fc.Arbitrary<StreamsTickInput> = fc
  .record({
    candidates: candidatesArb,
    allowance: fc.record({
      strava: fc.integer({ min: 0, max: 60 }),
      garmin: fc.integer({ min: 0, max: 60 }),
      polar: fc.integer({ min: 0, max: 60 }),
    }),
    cost: fc.record({
      strava: fc.integer({ min: 1, max: 3 }),
      garmin: fc.integer({ min: 1, max: 3 }),
      polar: fc.integer({ min: 1, max: 3 }),
    }),
    summaryDue: fc.subarray([...PROVIDERS]),
    served: fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 6, maxLength: 6 }),
    maxAgeDays: fc.option(fc.integer({ min: 1, max: 365 }), { nil: undefined }),
    sports: fc.option(fc.subarray([...SPORTS], { minLength: 1 }), { nil: undefined }),
    cap: fc.integer({ min: 1, max: 30 }),
  })
  .map((r) => ({
    now: new Date(NOW),
    candidates: r.candidates,
    allowance: r.allowance,
    requestsPerActivity: r.cost,
    summaryDue: new Set<string>(r.summaryDue),
    lastServedMs: new Map(r.served.map((ms, i) => [i + 1, NOW - ms])),
    policy: {
      ...(r.maxAgeDays !== undefined ? { maxAgeDays: r.maxAgeDays } : {}),
      ...(r.sports ? { sportTypes: r.sports } : {}),
      maxActivitiesPerTick: r.cap,
    },
  }));

function spentBy(plan: StreamsTickCandidate[], input: StreamsTickInput): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const c of plan) spent[c.provider] = (spent[c.provider] ?? 0) + input.requestsPerActivity[c.provider]!;
  return spent;
}

describe('planStreamsTick (the streams backfill tick planner)', () => {
  it('never spends more than a provider’s budget share, nor more activities than the tick’s cap', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planStreamsTick(input);
        const spent = spentBy(plan, input);
        for (const provider of PROVIDERS)
          expect(spent[provider] ?? 0).toBeLessThanOrEqual(input.allowance[provider] ?? 0);
        expect(plan.length).toBeLessThanOrEqual(input.policy.maxActivitiesPerTick!);
        expect(new Set(plan.map((c) => c.activityId)).size).toBe(plan.length);
      }),
    );
  });

  it('chooses only activities inside the age and sport filters', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const { maxAgeDays, sportTypes } = input.policy;
        for (const c of planStreamsTick(input)) {
          if (maxAgeDays !== undefined)
            expect(c.startDate.getTime()).toBeGreaterThanOrEqual(NOW - maxAgeDays * DAY);
          if (sportTypes) expect(sportTypes).toContain(c.sportType);
        }
      }),
    );
  });

  it('gives nothing to a provider whose summary sync is due', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const c of planStreamsTick(input)) expect(input.summaryDue.has(c.provider)).toBe(false);
      }),
    );
  });

  it('takes each connection’s newest activities first, and wastes no budget: it stops only when nothing fits', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planStreamsTick(input);
        const { since, sportTypes } = streamsFilter(input.policy, input.now);
        const eligible = input.candidates.filter(
          (c) =>
            !input.summaryDue.has(c.provider) &&
            (!since || c.startDate >= since) &&
            (!sportTypes || sportTypes.includes(c.sportType)),
        );
        for (const connectionId of new Set(eligible.map((c) => c.connectionId))) {
          const mine = eligible.filter((c) => c.connectionId === connectionId).map((c) => c.activityId);
          const chosen = plan.filter((c) => c.connectionId === connectionId).map((c) => c.activityId);
          expect(chosen).toEqual(mine.slice(0, chosen.length));
        }
        if (plan.length < input.policy.maxActivitiesPerTick!) {
          const spent = spentBy(plan, input);
          const chosen = new Set(plan.map((c) => c.activityId));
          for (const c of eligible.filter((e) => !chosen.has(e.activityId))) {
            const left = (input.allowance[c.provider] ?? 0) - (spent[c.provider] ?? 0);
            expect(left).toBeLessThan(input.requestsPerActivity[c.provider]!);
          }
        }
      }),
    );
  });

  it('never starves a connection: ticks that record whom they served reach every backlog within one round', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        (connections, cap, cost) => {
          // one provider whose share covers exactly the cap each tick; every connection has a long backlog
          const backlogs = new Map<number, StreamsTickCandidate[]>();
          let id = 0;
          for (let c = 1; c <= connections; c++) {
            backlogs.set(
              c,
              Array.from({ length: 50 }, (_, i) => ({
                activityId: ++id,
                connectionId: c,
                provider: 'strava',
                startDate: new Date(NOW - i * DAY),
                sportType: 'run',
              })),
            );
          }
          const lastServedMs = new Map<number, number>();
          const servedAtTick = new Map<number, number>();
          const rounds = Math.ceil(connections / cap);
          for (let tick = 0; tick < rounds * 3; tick++) {
            const plan = planStreamsTick({
              now: new Date(NOW + tick * 60_000),
              candidates: [...backlogs.values()].flat(),
              allowance: { strava: cap * cost },
              requestsPerActivity: { strava: cost },
              summaryDue: new Set(),
              lastServedMs,
              policy: { maxActivitiesPerTick: cap },
            });
            expect(plan.length).toBe(cap);
            for (const c of plan) {
              backlogs.set(
                c.connectionId,
                backlogs.get(c.connectionId)!.filter((a) => a.activityId !== c.activityId),
              );
              lastServedMs.set(c.connectionId, NOW + tick * 60_000);
              const previous = servedAtTick.get(c.connectionId);
              // between two turns of a connection, at most one round of ticks passes
              if (previous !== undefined) expect(tick - previous).toBeLessThanOrEqual(rounds);
              servedAtTick.set(c.connectionId, tick);
            }
            if (tick === rounds - 1) expect(servedAtTick.size).toBe(connections);
          }
        },
      ),
    );
  });
});

describe('streamsAllowance and streamsFilter', () => {
  const at = new Date(NOW);
  it('is the tightest open window’s share less what it used; defaults when nothing was reported; 0 when blocked', () => {
    const windows = (used15: number, usedDay: number, resets15: Date | null) => ({
      blockedUntil: null,
      snapshots: [
        {
          bucket: 'read',
          windows: [
            { name: '15min', limit: 100, used: used15, resetsAt: resets15 },
            { name: 'daily', limit: 1000, used: usedDay, resetsAt: new Date(NOW + DAY) },
          ],
        },
      ],
    });
    expect(streamsAllowance(windows(10, 0, new Date(NOW + 60_000)), undefined, 0.3, at)).toBe(60);
    expect(streamsAllowance(windows(10, 690, new Date(NOW + 60_000)), undefined, 0.3, at)).toBe(10);
    expect(streamsAllowance(windows(95, 0, new Date(NOW + 60_000)), undefined, 0.3, at)).toBe(0);
    // the quarter-hour window reset since it was reported: only the daily one binds
    expect(streamsAllowance(windows(95, 100, new Date(NOW - 1)), undefined, 0.3, at)).toBe(600);
    const defaults = [
      { name: '15min', limit: 100, windowMs: 900_000 },
      { name: 'daily', limit: 1000, windowMs: DAY },
    ];
    expect(streamsAllowance({ snapshots: [], blockedUntil: null }, defaults, 0.3, at)).toBe(70);
    expect(streamsAllowance({ snapshots: [], blockedUntil: null }, undefined, 0.3, at)).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(streamsAllowance({ snapshots: [], blockedUntil: new Date(NOW + 1) }, defaults, 0.3, at)).toBe(0);
  });

  it('takes the later of `since` and the age limit, and drops an empty sport list', () => {
    const since = new Date(NOW - 10 * DAY);
    expect(streamsFilter({ since, maxAgeDays: 30 }, at)).toEqual({ since });
    expect(streamsFilter({ since, maxAgeDays: 5 }, at)).toEqual({ since: new Date(NOW - 5 * DAY) });
    expect(streamsFilter({ sportTypes: [] }, at)).toEqual({});
    expect(streamsFilter({ sportTypes: ['run'] }, at)).toEqual({ sportTypes: ['run'] });
  });
});
