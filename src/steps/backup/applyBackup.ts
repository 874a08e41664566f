import { DigestMismatchError } from '../../adapters/digestStream.js';
import { UnreachableError, errorMessage } from '../../adapters/errors.js';
import { changed, failed, ok, type StepResult } from '../../model/results.js';
import { mapLimit } from '../../shared/mapLimit.js';
import { formatBytes } from '../../shared/bytes.js';
import type { StepContext } from '../types.js';
import type { BackupPlan } from './planBackup.js';
import type { BlobCopy } from './planCopy.js';
import { tagSentence, totalsSentence, verifiedSentence } from './backupSentences.js';

const BLOBS_IN_FLIGHT = 4;

/** The copy did not read back as written. */
class VerifyError extends Error {
  readonly code = 'verify-failed';
}

/** Copies the planned blobs (uploads, then mounts), then manifests children first, then tags; then reads every tag back. */
export async function applyBackup(ctx: StepContext, plan: BackupPlan): Promise<StepResult> {
  const { source, destination, copy } = plan;
  const actions: string[] = [];
  const notes = [...plan.notes];
  try {
    if (copy.tags.length === 0) return ok(notes);
    const copyBlob = async (blob: BlobCopy): Promise<void> => {
      if (blob.mountFrom !== undefined && (await destination.mountBlob(blob.repository, blob.digest, blob.mountFrom))) return;
      ctx.progress(`Copying ${blob.digest} (${formatBytes(blob.size)}) to ${destination.label}/${blob.repository}`);
      const { stream } = await source.openBlob(blob.repository, blob.digest);
      try {
        await destination.writeBlob(blob.repository, blob.digest, blob.size, stream);
      } finally {
        stream.destroy();
      }
    };
    // Uploads first: a mount needs its blob to be in the other repository already.
    await mapLimit(
      copy.blobs.filter((b) => b.mountFrom === undefined),
      BLOBS_IN_FLIGHT,
      copyBlob,
    );
    await mapLimit(
      copy.blobs.filter((b) => b.mountFrom !== undefined),
      BLOBS_IN_FLIGHT,
      copyBlob,
    );
    for (const m of copy.manifests) await destination.putManifest(m.repository, plan.manifests.get(m.digest)!);
    for (const t of copy.tags) {
      await destination.putTag(t.repository, t.tag, plan.manifests.get(t.digest)!);
    }
    await destination.commit();
    actions.push(...copy.tags.map((t) => tagSentence(source.label, destination.label, t, true)));
    actions.push(totalsSentence(source.label, destination.label, copy, true));

    ctx.progress(`Verifying ${copy.tags.length} tags at ${destination.label}`);
    const served = await mapLimit(copy.tags, BLOBS_IN_FLIGHT, (t) => destination.servedDigest(t.repository, t.tag));
    const wrong = copy.tags.flatMap((t, i) => (served[i] === t.digest ? [] : [`${t.repository}:${t.tag} serves ${served[i] ?? 'nothing'}, not ${t.digest}`]));
    const children = await mapLimit(copy.manifests, BLOBS_IN_FLIGHT, (m) => destination.servedDigest(m.repository, m.digest));
    wrong.push(...copy.manifests.flatMap((m, i) => (children[i] === m.digest ? [] : [`${m.repository}@${m.digest} is missing`])));
    if (wrong.length > 0) throw new VerifyError(`After the copy, ${destination.label} does not match ${source.label}: ${wrong.join('; ')}`);
    actions.push(verifiedSentence(destination.label, copy.tags.length));
    return changed(actions, notes);
  } catch (error) {
    if (error instanceof VerifyError || error instanceof DigestMismatchError) return failed(error.message, error.code, actions, notes);
    // Nothing written yet: the runner reports the host as it should (unreachable, failed). Otherwise keep what was done.
    if (actions.length === 0) throw error;
    return failed(errorMessage(error), error instanceof UnreachableError ? error.code : 'error', actions, notes);
  }
}
