import { Catch, type ExceptionFilter, type Type } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import type { Probe } from './harness.js';

/** An error an app's exception filter swallows. */
export class Ignorable extends Error {}

/** An exception filter that records `filter:<message>` in `probe` and swallows `Ignorable` (the handler then counts as succeeded). */
export function swallowIgnorable(probe: Probe<string>): Type<ExceptionFilter> {
  @Catch(Ignorable)
  class SwallowIgnorable implements ExceptionFilter {
    catch(exception: Ignorable): Observable<unknown> {
      probe.add(`filter:${exception.message}`);
      return of(undefined);
    }
  }
  return SwallowIgnorable;
}
