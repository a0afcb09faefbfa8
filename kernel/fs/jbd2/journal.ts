// The jbd2 journal of a mounted ext4 (placeholder until the write side lands: read-only
// mounts never journal anything).
import { CachedBlock } from "../../block/cache";

export class Journal {
  /** True while metadata writes go through the journal. */
  live: bool = false;

  addMetadata(b: CachedBlock): void {}
}
