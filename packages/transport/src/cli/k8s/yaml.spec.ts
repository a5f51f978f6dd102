import { parse } from 'yaml';
import { toYaml } from './yaml.js';

describe('toYaml', () => {
  it('writes block YAML that a YAML parser reads back as the same value', () => {
    const value = {
      apiVersion: 'keda.sh/v1alpha1',
      metadata: { name: 'orders-service', labels: { 'app.kubernetes.io/name': 'x' } },
      spec: { min: 2, on: 'on', empty: [], none: {}, triggers: [{ type: 'nats-jetstream', metadata: { lagThreshold: '10', account: '$G' } }, 'plain'] },
    };
    expect(parse(toYaml(value))).toEqual(value);
  });
});
