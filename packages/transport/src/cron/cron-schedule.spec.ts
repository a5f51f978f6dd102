import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { cronScheduleSubject, cronSubjectsOf, cronTickOf, resolveCronJob, scheduleProblem } from './cron-schedule.js';

describe('cron schedules', () => {
  it.each(['@every 5m', '@every 1h30m', '@every 1s', '0 0 9 * * *', '*/10 * * * * MON-FRI', '0 30 8 1,15 * ?', '@daily', '@hourly'])('takes %s', (s) => {
    expect(scheduleProblem(s)).toBeUndefined();
  });

  it.each([
    ['@every 500ms', /shorter than the server's shortest interval, 1s/],
    ['@every five', /not a duration/],
    ['0 0 9 * *', /6 fields .* this one has 5/],
    ['0 0 9 * * * *', /this one has 7/],
    ['@fortnightly', /not one of @yearly/],
    ['@at 2030-01-01T00:00:00Z', /publish option \(deliverAt\)/],
    ['', /it is ""/],
  ])('refuses %s', (s, why) => {
    expect(scheduleProblem(s)).toMatch(why);
  });

  it('resolves a job, keeping its time zone, and names the handler and the fix when something is wrong', () => {
    expect(resolveCronJob('billing.nightly', ' 0 0 9 * * * ', 'Europe/Paris', 'Billing.nightly')).toEqual({
      schedule: '0 0 9 * * *',
      timeZone: 'Europe/Paris',
      owner: 'Billing.nightly',
    });
    const bad =
      (s: unknown, tz?: unknown, subject = 'billing.nightly') =>
      () =>
        resolveCronJob(subject, s, tz, 'Billing.nightly');
    expect(bad('0 0 9 * *')).toThrow(JetStreamConfigError);
    expect(bad('0 0 9 * *')).toThrow(/@JetStreamCron\('billing.nightly'\) on Billing.nightly: the schedule .* Use '@every 5m'/);
    expect(bad('0 0 9 * * *', 'Mars/Olympus')).toThrow(/timeZone "Mars\/Olympus" is not an IANA time zone/);
    expect(bad('@every 5m', 'Europe/Paris')).toThrow(/timeZone applies to cron and predefined schedules only/);
    expect(bad('@every 5m', undefined, 'billing.*')).toThrow(/wildcards are not allowed/);
  });

  it('gives each job one schedule subject per stream and service, under the subjects its service cancels from', () => {
    expect(cronScheduleSubject('BILLING', 'billing', 'billing.nightly')).toBe('_sched.BILLING.cron.billing.billing.nightly');
    expect(cronSubjectsOf('BILLING', 'billing')).toBe('_sched.BILLING.cron.billing.>');
    expect(cronTickOf('billing.nightly', { schedule: '@every 5m', owner: 'x' })).toEqual({ job: 'billing.nightly', schedule: '@every 5m' });
  });
});
