import type { ActivityRow } from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backfillStatus } from '../src/app/backfill-status';
import { activityLocalTime, instantHtml } from '../src/app/dashboard-time';
import { weeklyVolume, weekStartOf } from '../src/app/weekly-volume';
import { record } from './helpers/sync-record';

const DAY_S = 86_400;

describe('an activity local time', () => {
  it('prints the wall-clock time with an offset that gives back the instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.integer({ min: -14 * 4, max: 14 * 4 }).map((q) => q * 900),
        (epochS, offsetS) => {
          const local = new Date((epochS + offsetS) * 1000).toISOString().slice(0, 19);
          const text = activityLocalTime({ startDateLocal: local, utcOffsetS: offsetS });
          const m = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) \(UTC([+-])(\d{2}):(\d{2})\)$/.exec(text);
          expect(m).not.toBeNull();
          const parsedOffset = (m![2] === '-' ? -1 : 1) * (Number(m![3]) * 3600 + Number(m![4]) * 60);
          expect(parsedOffset).toBe(offsetS);
          const wallS = Date.parse(`${m![1]!.replace(' ', 'T')}:00Z`) / 1000;
          // the wall clock minus the offset is the instant (to the minute printed)
          expect(wallS - parsedOffset).toBe(Math.floor((epochS + offsetS) / 60) * 60 - offsetS);
        },
      ),
    );
  });

  it('prints instants in UTC with the label, so that text order is instant order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_000_000_000 }), { minLength: 2 }), (seconds) => {
        const sorted = [...seconds].sort((a, b) => b - a);
        const texts = sorted.map((s) => {
          const m = /<time[^>]*>([^<]+)<\/time>/.exec(String(instantHtml(new Date(s * 1000))));
          return m![1]!;
        });
        expect(texts.every((t) => t.endsWith(' UTC'))).toBe(true);
        expect([...texts].sort().reverse()).toEqual(texts);
      }),
    );
  });
});

describe('an asynchronous backfill status', () => {
  it('counts the windows requested and the activities the webhooks created since', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 * 365 }),
        fc.array(fc.record({ afterS: fc.integer({ min: -600, max: 600 }), created: fc.nat(300) })),
        (days, webhooks) => {
          const startedAt = new Date('2026-06-01T00:00:00Z');
          const to = startedAt.getTime() / 1000;
          const full = record({
            syncType: 'full',
            startedAt,
            cursorAfter: { uploadedThrough: to, lastBackfill: { from: to - days * DAY_S, to } },
          });
          const runs = webhooks.map((w) =>
            record({
              syncType: 'webhook',
              startedAt: new Date(startedAt.getTime() + w.afterS * 1000),
              activitiesCreated: w.created,
            }),
          );
          const history = [...runs, full].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
          const status = backfillStatus(history)!;
          expect(status.windows).toBe(Math.ceil(days / 30));
          expect(status.days).toBe(days);
          expect(status.remainingWindows).toBe(0);
          expect(status.arrived).toBe(
            webhooks.filter((w) => w.afterS >= 0).reduce((sum, w) => sum + w.created, 0),
          );
        },
      ),
    );
  });

  it('says what remains of an interrupted backfill, and nothing without one', () => {
    const startedAt = new Date('2026-06-01T00:00:00Z');
    const to = startedAt.getTime() / 1000;
    const partial = record({
      syncType: 'full',
      startedAt,
      cursorAfter: {
        uploadedThrough: null,
        backfill: { from: to - 90 * DAY_S, to, nextEnd: to - 60 * DAY_S },
      },
    });
    expect(backfillStatus([partial])).toMatchObject({ windows: 2, days: 60, remainingWindows: 1 });
    expect(backfillStatus([record({ syncType: 'full', startedAt, cursorAfter: { after: 'x' } })])).toBeNull();
    expect(backfillStatus([record({ syncType: 'incremental', startedAt })])).toBeNull();
  });
});

describe('the weekly volume', () => {
  it('counts each activity of the window once, in the UTC week of its start', () => {
    const now = new Date('2026-11-30T22:00:00Z'); // a Monday
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            agoMs: fc.integer({ min: -86_400_000, max: 70 * 86_400_000 }),
            moving: fc.option(fc.nat(20_000), { nil: null }),
            elapsed: fc.option(fc.nat(20_000), { nil: null }),
          }),
        ),
        (specs) => {
          const activities = specs.map(
            (s) =>
              ({
                startDate: new Date(now.getTime() - s.agoMs),
                movingTimeS: s.moving,
                elapsedTimeS: s.elapsed,
                distanceM: 1000,
              }) as ActivityRow,
          );
          const weeks = weeklyVolume(activities, now, 8);
          expect(weeks).toHaveLength(8);
          expect(weeks.at(-1)!.weekStart.toISOString()).toBe('2026-11-30T00:00:00.000Z');
          for (const w of weeks) expect(w.weekStart.getUTCDay()).toBe(1);
          const first = weeks[0]!.weekStart.getTime();
          const end = weeks.at(-1)!.weekStart.getTime() + 7 * 86_400_000;
          const inside = activities.filter(
            (a) => a.startDate.getTime() >= first && a.startDate.getTime() < end,
          );
          expect(weeks.reduce((n, w) => n + w.activities, 0)).toBe(inside.length);
          expect(weeks.reduce((n, w) => n + w.movingS, 0)).toBe(
            inside.reduce((n, a) => n + (a.movingTimeS ?? a.elapsedTimeS ?? 0), 0),
          );
          for (const a of inside) {
            const week = weeks.find((w) => w.weekStart.getTime() === weekStartOf(a.startDate).getTime());
            expect(week).toBeDefined();
          }
        },
      ),
    );
  });
});
