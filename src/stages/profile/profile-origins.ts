import { ColumnType } from '../../schema/column-type.js';
import type { StageColumn } from '../stage.js';
import type { ProfileOptions } from './profile-stage.js';

/**
 * The profile stage's options for a file, from the sniffed sample (computed once on the main
 * thread, so every chunk sketches with the same origins): for each date and timestamp column, the
 * median of its sampled values, whole days or milliseconds (see profile-stage.ts for why). Any
 * origin inside the data's range serves, so a value Date.parse cannot read is simply left out.
 * `samples[c]` holds the sampled values of columns[c] (null for NULL).
 */
export function profileOptionsFromSample(columns: readonly StageColumn[], samples: ReadonlyArray<ReadonlyArray<string | null>>): ProfileOptions {
  const origins: Record<string, number> = {};
  columns.forEach((column, c) => {
    if (column.type !== ColumnType.date && column.type !== ColumnType.timestamptz) return;
    const times: number[] = [];
    for (const text of samples[c] ?? []) {
      if (text === null) continue;
      const ms = Date.parse(column.type === ColumnType.date ? `${text.trim().slice(0, 10)}T00:00:00Z` : text.trim());
      if (Number.isFinite(ms)) times.push(ms);
    }
    if (times.length === 0) return;
    times.sort((a, b) => a - b);
    const median = times[Math.floor((times.length - 1) / 2)];
    origins[column.name] = column.type === ColumnType.date ? Math.round(median / 86_400_000) : Math.round(median);
  });
  return { origins };
}
