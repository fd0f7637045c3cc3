/**
 * Output files a command writes (`sim --votes-out`, …). The rule: a path is checked before any
 * work starts (its folder must exist, and it must not be a folder), nothing is created or
 * truncated until the command has passed every check, and what is written goes to a temporary
 * file beside the target that is renamed over it only when the command succeeds. A failed or
 * interrupted run leaves an existing file as it was.
 */
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './io';

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Checks that `file` could be written by `--flag`; a one-line UsageError otherwise. Creates nothing. */
export async function checkOutputPath(flag: string, file: string): Promise<void> {
  if (file.length === 0) throw new UsageError(`--${flag} must not be empty`);
  const dir = path.dirname(path.resolve(file));
  let dirStat;
  try {
    dirStat = await stat(dir);
  } catch (e) {
    throw new UsageError(`--${flag} ${JSON.stringify(file)}: folder ${JSON.stringify(dir)} ${errnoCode(e) === 'ENOENT' ? 'does not exist' : `cannot be read (${errnoCode(e) ?? 'error'})`}`);
  }
  if (!dirStat.isDirectory()) throw new UsageError(`--${flag} ${JSON.stringify(file)}: ${JSON.stringify(dir)} is not a folder`);
  try {
    if ((await stat(file)).isDirectory()) throw new UsageError(`--${flag} ${JSON.stringify(file)} is a folder`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (errnoCode(e) !== 'ENOENT') throw new UsageError(`--${flag} ${JSON.stringify(file)}: cannot be checked (${errnoCode(e) ?? 'error'})`);
  }
}

/** A file being written through a temporary sibling; `commit` renames it into place. */
export class OutputFile {
  private pending: string[] = [];
  private pendingBytes = 0;
  private constructor(
    readonly flag: string,
    readonly target: string,
    private readonly temp: string,
    private handle: FileHandle | null,
  ) {}

  /** Opens the temporary file; call only after every other check of the command has passed. */
  static async create(flag: string, target: string): Promise<OutputFile> {
    await checkOutputPath(flag, target);
    const temp = path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
    try {
      return new OutputFile(flag, target, temp, await open(temp, 'wx'));
    } catch (e) {
      throw new Error(`--${flag} ${JSON.stringify(target)}: cannot write in its folder (${errnoCode(e) ?? (e as Error).message})`);
    }
  }

  /** Queues text; it reaches the temporary file in chunks (synchronous callers cannot await). */
  write(text: string): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes > 1 << 20) void this.flush();
  }

  private flushing: Promise<void> = Promise.resolve();
  /** The first write error; reported by `commit` (a background write must not crash the process). */
  private failure: unknown = null;

  private flush(): Promise<void> {
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    const handle = this.handle;
    this.flushing = this.flushing
      .then(async () => {
        if (handle && chunk.length > 0 && this.failure === null) await handle.write(chunk);
      })
      .catch((e: unknown) => {
        this.failure ??= e;
      });
    return this.flushing;
  }

  /** Writes what is left and renames the temporary file over the target. */
  async commit(): Promise<void> {
    try {
      await this.flush();
      if (this.failure !== null) throw this.failure;
      await this.handle?.close();
      this.handle = null;
      await rename(this.temp, this.target);
    } catch (e) {
      await this.discard();
      throw new Error(`--${this.flag} ${JSON.stringify(this.target)}: could not be written (${errnoCode(e) ?? (e as Error).message})`);
    }
  }

  /** Removes the temporary file; the target is left as it was. */
  async discard(): Promise<void> {
    await this.flushing;
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
    await unlink(this.temp).catch(() => undefined);
  }
}
