import { pino, type Logger, type LevelWithSilent } from 'pino';
import { SluiceError } from '../errors.js';

export type { Logger } from 'pino';

const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoggerOptions {
  /** Default: SLUICE_LOG_LEVEL, else `info`. */
  level?: string;
  /** Human-readable lines instead of JSON. Default: when stderr is a terminal. */
  pretty?: boolean;
  /** Where lines go. Default: stderr (stdout carries `--json` output). */
  destination?: NodeJS.WritableStream;
}

/**
 * The service's structured log (pino): one JSON object per line, or on a terminal pino-pretty's
 * lines. pino-pretty runs in this thread as a synchronous stream, not as a pino transport: a
 * transport starts a worker thread (about 0.4 s measured here) for a few lines a second, while
 * importing the module costs about 30 ms.
 */
export async function createLogger(options: LoggerOptions = {}): Promise<Logger> {
  const level = options.level ?? process.env.SLUICE_LOG_LEVEL ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `SLUICE_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  const destination = options.destination ?? process.stderr;
  const pretty = options.pretty ?? (destination === process.stderr && process.stderr.isTTY === true);
  if (pretty) {
    try {
      const { default: prettyStream } = await import('pino-pretty');
      return pino({ level, base: { pid: process.pid } }, prettyStream({ destination, sync: true, colorize: true, ignore: 'hostname' }));
    } catch {
      // Not installed (a production install without it): plain JSON is still a log.
    }
  }
  return pino({ level }, destination);
}
