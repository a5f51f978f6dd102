import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamCodec } from './codec.interface.js';

// A custom codec gets what its decode declares: headers from two parameters, the subject from three.

const probe = new Probe<string>();
const text = new TextDecoder();

/** Declares all three parameters: gets the headers and the subject. */
class TaggingCodec implements JetStreamCodec {
  encode(data: unknown): Uint8Array {
    return new TextEncoder().encode(String(data));
  }
  decode(bytes: Uint8Array, headers: MsgHdrs | undefined, subject: string): unknown {
    return `${text.decode(bytes)}|tenant=${headers?.get('tenant') ?? 'none'}|subject=${subject || 'none'}`;
  }
}

/** Declares two: gets the headers, not the subject. */
class HeaderCodec implements JetStreamCodec {
  encode(data: unknown): Uint8Array {
    return new TextEncoder().encode(String(data));
  }
  decode(bytes: Uint8Array, headers: MsgHdrs | undefined): unknown {
    return `${text.decode(bytes)}|tenant=${headers?.get('tenant') ?? 'none'}`;
  }
}

@Controller()
class CodecController {
  @JetStreamEvent('codec.tagged')
  tagged(@Payload() data: string, @Ctx() ctx: JetStreamContext) {
    probe.add(`${data}|ctx-tenant=${ctx.getHeader('tenant') ?? 'none'}`);
  }
}

@Module({ controllers: [CodecController] })
class CodecModule {}

describe('custom codecs (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('CODEC');
  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['codec.>'] });
  });
  afterAll(() => h.stop());

  it.each([
    ['three parameters: headers and subject', 'three', new TaggingCodec(), 'hello|tenant=acme|subject=codec.tagged|ctx-tenant=acme'],
    ['two parameters: headers only', 'two', new HeaderCodec(), 'hello|tenant=acme|ctx-tenant=acme'],
  ])('a decode with %s', async (_what, serviceName, codec, expected) => {
    await h.app(CodecModule, { serviceName, codec, consumerDefaults: { deliverPolicy: 'new' } });
    const hdrs = natsHeaders();
    hdrs.set('tenant', 'acme');
    await h.js.publish('codec.tagged', 'hello', { headers: hdrs });
    await waitFor('the handler', () => probe.seen.includes(expected));
    await h.closeApps();
  });
});
