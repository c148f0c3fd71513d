import { SluiceError } from '../errors.js';

/**
 * The configuration errors of a dataset's stages, found when a file's stages are planned (they need
 * the file's columns), named from the dataset's key as the configuration writes it.
 */
export function inDataset<T>(dataset: string, plan: () => T): T {
  try {
    return plan();
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'SLUICE_ERR_CONFIG_INVALID') {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `datasets.${dataset}.${error.message}`, { cause: error });
    }
    throw error;
  }
}
