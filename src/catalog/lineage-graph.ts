import type pg from 'pg';
import type { DatasetKind } from './metadata-store.js';

/**
 * The lineage around one catalog entry, walked with a recursive CTE over metadata_lineage:
 * upstream (what it was made from), downstream (what was made from it) or both, at most `depth`
 * edges away. The walk keeps (entry, distance, edge) rows with UNION, so a cycle cannot make it
 * run on: each step adds only rows not seen yet, and the distance is capped. Soft-deleted
 * entries are not passed through.
 */

export type LineageDirection = 'upstream' | 'downstream' | 'both';
export const MAX_LINEAGE_DEPTH = 10;

export interface LineageNode {
  id: number;
  name: string;
  kind: DatasetKind;
  dataset: string;
  /** Edges from the entry asked about: negative upstream, positive downstream, 0 for itself. */
  distance: number;
}

export interface LineageEdge {
  id: number;
  source: string;
  target: string;
  relation: string;
  run_id: string | null;
  file_id: number | null;
  created_at: string;
}

export interface LineageGraph {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

// `from` and `to` are the two ends of an edge in the walk's direction: fixed strings, never input.
function walk(from: 'source' | 'target', to: 'source' | 'target'): string {
  return `
WITH RECURSIVE walk(name, distance, edge_id) AS (
    SELECT $1::text, 0, NULL::bigint
  UNION
    SELECT e.${to}, w.distance + 1, e.id
      FROM walk w
      JOIN metadata_lineage e ON e.${from} = w.name
      JOIN metadata_datasets d ON d.name = e.${to} AND d.deleted_at IS NULL
     WHERE w.distance < $2
)
SELECT name, min(distance) AS distance, array_remove(array_agg(DISTINCT edge_id), NULL)::float8[] AS edges FROM walk GROUP BY name`;
}

const DOWNSTREAM = walk('source', 'target');
const UPSTREAM = walk('target', 'source');

export async function lineageGraph(pool: pg.Pool, root: string, direction: LineageDirection, depth: number): Promise<LineageGraph> {
  const distances = new Map<string, number>([[root, 0]]);
  const edgeIds = new Set<number>();
  const walks: Array<[string, number]> = [];
  if (direction !== 'downstream') walks.push([UPSTREAM, -1]);
  if (direction !== 'upstream') walks.push([DOWNSTREAM, 1]);
  for (const [sql, sign] of walks) {
    const found = await pool.query<{ name: string; distance: number; edges: number[] }>(sql, [root, depth]);
    for (const row of found.rows) {
      // In a cycle an entry is both upstream and downstream: it is shown once, at the nearer side.
      const known = distances.get(row.name);
      if (known === undefined || row.distance < Math.abs(known)) distances.set(row.name, sign * row.distance);
      for (const id of row.edges) edgeIds.add(id);
    }
  }
  const [nodes, edges] = await Promise.all([
    pool.query<{ id: string; name: string; kind: DatasetKind; dataset: string }>(
      'SELECT id, name, kind, dataset FROM metadata_datasets WHERE name = ANY($1::text[]) AND deleted_at IS NULL', [[...distances.keys()]]),
    pool.query<{ id: string; source: string; target: string; relation: string; run_id: string | null; file_id: string | null; created_at: Date }>(
      'SELECT id, source, target, relation, run_id, file_id, created_at FROM metadata_lineage WHERE id = ANY($1::bigint[]) ORDER BY id', [[...edgeIds]]),
  ]);
  return {
    nodes: nodes.rows
      .map((n) => ({ id: Number(n.id), name: n.name, kind: n.kind, dataset: n.dataset, distance: distances.get(n.name)! }))
      .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name)),
    edges: edges.rows.map(toEdge),
  };
}

export function toEdge(e: { id: string | number; source: string; target: string; relation: string; run_id: string | null; file_id: string | number | null; created_at: Date }): LineageEdge {
  return { id: Number(e.id), source: e.source, target: e.target, relation: e.relation, run_id: e.run_id, file_id: e.file_id === null ? null : Number(e.file_id), created_at: e.created_at.toISOString() };
}

/** Adds an edge between two live entries (or gives an existing one this run id); `created` tells which. */
export async function addLineageEdge(pool: pg.Pool, edge: { source: string; target: string; relation: string; runId: string | null }): Promise<{ edge: LineageEdge; created: boolean }> {
  const saved = await pool.query<{ id: string; source: string; target: string; relation: string; run_id: string | null; file_id: string | null; created_at: Date; created: boolean }>(
    `INSERT INTO metadata_lineage AS e (source, target, relation, run_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (source, target, relation) DO UPDATE SET run_id = coalesce(EXCLUDED.run_id, e.run_id)
     RETURNING id, source, target, relation, run_id, file_id, created_at, (xmax = 0) AS created`,
    [edge.source, edge.target, edge.relation, edge.runId]);
  const row = saved.rows[0];
  return { edge: toEdge(row), created: row.created };
}
