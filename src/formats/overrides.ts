import { SluiceError } from '../errors.js';
import { NONE } from './csv/dialect.js';
import { ColumnType, type ColumnTypeName } from '../schema/column-type.js';

/**
 * What a user may tell Sluice instead of letting it detect: every sniffing decision can be
 * overridden (`sluice sniff` prints the overrides that reproduce what it detected).
 */
export interface FormatOverrides {
  /** One character; `\t` or `tab` for a tab. */
  delimiter?: string;
  /** One character, or `none`: the file quotes nothing (a `"` is text). */
  quote?: string;
  /** The escape character inside fields (`\\`), or `none`: quotes are escaped by doubling them. */
  escape?: string;
  /** Lines starting with this character are comments (`#`), or `none`: every line is data. */
  comment?: string;
  /** An encoding label TextDecoder knows (`utf-8`, `windows-1252`, `utf-16le`, `shift_jis`, …). */
  encoding?: string;
  header?: boolean;
  /** Column types by column name (as Sluice names it) or by header text. */
  types?: Record<string, ColumnTypeName>;
  /** Day/month order when the values cannot tell (`01/02/2024`). Default: mdy. */
  dateOrder?: 'mdy' | 'dmy';
  /** The sheet of a workbook to load (name or 1-based number). */
  sheet?: string;
  /** JSON: nested objects become columns down to this many levels of path (default 3); deeper ones are jsonb. */
  flattenDepth?: number;
  /** JSON: the dotted keys of the records array inside an envelope object (`data`, `results.items`); default: found. */
  jsonPath?: string;
}

/** Parses `--types name=int,other=text`; names the bad part when it cannot. */
export function parseTypesOption(text: string): Record<string, ColumnTypeName> {
  const types: Record<string, ColumnTypeName> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = part.lastIndexOf('=');
    const name = part.slice(0, at).trim();
    const type = part.slice(at + 1).trim().toLowerCase();
    if (at <= 0 || !(type in ColumnType)) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--types: ${JSON.stringify(part)} is not name=type with type one of ${Object.keys(ColumnType).join(', ')}`);
    }
    types[name] = type as ColumnTypeName;
  }
  return types;
}

/** A quote, escape or comment override as the byte it stands for, or NONE (`none`). */
export function overrideByteOrNone(option: string, value: string): number {
  return value.toLowerCase() === 'none' ? NONE : overrideByte(option, value);
}

/** A delimiter or quote override as the byte it stands for. */
export function overrideByte(option: string, value: string): number {
  const text = value === '\\t' || value.toLowerCase() === 'tab' ? '\t' : value;
  if (text.length !== 1 || text.charCodeAt(0) > 0x7e) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--${option} must be one ASCII character (or \\t), got ${JSON.stringify(value)}`);
  }
  return text.charCodeAt(0);
}
