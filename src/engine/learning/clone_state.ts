/**
 * A deep copy of plain learner state (the reward ensemble, RNG streams, running moments) that
 * keeps each object's class, so a restored checkpoint behaves exactly like the original.
 *
 * Why a generic copy: the reward model is a tree of small classes (heads, optimizers, RNGs,
 * standardizers, prequential trackers) whose fields change as it evolves; one copy that walks
 * them cannot forget a field the way a hand-written `toJSON` would. What it must NOT copy is
 * passed in `shared`: model weights on a backend (GPU buffers) are saved separately.
 *
 * Rules: primitives and functions are kept; typed arrays are sliced; arrays, Maps and Sets are
 * copied element-wise; a `WeakMap`/`WeakSet` (only ever a cache here) starts empty; any other
 * object is created with the same prototype and its own properties copied. Shared references
 * and cycles are preserved (one copy per original object).
 */
export function cloneState<T>(value: T, shared: (v: object) => boolean = () => false): T {
  const seen = new Map<object, unknown>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (shared(v)) return v;
    const done = seen.get(v);
    if (done !== undefined) return done;
    if (ArrayBuffer.isView(v)) {
      const out = (v as unknown as { slice(): unknown }).slice();
      seen.set(v, out);
      return out;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      seen.set(v, out);
      for (let i = 0; i < v.length; i++) out[i] = copy(v[i]);
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      seen.set(v, out);
      for (const [k, x] of v) out.set(copy(k), copy(x));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      seen.set(v, out);
      for (const x of v) out.add(copy(x));
      return out;
    }
    if (v instanceof WeakMap) return new WeakMap();
    if (v instanceof WeakSet) return new WeakSet();
    if (v instanceof ArrayBuffer) return v.slice(0);
    const out = Object.create(Object.getPrototypeOf(v)) as Record<PropertyKey, unknown>;
    seen.set(v, out);
    for (const key of Reflect.ownKeys(v)) {
      const desc = Object.getOwnPropertyDescriptor(v, key)!;
      if ('value' in desc) desc.value = copy(desc.value);
      Object.defineProperty(out, key, desc);
    }
    return out;
  };
  return copy(value) as T;
}

/** Bytes held by typed arrays reachable from `value` (a checkpoint's memory, roughly). */
export function typedArrayBytes(value: unknown, shared: (v: object) => boolean = () => false): number {
  const seen = new Set<object>();
  let bytes = 0;
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || shared(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      bytes += v.byteLength;
      return;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k);
        walk(x);
      }
      return;
    }
    if (v instanceof Set || Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (v instanceof WeakMap || v instanceof WeakSet) return;
    for (const key of Reflect.ownKeys(v)) walk((v as Record<PropertyKey, unknown>)[key]);
  };
  walk(value);
  return bytes;
}
