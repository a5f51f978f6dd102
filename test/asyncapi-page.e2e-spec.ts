import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { AsyncApiDocument } from '@nest-jetstream/transport/asyncapi';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { ServiceProcess, type ServiceName } from '../examples/demo/service-process';
import { findChromium } from './contracts/find-chromium';

// The example services serve their AsyncAPI page at /asyncapi (the AsyncAPI project's React
// renderer, from node_modules); Debian's chromium opens it and must find every channel of the
// service's document on it.
describe('the example services’ /asyncapi page in a real browser', () => {
  let server: NatsServer;
  let browser: Browser;
  const services: ServiceProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'asyncapi-page-e2e-'));

  beforeAll(async () => {
    const executablePath = findChromium();
    server = await NatsServer.start();
    for (const name of ['inventory-service', 'orders-service'] as ServiceName[]) {
      const env = { NATS_SERVERS: server.url, HTTP_PORT: '0', DB_PATH: join(dir, `${name}.sqlite`) };
      services.push(await new ServiceProcess(name, env).start(120_000));
    }
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of services) await s.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([['inventory-service'], ['orders-service']])(
    '%s: the page loads and lists every channel of the service',
    async (name) => {
      const service = services.find((s) => s.name === name)!;
      const res = await fetch(`${service.url}/asyncapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as AsyncApiDocument;
      const addresses = Object.values(doc.channels).map((c) => c.address);
      expect(addresses.length).toBeGreaterThan(2);

      const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
      const failures: string[] = [];
      page.on('pageerror', (err) => failures.push(`page error: ${err.message}`));
      page.on('requestfailed', (req) => failures.push(`request failed: ${req.url()}`));
      try {
        await page.goto(`${service.url}/asyncapi`, { waitUntil: 'load' });
        const missing = async () => {
          const text = await page.locator('#asyncapi').innerText();
          return addresses.filter((a) => !text.includes(a));
        };
        // The bundle parses and renders the document after load: wait for its title, then every channel.
        await page.getByText(`${doc.info.title} ${doc.info.version}`).first().waitFor({ state: 'attached', timeout: 60_000 });
        await waitFor(`the page of ${name} to show every channel`, async () => (await missing()).length === 0, { timeout: 60_000, interval: 250 }).catch(
          async (err: Error) => {
            throw new Error(`${err.message}: it never showed ${(await missing()).join(', ')}${failures.length ? ` (${failures.join('; ')})` : ''}`);
          },
        );
        expect(await missing()).toEqual([]);
        expect(failures).toEqual([]);
      } finally {
        await page.close();
      }
    },
    120_000,
  );
});
