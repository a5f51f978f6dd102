import { JetStreamServer } from './jetstream.server.js';
import { APP_LINK, appLinkOf } from './app-link.js';
import type { AppView } from './app-view.js';

const view: AppView = { jetStreamListening: () => true, otherServers: () => [], plainEventHandlers: () => [] };

describe('app link', () => {
  it("hands the module the server's app and listen state under a Symbol.for key, not as public members", async () => {
    const server = new JetStreamServer({ connection: { servers: 'nats://127.0.0.1:1' } });
    const link = appLinkOf(server);
    expect(link).toBeDefined();
    expect(link?.listenStarted()).toBe(false);
    link?.useApp(view);
    // The app given is the one readiness reads: it names the other instance that runs.
    await expect(server.health.readiness().then((r) => JSON.stringify(r))).resolves.toContain('another JetStreamServer instance');
    expect('useApp' in server).toBe(false);
    expect('listenStarted' in server).toBe(false);
    expect(Object.keys(server)).not.toEqual(expect.arrayContaining(['runners', 'nc', 'options', 'pending']));
    await server.close();
  });

  it('finds the link of a server of another copy of the library (same Symbol.for key)', () => {
    let given: AppView | undefined;
    const other = { [Symbol.for('@nest-jetstream/transport:app-link')]: { useApp: (app: AppView) => (given = app), listenStarted: () => true } };
    expect(APP_LINK).toBe(Symbol.for('@nest-jetstream/transport:app-link'));
    appLinkOf(other)?.useApp(view);
    expect(given).toBe(view);
    expect(appLinkOf(other)?.listenStarted()).toBe(true);
    expect(appLinkOf({ transportId: 'x', useApp: () => undefined })).toBeUndefined();
  });
});
