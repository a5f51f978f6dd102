// Starts a nats-server, prints its PID and store dir, then leaves without stopping it:
// `exit` ends normally, `crash` SIGKILLs itself so no exit handler can run,
// `wait` stays until a signal ends it (with no handler of its own).
import { NatsServer } from '../nats-server.js';

async function main(): Promise<void> {
  const server = await NatsServer.start();
  process.stdout.write(`${server.pid} ${server.storeDir}\n`);
  const how = process.argv[2];
  if (how === 'crash') process.kill(process.pid, 'SIGKILL');
  else if (how === 'wait') setInterval(() => undefined, 1000);
  else process.exit(0);
}

void main();
