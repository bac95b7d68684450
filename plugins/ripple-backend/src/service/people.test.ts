import { TestDatabases } from '@backstage/backend-test-utils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import type { Notification } from '@backstage/plugin-notifications-common';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { until } from '../__testUtils__/lineageRollout';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { waitForWholeRun } from '../__testUtils__/scheduledRuns';
import {
  as,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

// People and deadlines (docs/backend.md, "Deadlines and notifications"),
// through the real backend with the real notifications backend installed:
// what each owner reads in their inbox, and nothing twice across a restart.

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const ref = (name: string) => `component:default/${name}`;

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'people and deadlines on %s',
  databaseId => {
    let root: string;
    let catalogFile: string;

    beforeAll(async () => {
      // Three more consumers owned by data-platform (a digest's worth with
      // a threshold of 2), and one owned by guests; guest is in both.
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-people-'));
      catalogFile = path.join(root, 'catalog.yaml');
      const component = (
        name: string,
        owner: string,
      ) => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/${owner}`;
      await fs.writeFile(
        catalogFile,
        [
          component('pay-a', 'data-platform'),
          component('pay-b', 'data-platform'),
          component('side-job', 'guests'),
        ].join('\n---\n'),
      );
    });

    afterAll(async () => {
      await fs.rm(root, { recursive: true, force: true });
    });

    async function start(share?: Map<string, any>) {
      const backend = await startRippleTestBackend({
        databases,
        databaseId,
        share,
        notifications: { intervalSeconds: 1 },
        features: [notificationsPlugin],
        locations: [catalogFile],
        config: {
          app: { baseUrl: 'http://localhost:3000' },
          ripple: {
            notifications: {
              deadlineReminders: ['7d', '1d'],
              digestThreshold: 2,
            },
          },
        },
      });
      await until('the test catalog', async () => {
        const res = await request(backend.server)
          .get('/api/catalog/entities/by-name/component/default/side-job')
          .set(as('guest'));
        return res.status === 200 && res.body.relations?.length > 0;
      });
      return backend;
    }

    it('sets, validates, sorts and filters deadlines; tells owners of a migration, a review, a merge and a nearing deadline (a digest for an owner with many) in their inbox; and sends nothing twice after a restart', async () => {
      let backend = await start();
      const call = async (
        method: 'get' | 'post' | 'put',
        url: string,
        body?: object,
        user: keyof typeof users = 'guest',
      ) => {
        const req = request(backend.server)
          [method](`/api/ripple${url}`)
          .set(as(user));
        const res = await (body === undefined ? req : req.send(body));
        expectValidResponse(res);
        return res;
      };
      const today = new Date().toISOString().slice(0, 10);

      // A target date must be a day of the calendar.
      for (const targetDate of ['2027-02-30', 'tomorrow', '2027-1-5']) {
        const bad = await call('post', '/migrations', {
          datasetRef: 'resource:default/orders',
          change,
          title: 'Rename amount',
          targetDate,
        });
        expect(bad.status).toBe(400);
        expect(bad.body.error.message).toContain('targetDate');
      }
      const created = await call('post', '/migrations', {
        datasetRef: 'resource:default/orders',
        change,
        title: 'Rename amount',
        targetDate: '2099-01-31',
      });
      expect(created.status).toBe(201);
      expect(created.body.targetDate).toBe('2099-01-31');
      const id: string = created.body.id;

      // Its owners move it (today: within a day); others may not.
      expect(
        (
          await call(
            'put',
            `/migrations/${id}/target-date`,
            { targetDate: today },
            'mallory',
          )
        ).status,
      ).toBe(403);
      expect(
        (
          await call('put', `/migrations/${id}/target-date`, {
            targetDate: '2027-13-01',
          })
        ).status,
      ).toBe(400);
      const moved = await call('put', `/migrations/${id}/target-date`, {
        targetDate: today,
      });
      expect(moved.status).toBe(200);
      expect(moved.body.targetDate).toBe(today);
      const events = await call('get', `/migrations/${id}/events`);
      expect(events.body.items).toContainEqual(
        expect.objectContaining({
          type: 'target-date-changed',
          message: `Target date moved from 2099-01-31 to ${today}`,
          actor: users.guest.ref,
          data: { from: '2099-01-31', to: today },
        }),
      );
      expect(backend.auditEvents).toContainEqual(
        expect.objectContaining({
          eventId: 'migration-target-date',
          outcome: 'success',
        }),
      );

      // The list sorts by deadline (none last) and filters by it.
      const later = await call('post', '/migrations', {
        datasetRef: 'resource:default/orders',
        change,
        title: 'Later',
        targetDate: '2099-06-30',
      });
      const none = await call('post', '/migrations', {
        datasetRef: 'resource:default/orders',
        change,
        title: 'No deadline',
      });
      const titles = async (query: string) =>
        (await call('get', `/migrations?${query}`)).body.items.map(
          (m: { title: string }) => m.title,
        );
      expect(await titles('')).toEqual([
        'No deadline',
        'Later',
        'Rename amount',
      ]);
      expect(await titles('sort=deadline')).toEqual([
        'Rename amount',
        'Later',
        'No deadline',
      ]);
      expect(await titles(`deadlineBefore=${today}`)).toEqual([
        'Rename amount',
      ]);
      expect(await titles('hasDeadline=false')).toEqual(['No deadline']);
      expect((await call('get', '/migrations?sort=soonest')).status).toBe(400);
      expect(
        (await call('get', '/migrations?deadlineBefore=2027-02-30')).status,
      ).toBe(400);
      for (const m of [later.body.id, none.body.id]) {
        expect((await call('post', `/migrations/${m}/cancel`, {})).status).toBe(
          200,
        );
      }

      // The agent's analysis, as the store records it: four consumers, three
      // of data-platform's and one of guests'.
      const { store } = backend;
      await store.transition({ migrationId: id, to: 'analyzing' });
      const consumers = ['orders-export', 'pay-a', 'pay-b', 'side-job'];
      for (const name of consumers) {
        await store.putConsumer({
          migrationId: id,
          consumerRef: ref(name),
          discoveredBy: 'catalog',
          impact: {
            files: [],
            references: 1,
            verdict: 'breaking',
            reasons: [],
          },
        });
        await store.recordPatch({
          migrationId: id,
          consumerRef: ref(name),
          diff: '--- a/x.sql\n+++ b/x.sql\n',
          baseHash: 'sha256:a',
          status: 'rewritten',
          reasons: [],
        });
      }
      await store.transition({ migrationId: id, to: 'proposed' });

      const inbox = async (topic: string) => {
        const res = await request(backend.server)
          .get('/api/notifications/notifications')
          .query({ topic })
          .set(as('guest'));
        expect(res.status).toBe(200);
        return (res.body.notifications as Notification[]).sort((a, b) =>
          a.payload.title.localeCompare(b.payload.title),
        );
      };
      const told = await until('the owners told of the migration', async () => {
        const received = await inbox('ripple-migration');
        return received.length === 4 && received;
      });
      expect(told.map(n => n.payload.link)).toEqual(
        consumers.map(
          name =>
            `http://localhost:3000/catalog/default/component/${name}/ripple`,
        ),
      );
      expect(told[0].payload).toMatchObject({
        title: `Ripple: "Rename amount" changes resource:default/orders, which ${ref(
          'orders-export',
        )} reads`,
        description: `amount renamed to amount_usd. The change breaks it (1 references). Ripple proposes a verified patch for its owners to review. Target date: ${today}.`,
        topic: 'ripple-migration',
        scope: `ripple:created:${id}:${ref('orders-export')}`,
      });

      // The deadline is today: side-job's owners (guests) get a reminder;
      // data-platform, with three due, one digest.
      const deadline = await until('the deadline reminders', async () => {
        const received = await inbox('ripple-deadline');
        return received.length === 2 && received;
      });
      expect(deadline.map(n => n.payload.title)).toEqual([
        'Ripple: 3 of your consumers are due for migrations soon',
        `Ripple: ${ref('side-job')} is due for "Rename amount" by ${today}`,
      ]);
      expect(deadline[0].payload.link).toBe(
        'http://localhost:3000/catalog/default/group/data-platform',
      );
      expect(deadline[0].payload.description).toContain(
        `${ref(
          'pay-a',
        )}: "Rename amount" by ${today} (http://localhost:3000/catalog/default/component/pay-a/ripple)`,
      );
      expect(deadline[1].payload).toMatchObject({
        link: 'http://localhost:3000/catalog/default/component/side-job/ripple',
        severity: 'high',
      });

      // A new version of side-job's patch awaits review; pay-a's delivery
      // is merged.
      await store.recordPatch({
        migrationId: id,
        consumerRef: ref('side-job'),
        diff: '--- a/x.sql\n+++ b/x.sql\n@@\n',
        baseHash: 'sha256:b',
        status: 'rewritten',
        reasons: [],
      });
      await store.addEvent({
        migrationId: id,
        type: 'delivery-updated',
        consumerRef: ref('pay-a'),
        message: `Delivery of ${ref('pay-a')} is merged`,
        data: { method: 'git-branch', status: 'merged' },
      });
      const [review] = await until('the review notification', async () => {
        const received = await inbox('ripple-review');
        return received.length === 1 && received;
      });
      expect(review.payload.title).toBe(
        `Ripple: a patch of ${ref(
          'side-job',
        )} awaits your review ("Rename amount")`,
      );
      const [merged] = await until('the merge notification', async () => {
        const received = await inbox('ripple-delivery');
        return received.length === 1 && received;
      });
      expect(merged.payload.title).toBe(
        `Ripple: the patch of ${ref('pay-a')} is merged ("Rename amount")`,
      );

      // The consumer's timeline on its tab.
      const timeline = await call(
        'get',
        `/migrations/${id}/consumers/${encodeURIComponent(
          ref('side-job'),
        )}/timeline`,
      );
      expect(timeline.status).toBe(200);
      expect(timeline.body).toMatchObject({
        consumerRef: ref('side-job'),
        done: false,
        overdue: false,
      });
      expect(
        timeline.body.entries.map((e: { step: string; state: string }) => [
          e.step,
          e.state,
        ]),
      ).toEqual([
        ['created', 'done'],
        ['proposed', 'done'],
        ['reviewed', 'pending'],
        ['delivered', 'pending'],
        ['merged', 'pending'],
        ['healthy', 'pending'],
        ['deadline', 'pending'],
      ]);

      // A restart on the same databases (Ripple's and the notifications
      // backend's): every notification is in the ledger as sent, and the
      // inbox is what it was after the new backend's task has run twice.
      const before = {
        migration: await inbox('ripple-migration'),
        deadline: await inbox('ripple-deadline'),
        review: await inbox('ripple-review'),
        delivery: await inbox('ripple-delivery'),
      };
      const share = backend.pluginDatabases;
      await backend.stop();
      backend = await start(share);
      for (let i = 0; i < 2; i++) {
        await waitForWholeRun(backend.server, {
          taskId: 'ripple-notifications',
          headers: as('guest'),
        });
      }
      const after = {
        migration: await inbox('ripple-migration'),
        deadline: await inbox('ripple-deadline'),
        review: await inbox('ripple-review'),
        delivery: await inbox('ripple-delivery'),
      };
      expect(after).toEqual(before);
      const ledger = await backend
        .knex('owner_notification')
        .select('key', 'status', 'attempts');
      expect(ledger).toHaveLength(4 + 2 + 1 + 1);
      expect(ledger.every(n => n.status === 'sent' && n.attempts === 1)).toBe(
        true,
      );
      await backend.stop();
    });
  },
);
