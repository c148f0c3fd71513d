import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/**
 * Moves a file that finished loading to `<root>/<folder>/<its path under root>` (folder `done` or
 * `failed`), keeping its subfolders. A file of that name already there is kept: the newcomer gets
 * `.<n>` before its extension. Returns the new path.
 */
export async function archiveFile(root: string, path: string, folder: string): Promise<string> {
  const target = join(root, folder, relative(root, path));
  await mkdir(dirname(target), { recursive: true });
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? target : target.replace(/(\.[^./]+)?$/, (ext) => `.${n}${ext}`);
    if (await stat(candidate).then(() => true, () => false)) continue;
    await rename(path, candidate);
    return candidate;
  }
}
