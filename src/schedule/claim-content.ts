import type pg from 'pg';
import { type Claim, type ClaimRequest, claimFile, tryHoldFile, waitHoldFile, yieldAttempt } from './ledger.js';

/**
 * Claims a file's content in the ledger and holds it for this session while it loads. When
 * another process is loading the same content, this one steps aside (`stepAside`: stop what was
 * started speculatively), waits for it, and claims again: the other will have loaded the file
 * (skip) or stopped part way (resume). `held` is the content this session then holds (release it
 * with releaseFile), or undefined.
 */
export async function claimContent(control: pg.ClientBase, request: ClaimRequest, stepAside: () => Promise<void>,
  phase: (name: string) => void): Promise<{ claim: Claim; held: string | undefined }> {
  let claim = await claimFile(control, request);
  if (claim.kind !== 'load') return { claim, held: undefined };
  if (await tryHoldFile(control, request.sha256)) return { claim, held: request.sha256 };
  await stepAside();
  await yieldAttempt(control, claim.fileId, claim.attempt);
  phase('waiting for another process loading the same content');
  await waitHoldFile(control, request.sha256);
  claim = await claimFile(control, request);
  return { claim, held: request.sha256 };
}
