import { Controller, Module } from '@nestjs/common';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTermError } from '../errors/handler.errors.js';
import type { DeadLetterEvent } from '../events/settle.events.js';
import { advisoryStreamName } from './advisory-watcher.js';

// Advisories processed after the dead-letter stream's duplicateWindow has passed (a backlog): the
// msgId dedup no longer protects, so the safety net must recognise what was already dead-lettered.

@Controller()
class BacklogController {
  @JetStreamEvent('backlog.work', { deadLetter: 'backlogdlq.work' })
  poison() {
    throw new JetStreamTermError('never valid');
  }
}

@Module({ controllers: [BacklogController] })
class BacklogModule {}

describe('a dead-letter advisory backlog older than the duplicate window (real nats-server)', () => {
  const h = new Harness();
  const source = uniqueName('BACKLOG');
  const dlq = uniqueName('BACKLOGDLQ');

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('makes no second dead letter for a message already dead-lettered', async () => {
    const dead: DeadLetterEvent[] = [];
    const { strategy } = await h.app(BacklogModule, {
      serviceName: 'backlog',
      streams: [
        { name: source, subjects: ['backlog.>'] },
        { name: dlq, subjects: ['backlogdlq.>'], duplicateWindow: '1s' },
      ],
    });
    strategy.on('deadLetter', (e) => dead.push(e));
    const { seq } = await h.js.publish('backlog.work', '{}');
    await waitFor('the dead letter', () => dead.find((e) => e.streamSequence === seq));
    // The window has passed once the same msgId is stored again (a probe, outside the dead-letter subject).
    await h.js.publish('backlogdlq.probe', '{}', { msgID: 'window-probe' });
    await waitFor('the duplicate window to pass', async () => !(await h.js.publish('backlogdlq.probe', '{}', { msgID: 'window-probe' })).duplicate, {
      timeout: 20_000,
      interval: 250,
    });
    // A late MSG_TERMINATED advisory of that same term, and a MAX_DELIVERIES one.
    const stream = advisoryStreamName('backlog');
    const base = { stream: source, consumer: 'backlog__backlog_work', stream_seq: seq };
    await h.js.publish(
      `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${source}.backlog__backlog_work`,
      JSON.stringify({ ...base, type: 'io.nats.jetstream.advisory.v1.terminated', deliveries: 1, reason: 'dead-lettered: JetStreamTermError: never valid' }),
    );
    await h.js.publish(
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${source}.backlog__backlog_work`,
      JSON.stringify({ ...base, type: 'io.nats.jetstream.advisory.v1.max_deliver', deliveries: 11 }),
    );
    await waitFor('both advisories processed', async () => (await h.jsm.streams.info(stream)).state.messages === 0);
    const info = await h.jsm.streams.info(dlq, { subjects_filter: 'backlogdlq.work' });
    expect(info.state.subjects?.['backlogdlq.work']).toBe(1);
    expect(dead.filter((e) => e.streamSequence === seq)).toHaveLength(1);
  });
});
