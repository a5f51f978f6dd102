import { PullRevival } from './pull-revival.js';

describe('PullRevival', () => {
  it('is stuck from the first missed heartbeats until the client pulls, or until reset', () => {
    const r = new PullRevival();
    expect(r.stuck()).toBe(false);
    r.status('heartbeats_missed');
    expect(r.stuck()).toBe(true);
    r.status('heartbeats_missed');
    expect(r.stuck()).toBe(true);
    r.status('next');
    expect(r.stuck()).toBe(false);
    r.reset();
    r.status('heartbeats_missed');
    expect(r.stuck()).toBe(true);
    r.reset();
    expect(r.stuck()).toBe(false);
  });

  it('does not count a pull from before the heartbeats went missing, nor other statuses', () => {
    const r = new PullRevival();
    r.status('next');
    r.status('heartbeats_missed');
    r.status('discard');
    r.status('reconnect');
    expect(r.stuck()).toBe(true);
  });

  it('is stuck again when heartbeats go missing after the pull the client made (that pull was lost too)', () => {
    const r = new PullRevival();
    r.status('heartbeats_missed');
    r.status('next');
    expect(r.stuck()).toBe(false);
    r.status('heartbeats_missed');
    expect(r.stuck()).toBe(true);
  });
});

describe('PullRevival.followUp', () => {
  it('checks while the client has not pulled, stops once it pulls, and runs one loop at a time', async () => {
    const r = new PullRevival();
    r.status('heartbeats_missed');
    let checks = 0;
    const check = async () => {
      checks++;
      if (checks === 2) r.status('next');
    };
    await Promise.all([r.followUp(() => true, check), r.followUp(() => true, check)]);
    expect(checks).toBe(2);
  });

  it('does nothing once its puller is gone', async () => {
    const r = new PullRevival();
    r.status('heartbeats_missed');
    let checks = 0;
    await r.followUp(
      () => false,
      async () => void checks++,
    );
    expect(checks).toBe(0);
  });
});
