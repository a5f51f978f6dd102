import { onDefaultConnection, streamsOn } from './streams-by-connection.js';

describe('streams by connection', () => {
  const streams = [{ name: 'A' }, { name: 'B', connection: 'default' }, { name: 'EU', connection: 'eu' }, { name: 'US', connection: 'us' }];

  it('gives each declared stream to its connection only: no connection (or "default") is the default one', () => {
    expect(streamsOn(streams, 'default').map((s) => s.name)).toEqual(['A', 'B']);
    expect(streamsOn(streams, 'eu').map((s) => s.name)).toEqual(['EU']);
    expect(streamsOn(undefined, 'eu')).toEqual([]);
    expect([undefined, 'default', 'eu'].map(onDefaultConnection)).toEqual([true, true, false]);
  });
});
