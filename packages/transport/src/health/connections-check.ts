import type { ConnectionsReport } from '../connections/connection-registry.js';
import type { HealthCheckResult } from './health.types.js';

/**
 * `nats.connections`: each named connection's state. Down when a critical one is not up; up with
 * `details.status: 'degraded'` when only non-critical ones are not (the service still does its
 * main work, so it stays ready).
 */
export function checkNamedConnections(report: ConnectionsReport): HealthCheckResult {
  const details = { status: report.status, connections: report.connections };
  if (report.status !== 'down') return { name: 'nats.connections', status: 'up', details };
  const down = report.connections.filter((c) => c.critical && c.state !== 'up');
  return {
    name: 'nats.connections',
    status: 'down',
    message: `Critical connection${down.length > 1 ? 's' : ''} ${down.map((c) => `"${c.name}" (${c.state}${c.message ? `: ${c.message}` : ''})`).join(', ')} not up; start its servers or mark it critical: false if the service can work without it.`,
    details,
  };
}
