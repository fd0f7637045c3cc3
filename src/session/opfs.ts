/**
 * Tensors (checkpoints, caches) in the Origin Private File System. They are too large for
 * IndexedDB records and never belong in a session document; the document refers to them by
 * name. Every helper checks for OPFS first and reports its absence instead of throwing, since
 * it is missing in Node, in some private-browsing modes and in older browsers.
 */

const TENSOR_DIRECTORY = 'tensors';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True where `navigator.storage.getDirectory` (OPFS) exists. */
export function isOpfsAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
}

/** Names are plain file names: no path separators, no `..`, no hidden files. */
export function isValidTensorName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.includes('..');
}

function checkName(name: string): void {
  if (!isValidTensorName(name)) {
    throw new RangeError(`"${name}" is not a valid tensor file name (letters, digits, ".", "-", "_"; up to 128).`);
  }
}

async function tensorDirectory(): Promise<FileSystemDirectoryHandle | null> {
  if (!isOpfsAvailable()) return null;
  try {
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(TENSOR_DIRECTORY, { create: true });
  } catch {
    // Present but refused (e.g. storage disabled by policy): same as absent for callers.
    return null;
  }
}

/** Writes `bytes` under `name`. Returns false where OPFS is unavailable or refuses writes. */
export async function saveTensorBlob(name: string, bytes: Uint8Array | ArrayBuffer): Promise<boolean> {
  checkName(name);
  const directory = await tensorDirectory();
  if (directory === null) return false;
  const handle = await directory.getFileHandle(name, { create: true });
  // createWritable is missing on the main thread of older Safari; report that as unavailable.
  if (typeof (handle as { createWritable?: unknown }).createWritable !== 'function') return false;
  const writable = await handle.createWritable();
  try {
    await writable.write(bytes instanceof Uint8Array ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes));
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => undefined);
    throw error;
  }
  return true;
}

/** The bytes stored under `name`, or `null` if there are none or OPFS is unavailable. */
export async function loadTensorBlob(name: string): Promise<Uint8Array | null> {
  checkName(name);
  const directory = await tensorDirectory();
  if (directory === null) return null;
  try {
    const handle = await directory.getFileHandle(name);
    const file = await handle.getFile();
    return new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    if (error instanceof DOMException && error.name === 'NotFoundError') return null;
    throw error;
  }
}

/** Removes `name`; returns whether something was removed. */
export async function deleteTensorBlob(name: string): Promise<boolean> {
  checkName(name);
  const directory = await tensorDirectory();
  if (directory === null) return false;
  try {
    await directory.removeEntry(name);
    return true;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'NotFoundError') return false;
    throw error;
  }
}

/** Names of the stored tensors, sorted; empty where OPFS is unavailable. */
export async function listTensorBlobs(): Promise<string[]> {
  const directory = await tensorDirectory();
  if (directory === null) return [];
  const names: string[] = [];
  for await (const [name, handle] of directory as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (handle.kind === 'file') names.push(name);
  }
  return names.sort();
}
