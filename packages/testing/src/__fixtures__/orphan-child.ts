// Starts a nats-server, prints its PID, then leaves without stopping it:
// `exit` ends normally, `crash` SIGKILLs itself so no exit handler can run.
import { NatsServer } from '../nats-server.js';

async function main(): Promise<void> {
  const server = await NatsServer.start();
  process.stdout.write(`${server.pid}\n`);
  if (process.argv[2] === 'crash') process.kill(process.pid, 'SIGKILL');
  else process.exit(0);
}

void main();
