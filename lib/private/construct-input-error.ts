import * as path from 'path';

/** The library's own code: lib/ in a checkout, dist/lib/ as installed. */
const LIBRARY_ROOT = `${path.resolve(__dirname, '..')}${path.sep}`;

/** A line of a stack that names a frame: `    at f (/app/bin/app.ts:40:12)`. */
const FRAME = /^\s+at /;

/**
 * An error in what the app gave a construct, thrown where it was given. Its message names the construct, the value and
 * the fix; its stack starts at the app's code that made the call, since the library's own frames add nothing to the
 * message and made a reader take the error for a crash of the library.
 */
export class ConstructInputError extends Error {
  public constructor(message: string) {
    super(message);
    const lines = (this.stack ?? '').split('\n');
    const first = lines.findIndex((line) => FRAME.test(line));
    const frames = first < 0 ? [] : lines.slice(first).filter((line) => !line.includes(LIBRARY_ROOT));
    this.stack = [`${this.name}: ${message}`, ...frames].join('\n');
  }
}

// On the prototype, as Error's own name is: an own property would show in every inspection of the error.
Object.defineProperty(ConstructInputError.prototype, 'name', { value: 'ConstructInputError', configurable: true, writable: true });
