/**
 * Every failure Sluice reports has a stable `code` (SLUICE_ERR_<AREA>_<WHAT>); tests and callers
 * branch on the code, never on message text. Across threads a failure travels as plain data
 * (`{ code, message }`) because a custom Error loses its class through postMessage.
 */
export type SluiceErrorCode =
  | 'SLUICE_ERR_CONFIG_INVALID'
  | 'SLUICE_ERR_DATABASE_EMBEDDED_START'
  | 'SLUICE_ERR_DATABASE_CONNECT'
  | 'SLUICE_ERR_DATABASE_MIGRATE'
  | 'SLUICE_ERR_DATABASE_UNAVAILABLE'
  | 'SLUICE_ERR_REDIS_UNAVAILABLE'
  | 'SLUICE_ERR_FILE_NOT_FOUND'
  | 'SLUICE_ERR_FILE_READ'
  | 'SLUICE_ERR_SOURCE_URL'
  | 'SLUICE_ERR_SOURCE_HTTP'
  | 'SLUICE_ERR_SOURCE_NETWORK'
  | 'SLUICE_ERR_SOURCE_TIMEOUT'
  | 'SLUICE_ERR_SOURCE_TOO_LARGE'
  | 'SLUICE_ERR_SOURCE_GZIP'
  | 'SLUICE_ERR_SOURCE_SPOOL'
  | 'SLUICE_ERR_FORMAT_BINARY'
  | 'SLUICE_ERR_FORMAT_UNSUPPORTED'
  | 'SLUICE_ERR_FORMAT_ROW_TOO_LONG'
  | 'SLUICE_ERR_FORMAT_JSON_INVALID'
  | 'SLUICE_ERR_FORMAT_JSON_DEPTH'
  | 'SLUICE_ERR_FORMAT_XLSX_CORRUPT'
  | 'SLUICE_ERR_FORMAT_XLSX_NOT_WORKBOOK'
  | 'SLUICE_ERR_FORMAT_XLSX_SHEET_NOT_FOUND'
  | 'SLUICE_ERR_FORMAT_XLSX_EMPTY'
  | 'SLUICE_ERR_SPOOL_WRITE'
  | 'SLUICE_ERR_WORKER_FAILED'
  | 'SLUICE_ERR_COPY_FAILED'
  | 'SLUICE_ERR_RULE'
  | 'SLUICE_ERR_TIMESERIES_COLUMNS'
  | 'SLUICE_ERR_ENGINE_CLOSED';

export class SluiceError extends Error {
  readonly code: SluiceErrorCode;

  constructor(code: SluiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/** The shape a failure takes when it crosses a thread boundary. */
export interface PlainError {
  code: string;
  message: string;
}

export function toPlainError(error: unknown): PlainError {
  if (error instanceof SluiceError) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'SLUICE_ERR_INTERNAL', message: error.message };
  }
  return { code: 'SLUICE_ERR_INTERNAL', message: String(error) };
}
