/**
 * The two builds of src/kernels/wasm/matmul_simd.wat, shared by scripts/build_wasm.mjs and the
 * unit test that checks the committed bytes: the text as written (an imported plain memory)
 * and the same text with that memory declared `shared` (the threaded matmul's helpers all
 * instantiate it on one memory). Both are compiled with wabt, without debug names.
 */
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';

export const WAT_PATH = new URL('../src/kernels/wasm/matmul_simd.wat', import.meta.url);
const PLAIN_MEMORY = '(import "env" "memory" (memory 1 65536))';
const SHARED_MEMORY = '(import "env" "memory" (memory 1 65536 shared))';

/** @returns {Promise<{ plain: Uint8Array, shared: Uint8Array }>} */
export async function compileMatmulVariants() {
  const text = readFileSync(WAT_PATH, 'utf8');
  if (text.split(PLAIN_MEMORY).length !== 2) throw new Error(`matmul_simd.wat must declare exactly one ${PLAIN_MEMORY}`);
  const wabt = await wabtInit();
  const compile = (source, features) => {
    const module = wabt.parseWat('matmul_simd.wat', source, features);
    try {
      module.resolveNames();
      module.validate(features);
      return module.toBinary({ write_debug_names: false }).buffer;
    } finally {
      module.destroy();
    }
  };
  return {
    // SIMD is the only post-MVP feature the plain kernel may use; the shared one adds threads.
    plain: compile(text, { simd: true }),
    shared: compile(text.replace(PLAIN_MEMORY, SHARED_MEMORY), { simd: true, threads: true }),
  };
}
