import 'reflect-metadata';
import { PipesConsumer } from '@nestjs/core/pipes/pipes-consumer.js';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { ListenersController } from '@nestjs/microservices/listeners-controller.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { PrototypePatch } from './prototype-patch.js';

// Nest's classes are patched only while a JetStream server lives, and put back when the last one closes.

const originals = () => ({
  catch: BaseRpcExceptionFilter.prototype.catch,
  apply: PipesConsumer.prototype.apply,
  register: (ListenersController.prototype as unknown as Record<string, unknown>).registerPatternHandlers,
});

describe('patches of Nest classes', () => {
  it('an app without a JetStream server runs Nest untouched; a server patches, its close restores', async () => {
    const before = originals();
    const server = new JetStreamServer({ serviceName: 'patches' });
    const during = originals();
    expect(during.catch).not.toBe(before.catch);
    expect(during.apply).not.toBe(before.apply);
    expect(during.register).not.toBe(before.register);
    await server.close();
    expect(originals()).toEqual(before);
  });

  it('unwraps the registration of handlers once the server starts listening (Nest has registered them by then)', async () => {
    const before = originals();
    const server = new JetStreamServer({ serviceName: 'patches', connection: { servers: 'nats://127.0.0.1:1', reconnect: false } });
    expect(originals().register).not.toBe(before.register);
    await new Promise<void>((resolve) => void server.listen(() => resolve())); // fails to connect, which closes it
    expect(originals()).toEqual(before);
  });

  it('directCalls: false never patches the registration of handlers', async () => {
    const before = originals();
    const server = new JetStreamServer({ serviceName: 'patches', directCalls: false });
    expect(originals().register).toBe(before.register);
    expect(originals().catch).not.toBe(before.catch);
    await server.close();
    expect(originals()).toEqual(before);
  });

  it('stays patched until the last server closes; closing twice releases once', async () => {
    const before = originals();
    const a = new JetStreamServer({ serviceName: 'a' });
    const b = new JetStreamServer({ serviceName: 'b' });
    await a.close();
    await a.close();
    expect(originals().catch).not.toBe(before.catch);
    await b.close();
    expect(originals()).toEqual(before);
  });

  it('leaves in place a patch someone else put on top of ours', () => {
    const target = { greet: (name: string) => `hello ${name}` };
    const patch = new PrototypePatch<(name: string) => string>(() => target, 'greet', (original) => (name) => original(name).toUpperCase());
    const release = patch.acquire();
    expect(target.greet('x')).toBe('HELLO X');
    const theirs = (name: string) => `theirs ${name}`;
    target.greet = theirs;
    release();
    expect(target.greet).toBe(theirs);
    expect(patch.active).toBe(false);
  });
});
