import { isAbsolute, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { isLoadableName } from '../sources/loadable-name.js';

/**
 * Which paths under a watched directory are files to load: `include` globs (default: the names
 * `sluice load` takes from a directory), minus `exclude` globs (default: hidden files and the
 * names writers use while a file is incomplete — `.part`, `.tmp`, `.crdownload`, `~` backups), and
 * never anything under the `done/` and `failed/` folders files are moved to after their load.
 * Globs are matched against the path relative to the watched directory, with `/` separators.
 */
export interface WatchFilterOptions {
  include?: readonly string[];
  exclude?: readonly string[];
  /** Folders (relative to the watched directory) that are never watched: where loaded files go. */
  archiveDirs?: readonly string[];
}

export const DEFAULT_EXCLUDE = ['**/.*', '**/.*/**', '**/*.part', '**/*.tmp', '**/*.crdownload', '**/*~'];

export interface WatchFilter {
  /** Whether a directory is not to be descended into. */
  skipsDirectory(path: string): boolean;
  /** Whether a file is one to load. */
  takes(path: string): boolean;
}

export function watchFilter(root: string, options: WatchFilterOptions = {}): WatchFilter {
  const include = options.include !== undefined && options.include.length > 0 ? picomatch([...options.include], { dot: true }) : undefined;
  const exclude = picomatch([...(options.exclude ?? DEFAULT_EXCLUDE)], { dot: true });
  const archives = options.archiveDirs ?? [];
  const relativePath = (path: string): string | null => {
    const rel = relative(root, path);
    if (rel === '' ) return '';
    if (rel.startsWith('..') || isAbsolute(rel)) return null;
    return sep === '/' ? rel : rel.split(sep).join('/');
  };
  const inArchive = (rel: string): boolean => archives.some((dir) => rel === dir || rel.startsWith(`${dir}/`));
  return {
    skipsDirectory(path) {
      const rel = relativePath(path);
      if (rel === null) return true;
      if (rel === '') return false;
      return inArchive(rel) || exclude(rel) || exclude(`${rel}/`);
    },
    takes(path) {
      const rel = relativePath(path);
      if (rel === null || rel === '' || inArchive(rel) || exclude(rel)) return false;
      return include !== undefined ? include(rel) : isLoadableName(rel);
    },
  };
}
