import type { DatasetConfig, TransformStepConfig } from '../configuration/config-schema.js';
import { SluiceError } from '../errors.js';
import type { FormatOverrides } from '../formats/overrides.js';
import { columnTypeFromPostgres, columnTypeName } from '../schema/column-type.js';
import { normaliseIdentifier } from '../schema/identifiers.js';

/**
 * Standard columns (`datasets.<name>.columns`): each target column names the source headers (or
 * JSON keys) and synonyms it is loaded from, first present wins, with an optional type and unit
 * conversion. They become what the loader already does: the type an override for the sniffer
 * (a header's declared type is not inferred), the rename and the scale/offset transform steps that
 * run before the dataset's own steps — so rules, profiles and the table see the standard names.
 * Source columns no mapping names load under their own names, as the schema policy allows.
 * Errors are SLUICE_ERR_CONFIG_INVALID with the key's path below the dataset (`columns.<target>`).
 */

type StandardColumns = NonNullable<DatasetConfig['columns']>;

/** A source matches a candidate by its header text, or by the name Sluice gives that text. */
function matches(candidate: string, column: { name: string; source: string }): boolean {
  return column.source === candidate || column.source.trim().toLowerCase() === candidate.trim().toLowerCase()
    || column.name === normaliseIdentifier(candidate, column.name);
}

function candidatesOf(target: string, spec: StandardColumns[string]): string[] {
  return spec.from ?? [target];
}

/** The sniffer's type overrides for the declared types (every candidate; the user's own --types win). */
export function standardTypeOverrides(columns: StandardColumns | undefined, overrides: FormatOverrides = {}): FormatOverrides {
  if (columns === undefined) return overrides;
  const types: NonNullable<FormatOverrides['types']> = {};
  for (const [target, spec] of Object.entries(columns)) {
    if (spec.type === undefined) continue;
    const type = columnTypeName(columnTypeFromPostgres(spec.type));
    for (const candidate of [target, ...candidatesOf(target, spec)]) {
      types[candidate] = type;
      types[normaliseIdentifier(candidate, candidate)] = type;
    }
  }
  return { ...overrides, types: { ...types, ...overrides.types } };
}

/** The rename and unit-conversion steps that give a file's columns their standard names. */
export function standardColumnSteps(columns: StandardColumns | undefined, sniffed: ReadonlyArray<{ name: string; source: string }>): TransformStepConfig[] {
  if (columns === undefined) return [];
  // Each target's source column, first candidate present wins.
  const mapped = new Map<string, string>();
  for (const [target, spec] of Object.entries(columns)) {
    const found = candidatesOf(target, spec).map((candidate) => sniffed.find((column) => matches(candidate, column))).find((c) => c !== undefined);
    if (found === undefined) continue;
    const earlier = mapped.get(found.name);
    if (earlier !== undefined) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `columns.${target}: source column ${JSON.stringify(found.source)} is already mapped to ${earlier}`);
    }
    mapped.set(found.name, target);
  }
  const rename: Record<string, string> = {};
  const steps: TransformStepConfig[] = [];
  for (const [source, target] of mapped) {
    if (source === target) continue;
    // A column of the file that keeps the target's name would collide with it.
    const clash = sniffed.find((c) => c.name === target);
    if (clash !== undefined && !mapped.has(clash.name)) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `columns.${target}: the file has both ${JSON.stringify(sniffed.find((c) => c.name === source)!.source)} and ${JSON.stringify(clash.source)} for it`);
    }
    rename[source] = target;
  }
  for (const target of mapped.values()) {
    const spec = columns[target];
    if (spec.scale !== undefined || spec.offset !== undefined) steps.push({ column: [target], scale: spec.scale, offset: spec.offset } as TransformStepConfig);
  }
  return Object.keys(rename).length === 0 ? steps : [{ rename } as TransformStepConfig, ...steps];
}
