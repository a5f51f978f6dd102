import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { DEFAULT_METRIC_PREFIX } from './metric-names.js';

/** The prefix of a metrics class's names (default `nest_jetstream_`), refused when it is not a Prometheus name prefix. */
export function checkedPrefix(who: string, prefix: unknown = DEFAULT_METRIC_PREFIX): string {
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new JetStreamConfigError(`${who}: prefix ${describeValue(prefix)} is not a Prometheus name prefix; use letters, digits, "_" and ":".`);
  }
  return prefix;
}
