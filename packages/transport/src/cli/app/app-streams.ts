import type { JetStreamManager } from '@nats-io/jetstream';
import { renderDeadLetterSubject } from '../../config/dead-letter-subject.js';
import { subjectMatches } from '../../utils/subjects.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { AppHandler, LoadedApp } from './app-loader.js';

/**
 * A handler's stream as the server would resolve it at boot: the one it names, else the declared
 * stream whose subjects capture its subject, else (with a connection) the server's. Undefined when
 * none is known.
 */
export async function streamOf(app: LoadedApp, handler: AppHandler, jsm?: JetStreamManager): Promise<string | undefined> {
  const b = handler.binding;
  if (b.stream) return b.stream;
  const declared = (app.options.streams ?? []).find((d) => d.subjects.some((s) => subjectMatches(s, b.subject)));
  if (declared) return declared.name;
  return jsm ? jsm.streams.find(b.subject).catch(() => undefined) : undefined;
}

/** Like `streamOf`, but an app whose handler has no stream is an error naming the handler and the fix. */
export async function requireStreamOf(app: LoadedApp, handler: AppHandler, jsm?: JetStreamManager): Promise<string> {
  const stream = await streamOf(app, handler, jsm);
  if (stream) return stream;
  throw new CliError(
    `App ${app.name}: handler "${handler.binding.subject}" has no stream: none of options.streams captures its subject${jsm ? ', nor does any stream on the server' : ''}. Declare the stream in the app's options.streams or name it in the handler's stream option.`,
    EXIT.app,
  );
}

/** The dead-letter subject a handler publishes to (its template rendered), or undefined without a route. */
export function deadLetterSubjectOf(handler: AppHandler, stream: string): string | undefined {
  const b = handler.binding;
  return b.deadLetter ? renderDeadLetterSubject(b.deadLetter, b.subject, stream, b.durable) : undefined;
}
