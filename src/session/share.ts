/**
 * Share links: the whole session, gzipped and base64url-encoded into the URL hash (`#s=…`).
 * The hash never reaches a server, so a link shares a session without uploading it. Links are
 * capped in length; bigger sessions are shared as files. Weights are never part of a session,
 * so never part of a link.
 *
 * Decoding treats the link as hostile and runs on the main thread, so every step is bounded
 * by the app's own limits: the encoded text may be no longer than the links we make
 * (`SHARE_LINK_MAX_CHARS`); the gzip data is fed to the inflater a kilobyte at a time and
 * inflation stops as soon as the output passes the byte cap (a kilobyte inflates to at most
 * about a megabyte); and the JSON's nesting depth is checked on the bytes before `JSON.parse`,
 * which took seconds on megabytes of `[[[[`.
 */
import { SESSION_LIMITS, SHARE_LINK_MAX_CHARS, formatBytes, formatCount } from './limits.ts';
import { parseSessionDocument, type SessionParseResult } from './parse.ts';
import type { SessionDocument } from './schema.ts';
import { stableStringify } from './serialize.ts';

const HASH_KEY = 's';

/** Deepest JSON nesting a shared session may have: a session file's. */
export const SHARE_LINK_MAX_JSON_DEPTH = SESSION_LIMITS.maxJsonDepth;
/** Compressed bytes handed to the inflater at once; deflate expands a byte at most ~1032×. */
const INFLATE_INPUT_SLICE = 1024;

export type ShareLinkResult =
  | { tooLarge: false; hash: string }
  | {
      /** The link would exceed `maxChars`: offer a file export instead. */
      tooLarge: true;
      chars: number;
      maxChars: number;
    };

/**
 * The URL hash (`#s=…`) carrying `doc`, or `{tooLarge: true}` when it would be longer than
 * `maxChars` (default 8 000) characters.
 */
export async function encodeShareLink(
  doc: SessionDocument,
  options: { maxChars?: number } = {},
): Promise<ShareLinkResult> {
  const maxChars = options.maxChars ?? SHARE_LINK_MAX_CHARS;
  const json = new TextEncoder().encode(stableStringify(doc));
  const compressed = await gzip(json);
  const prefixLength = `#${HASH_KEY}=`.length;
  // base64 grows 3 bytes into 4 characters; check before building a string we would discard.
  const chars = prefixLength + Math.ceil((compressed.length * 4) / 3);
  if (chars > maxChars) return { tooLarge: true, chars, maxChars };
  return { tooLarge: false, hash: `#${HASH_KEY}=${bytesToBase64Url(compressed)}` };
}

export interface DecodeShareLinkOptions {
  /** Cap on the decompressed JSON (default: the document byte cap). */
  maxBytes?: number;
  /** Cap on the encoded text (default: `SHARE_LINK_MAX_CHARS`, the cap on links we make). */
  maxEncodedChars?: number;
  /** Cap on the JSON nesting depth (default: `SHARE_LINK_MAX_JSON_DEPTH`). */
  maxDepth?: number;
}

/** True when a URL hash looks like a share link (so the app should try to open it). */
export function isShareLinkHash(hash: string): boolean {
  return readHashParam(hash) !== null;
}

/**
 * The session in a share link. Accepts a hash (`#s=…`), the hash without `#`, or a whole URL.
 * Never throws; on failure says why.
 */
export async function decodeShareLink(hash: string, options: DecodeShareLinkOptions = {}): Promise<SessionParseResult> {
  const maxBytes = options.maxBytes ?? SESSION_LIMITS.maxDocumentBytes;
  const maxEncodedChars = options.maxEncodedChars ?? SHARE_LINK_MAX_CHARS;
  const maxDepth = options.maxDepth ?? SHARE_LINK_MAX_JSON_DEPTH;
  if (hash.length > maxEncodedChars + 1024) {
    return { ok: false, error: `This share link is longer than ${formatCount(maxEncodedChars)} characters.` };
  }
  const encoded = readHashParam(hash);
  if (encoded === null) return { ok: false, error: `This link holds no session (no "#${HASH_KEY}=" in it).` };
  if (encoded.length > maxEncodedChars) {
    return { ok: false, error: `This share link is longer than ${formatCount(maxEncodedChars)} characters.` };
  }
  const compressed = base64UrlToBytes(encoded);
  if (compressed === null) return { ok: false, error: 'This share link is damaged (it is not valid base64url).' };
  const inflated = await gunzipBounded(compressed, maxBytes);
  if (inflated === 'too large') {
    return { ok: false, error: `This share link unpacks to more than ${formatBytes(maxBytes)}, the limit for a session.` };
  }
  if (inflated === 'corrupt') return { ok: false, error: 'This share link is damaged (its data does not decompress).' };
  if (jsonNestingExceeds(inflated, maxDepth)) {
    return { ok: false, error: `This share link's data nests deeper than ${maxDepth} levels; no session does.` };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(inflated);
  } catch {
    return { ok: false, error: 'This share link is damaged (its data is not UTF-8 text).' };
  }
  return parseSessionDocument(text, { maxBytes });
}

function readHashParam(hash: string): string | null {
  const hashIndex = hash.indexOf('#');
  const fragment = hashIndex === -1 ? hash : hash.slice(hashIndex + 1);
  for (const part of fragment.split('&')) {
    if (part.startsWith(`${HASH_KEY}=`)) return part.slice(HASH_KEY.length + 1);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Bytes

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Inflates gzip data, giving up once more than `maxBytes` have come out. The input is fed a
 * slice at a time and each slice is only taken once the output so far has been read, so a bomb
 * is abandoned after about `maxBytes` plus one slice's expansion (~1 MB) of work. (Fed whole,
 * the inflater expands the entire input before the first read can stop it.)
 */
export async function gunzipBounded(
  compressed: Uint8Array,
  maxBytes: number,
): Promise<Uint8Array | 'too large' | 'corrupt'> {
  let inflater: DecompressionStream;
  try {
    inflater = new DecompressionStream('gzip');
  } catch {
    return 'corrupt';
  }
  const writer = inflater.writable.getWriter();
  const reader = inflater.readable.getReader();
  let stopped = false;
  // Rejections here follow a cancel or corrupt data; the reader reports both.
  const feeding = (async () => {
    for (let i = 0; i < compressed.length && !stopped; i += INFLATE_INPUT_SLICE) {
      await writer.write(compressed.slice(i, i + INFLATE_INPUT_SLICE));
    }
    if (!stopped) await writer.close();
  })().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        stopped = true;
        await reader.cancel().catch(() => undefined);
        await feeding;
        return 'too large';
      }
      chunks.push(value);
    }
  } catch {
    stopped = true;
    await reader.cancel().catch(() => undefined);
    await feeding;
    return 'corrupt';
  }
  await feeding;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * True when the JSON text in `bytes` opens more than `maxDepth` arrays or objects at once.
 * One pass over the bytes, skipping strings, so it costs far less than the `JSON.parse` it
 * guards. Text that is not JSON is left for `JSON.parse` to refuse.
 */
export function jsonNestingExceeds(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++; // a backslash escapes the next byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  let binary = '';
  // String.fromCharCode with a spread argument list overflows the stack on big arrays; chunk it.
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url string (padding optional), or `null` if it is not one. */
export function base64UrlToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
