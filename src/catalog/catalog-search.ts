import type pg from 'pg';
import { type CatalogEntry, ENTRY_COLUMNS, type EntryRow, toEntry } from './metadata-store.js';

/**
 * Catalog search. The query is split into words (case-insensitive, at most MAX_TERMS); an entry
 * is found when every word matches somewhere, and ranked by the sum over the words of where each
 * matched (the best match of each kind counts once):
 *
 *   name      the entry's name or its table part (`sales` of `staging.sales`) equal to the word: 100;
 *             the dataset it belongs to equal: 60; name or dataset starting with it: 40; name containing it: 20
 *   tags      a tag equal: 30; a tag containing it: 10
 *   columns   a column name or source header equal: 15; containing it: 5
 *   text      the description containing it: 5
 *
 * Ties go to the most recently updated. Soft-deleted entries are never found.
 */

export const MAX_TERMS = 8;
export const MAX_QUERY_LENGTH = 200;

export interface SearchHit extends CatalogEntry {
  score: number;
}

/** The words of a query, lower-cased, duplicates dropped. */
export function searchTerms(query: string): string[] {
  return [...new Set(query.toLowerCase().split(/\s+/).filter((t) => t.length > 0))].slice(0, MAX_TERMS);
}

function likePattern(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const SEARCH = `
WITH terms AS (SELECT term, pattern FROM unnest($1::text[], $2::text[]) AS t(term, pattern)),
scored AS (
  SELECT d.id, sum(s.score)::float8 AS score, bool_and(s.score > 0) AS every_term
    FROM metadata_datasets d CROSS JOIN terms
    CROSS JOIN LATERAL (SELECT
        (CASE WHEN lower(d.name) = terms.term OR lower(substr(d.name, strpos(d.name, '.') + 1)) = terms.term THEN 100
              WHEN lower(d.dataset) = terms.term THEN 60
              WHEN lower(d.name) LIKE terms.pattern || '%' OR lower(d.dataset) LIKE terms.pattern || '%'
                OR lower(substr(d.name, strpos(d.name, '.') + 1)) LIKE terms.pattern || '%' THEN 40
              WHEN lower(d.name) LIKE '%' || terms.pattern || '%' THEN 20 ELSE 0 END)
      + (CASE WHEN EXISTS (SELECT 1 FROM unnest(d.tags) tag WHERE lower(tag) = terms.term) THEN 30
              WHEN EXISTS (SELECT 1 FROM unnest(d.tags) tag WHERE lower(tag) LIKE '%' || terms.pattern || '%') THEN 10 ELSE 0 END)
      + (CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(d.columns) c WHERE lower(c ->> 'name') = terms.term OR lower(c ->> 'source') = terms.term) THEN 15
              WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(d.columns) c
                            WHERE lower(c ->> 'name') LIKE '%' || terms.pattern || '%' OR lower(c ->> 'source') LIKE '%' || terms.pattern || '%') THEN 5 ELSE 0 END)
      + (CASE WHEN lower(coalesce(d.description, '')) LIKE '%' || terms.pattern || '%' THEN 5 ELSE 0 END) AS score) s
   WHERE d.deleted_at IS NULL
   GROUP BY d.id)
SELECT ${ENTRY_COLUMNS}, scored.score
  FROM scored JOIN metadata_datasets d ON d.id = scored.id
 WHERE scored.every_term
 ORDER BY scored.score DESC, d.updated_at DESC, d.id DESC
 LIMIT $3 OFFSET $4`;

export async function searchCatalog(pool: pg.Pool, query: { terms: string[]; limit: number; offset: number }): Promise<SearchHit[]> {
  const found = await pool.query<EntryRow & { score: number }>(SEARCH, [query.terms, query.terms.map(likePattern), query.limit, query.offset]);
  return found.rows.map((row) => ({ ...toEntry(row), score: row.score }));
}
