import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamCodec } from './codec.interface.js';

// A custom codec gets what its decodeInputs asks for, whatever its decode's parameter list looks like.

const probe = new Probe<string>();
const text = new TextDecoder();

/** Asks for the headers and the subject. */
class TaggingCodec implements JetStreamCodec {
  readonly decodeInputs = { headers: true, subject: true };
  encode(data: unknown): Uint8Array {
    return new TextEncoder().encode(String(data));
  }
  decode(bytes: Uint8Array, headers: MsgHdrs | undefined, subject: string): unknown {
    return `${text.decode(bytes)}|tenant=${headers?.get('tenant') ?? 'none'}|subject=${subject || 'none'}`;
  }
}

/** Asks for the headers only; a rest-parameter decode (a wrapper) gets them too. */
class HeaderCodec implements JetStreamCodec {
  readonly decodeInputs = { headers: true };
  encode(data: unknown): Uint8Array {
    return new TextEncoder().encode(String(data));
  }
  decode(...args: [Uint8Array, MsgHdrs | undefined, string]): unknown {
    const [bytes, headers, subject] = args;
    return `${text.decode(bytes)}|tenant=${headers?.get('tenant') ?? 'none'}${subject ? '|subject given' : ''}`;
  }
}

/** Asks for nothing: three declared parameters get neither. */
class PlainCodec implements JetStreamCodec {
  encode(data: unknown): Uint8Array {
    return new TextEncoder().encode(String(data));
  }
  decode(bytes: Uint8Array, headers: MsgHdrs | undefined, subject: string): unknown {
    return `${text.decode(bytes)}|headers=${headers === undefined ? 'none' : 'given'}|subject=${subject || 'none'}`;
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
    ['headers and subject asked for', 'three', new TaggingCodec(), 'hello|tenant=acme|subject=codec.tagged|ctx-tenant=acme'],
    ['headers asked for, rest parameters', 'two', new HeaderCodec(), 'hello|tenant=acme|ctx-tenant=acme'],
    ['nothing asked for', 'none', new PlainCodec(), 'hello|headers=none|subject=none|ctx-tenant=acme'],
  ])('a decode with %s', async (_what, serviceName, codec, expected) => {
    await h.app(CodecModule, { serviceName, codec, consumerDefaults: { deliverPolicy: 'new' } });
    const hdrs = natsHeaders();
    hdrs.set('tenant', 'acme');
    await h.js.publish('codec.tagged', 'hello', { headers: hdrs });
    await waitFor('the handler', () => probe.seen.includes(expected));
    await h.closeApps();
  });
});
