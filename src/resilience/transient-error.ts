/**
 * Errors worth retrying unchanged: the connection or the server, not the data — connection
 * refused or reset, class 08, admin shutdown and crash recovery (57P01–57P03), disk full (53100),
 * too many connections (53300), serialization and deadlock (40001, 40P01), and a socket pg saw
 * close under it (no code, only its message). A SluiceError that wraps one (a failed connect) is
 * transient too; everything else is a reject or a failed file.
 */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message, errors } = e as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODE.test(code)) return true;
    if (typeof message === 'string' && CONNECTION_LOST.test(message)) return true;
    // AggregateError: a connect to `localhost` tries ::1 and 127.0.0.1 and fails with both.
    if (Array.isArray(errors) && errors.length > 0 && errors.every(isTransient)) return true;
  }
  return false;
}

const TRANSIENT_CODE = /^(08...|57P0[123]|53100|53300|40001|40P01|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/;
const CONNECTION_LOST = /^(Connection terminated unexpectedly|Client has encountered a connection error and is not queryable|Connection terminated due to connection timeout)$/;
