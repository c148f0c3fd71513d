/** File names Sluice loads from a directory: its formats, and each of them gzip-compressed (`x.csv.gz`). */
const LOADABLE = /\.(csv|tsv|txt|psv|dat|json|ndjson|jsonl|xlsx)$/i;

export function isLoadableName(name: string): boolean {
  return LOADABLE.test(name.replace(/\.gz$/i, ''));
}
