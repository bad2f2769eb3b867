/**
 * Which GPU adapters this machine has, as the operating system and its graphics drivers describe
 * them, without loading onnxruntime or any GPU library. onnxruntime-node's WebGPU provider (Dawn)
 * does not report the adapter it picked, so the backend names it from this inventory: Dawn asks
 * for the high-performance adapter, i.e. a discrete GPU before an integrated one before a software
 * rasterizer, and this module ranks adapters the same way.
 *
 * On Linux WebGPU runs over Vulkan: an adapter needs a Vulkan driver (an ICD manifest naming the
 * driver library) and, for hardware, a GPU the kernel sees. Software drivers (Mesa's lavapipe,
 * SwiftShader) are listed too, marked `software`: `auto` never picks them, tests may.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeviceChoice } from '../src/protocol/trainer';

/**
 * `virtual`: a paravirtualized GPU (virtio-gpu with Mesa's venus driver), which works only where
 * the host passes a GPU through; such drivers are often installed (and listed by Vulkan) in virtual
 * machines that have no GPU at all, so `auto` does not count on them.
 */
export type AdapterKind = 'discrete' | 'integrated' | 'software' | 'virtual' | 'unknown';

export interface GpuAdapter {
  /** What the driver or the OS calls it, e.g. `NVIDIA H200` or `llvmpipe (software Vulkan)`. */
  name: string;
  vendor: string;
  kind: AdapterKind;
  /** The graphics API WebGPU runs over on this platform. */
  api: 'vulkan' | 'metal' | 'd3d12';
  /** Where the name came from (a driver manifest, /proc, sysfs, sysctl, ...), for diagnostics. */
  source: string;
}

export interface VulkanDriver {
  /** The ICD manifest file. */
  manifest: string;
  library: string;
  vendor: string;
  software: boolean;
}

export interface GpuInventory {
  platform: NodeJS.Platform;
  adapters: GpuAdapter[];
  /** Linux: the Vulkan drivers found (hardware and software). */
  vulkanDrivers: VulkanDriver[];
  /** Why no hardware adapter is usable, when none is. */
  missing?: string;
}

const PCI_VENDORS: Record<string, string> = {
  '0x10de': 'NVIDIA', '0x1002': 'AMD', '0x1022': 'AMD', '0x8086': 'Intel', '0x1af4': 'virtio', '0x1414': 'Microsoft', '0x5143': 'Qualcomm', '0x13b5': 'Arm',
};

/** Vendor and software flag of a Vulkan driver library, from its file name. */
export function classifyVulkanLibrary(library: string): { vendor: string; software: boolean } {
  const base = path.basename(library).toLowerCase();
  if (/lvp|lavapipe|llvmpipe|swiftshader/.test(base)) return { vendor: base.includes('swiftshader') ? 'Google' : 'Mesa', software: true };
  if (base.includes('nvidia') || base.includes('nouveau')) return { vendor: 'NVIDIA', software: false };
  if (/radeon|amdvlk|amdgpu/.test(base)) return { vendor: 'AMD', software: false };
  if (base.includes('intel')) return { vendor: 'Intel', software: false };
  if (base.includes('dzn')) return { vendor: 'Microsoft', software: false };
  if (base.includes('freedreno')) return { vendor: 'Qualcomm', software: false };
  if (/panfrost|panvk/.test(base)) return { vendor: 'Arm', software: false };
  if (base.includes('asahi')) return { vendor: 'Apple', software: false };
  if (base.includes('virtio') || base.includes('venus') || base.includes('gfxstream')) return { vendor: 'virtio', software: false };
  return { vendor: 'unknown', software: false };
}

/** The folders the Vulkan loader searches for ICD manifests, or the files its environment names. */
export function vulkanManifestPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const split = (v: string | undefined) => (v ?? '').split(':').filter(Boolean);
  if (explicit) return [...split(explicit), ...split(env.VK_ADD_DRIVER_FILES)];
  const home = env.HOME ?? os.homedir();
  const configDirs = split(env.XDG_CONFIG_DIRS ?? '/etc/xdg');
  const dataDirs = split(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share');
  const dataHome = env.XDG_DATA_HOME ?? path.join(home, '.local/share');
  const configHome = env.XDG_CONFIG_HOME ?? path.join(home, '.config');
  return [
    ...split(env.VK_ADD_DRIVER_FILES),
    path.join(configHome, 'vulkan/icd.d'), ...configDirs.map((d) => path.join(d, 'vulkan/icd.d')), '/etc/vulkan/icd.d',
    path.join(dataHome, 'vulkan/icd.d'), ...dataDirs.map((d) => path.join(d, 'vulkan/icd.d')),
  ];
}

export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): VulkanDriver[] {
  const files: string[] = [];
  for (const p of vulkanManifestPaths(env)) {
    try {
      if (p.endsWith('.json')) { if (existsSync(p)) files.push(p); continue; }
      for (const name of readdirSync(p).sort()) if (name.endsWith('.json')) files.push(path.join(p, name));
    } catch { /* a folder the loader would also find empty */ }
  }
  const seen = new Set<string>();
  const out: VulkanDriver[] = [];
  for (const manifest of files) {
    let library: unknown;
    try { library = (JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path; } catch { continue; }
    if (typeof library !== 'string' || seen.has(library)) continue;
    seen.add(library);
    out.push({ manifest, library, ...classifyVulkanLibrary(library) });
  }
  return out;
}

function readText(file: string): string | undefined {
  try { return readFileSync(file, 'utf8'); } catch { return undefined; }
}

/** NVIDIA GPUs the proprietary driver reports (`Model:` lines of /proc/driver/nvidia/gpus/*\/information). */
function nvidiaGpus(): string[] {
  const dir = '/proc/driver/nvidia/gpus';
  let entries: string[] = [];
  try { entries = readdirSync(dir); } catch { return []; }
  return entries.map((e) => readText(path.join(dir, e, 'information'))?.match(/^Model:\s*(.+)$/m)?.[1]?.trim()).filter((m): m is string => !!m);
}

/** Display controllers on the PCI bus (class 0x03xxxx), with the vendor and, where sysfs has it, a product name. */
function pciDisplayDevices(): { vendor: string; name?: string }[] {
  const dir = '/sys/bus/pci/devices';
  let entries: string[] = [];
  try { entries = readdirSync(dir); } catch { return []; }
  const out: { vendor: string; name?: string }[] = [];
  for (const e of entries) {
    const cls = readText(path.join(dir, e, 'class'))?.trim() ?? '';
    if (!cls.startsWith('0x03')) continue;
    const vendorId = readText(path.join(dir, e, 'vendor'))?.trim() ?? '';
    const name = readText(path.join(dir, e, 'product_name'))?.trim() || readText(path.join(dir, e, 'label'))?.trim();
    out.push({ vendor: PCI_VENDORS[vendorId] ?? vendorId, ...(name ? { name } : {}) });
  }
  return out;
}

const DRM_DRIVERS: Record<string, string> = {
  i915: 'Intel', xe: 'Intel', amdgpu: 'AMD', radeon: 'AMD', nvidia: 'NVIDIA', nouveau: 'NVIDIA', msm: 'Qualcomm',
  panfrost: 'Arm', panthor: 'Arm', asahi: 'Apple', virtio_gpu: 'virtio', 'virtio-pci': 'virtio',
};

/** Vendors of the GPUs the kernel drives (/sys/class/drm cards), where PCI does not show them (SoCs, containers). */
function drmVendors(): string[] {
  let cards: string[] = [];
  try { cards = readdirSync('/sys/class/drm').filter((c) => /^card\d+$/.test(c)); } catch { return []; }
  const out: string[] = [];
  for (const c of cards) {
    let driver = '';
    try { driver = path.basename(readlinkSync(path.join('/sys/class/drm', c, 'device', 'driver'))); } catch { continue; }
    const vendor = DRM_DRIVERS[driver];
    if (vendor) out.push(vendor);
  }
  return out;
}

/**
 * Hardware adapters are GPUs the kernel shows (NVIDIA's driver, PCI display controllers, DRM cards,
 * WSL's /dev/dxg) for which a Vulkan driver of the same vendor is installed. A driver alone proves
 * nothing: Mesa's package installs Intel, AMD and other drivers on every machine.
 */
function linuxInventory(env: NodeJS.ProcessEnv): GpuInventory {
  const drivers = vulkanDrivers(env);
  const adapters: GpuAdapter[] = [];
  const hardwareVendors = new Set(drivers.filter((d) => !d.software).map((d) => d.vendor));
  const kind = (vendor: string): AdapterKind => (vendor === 'Intel' || vendor === 'Qualcomm' || vendor === 'Arm' || vendor === 'Apple' ? 'integrated'
    : vendor === 'virtio' ? 'virtual' : vendor === 'NVIDIA' || vendor === 'AMD' ? 'discrete' : 'unknown');
  const nvidia = nvidiaGpus();
  if (hardwareVendors.has('NVIDIA')) {
    for (const name of nvidia) adapters.push({ name, vendor: 'NVIDIA', kind: 'discrete', api: 'vulkan', source: '/proc/driver/nvidia' });
  }
  for (const d of pciDisplayDevices()) {
    if (d.vendor === 'NVIDIA' && nvidia.length) continue;
    if (!hardwareVendors.has(d.vendor)) continue;
    adapters.push({ name: d.name ?? `${d.vendor} GPU`, vendor: d.vendor, kind: kind(d.vendor), api: 'vulkan', source: '/sys/bus/pci' });
  }
  for (const vendor of new Set(drmVendors())) {
    if (hardwareVendors.has(vendor) && !adapters.some((a) => a.vendor === vendor)) {
      adapters.push({ name: `${vendor} GPU`, vendor, kind: kind(vendor), api: 'vulkan', source: '/sys/class/drm' });
    }
  }
  if (hardwareVendors.has('Microsoft') && existsSync('/dev/dxg')) {
    adapters.push({ name: 'GPU through WSL (Direct3D 12)', vendor: 'Microsoft', kind: 'unknown', api: 'vulkan', source: '/dev/dxg' });
  }
  for (const d of drivers.filter((x) => x.software)) {
    const name = d.vendor === 'Google' ? 'SwiftShader (software Vulkan)' : 'llvmpipe (software Vulkan)';
    adapters.push({ name, vendor: d.vendor, kind: 'software', api: 'vulkan', source: d.manifest });
  }
  const missing = adapters.some(isHardware) ? undefined
    : drivers.length === 0 ? 'no Vulkan driver is installed (no ICD manifest in the Vulkan loader\'s search path)'
      : hardwareVendors.size ? `no GPU of a vendor whose Vulkan driver is installed (${[...hardwareVendors].join(', ')}) was found`
        : 'only a software Vulkan driver is installed (no GPU driver with Vulkan support)';
  return { platform: 'linux', adapters: rank(adapters), vulkanDrivers: drivers, ...(missing ? { missing } : {}) };
}

function darwinInventory(): GpuInventory {
  let chip = '';
  try { chip = execFileSync('sysctl', ['-n', 'machdep.cpu.brand_string'], { encoding: 'utf8', timeout: 2000 }).trim(); } catch { /* name stays generic */ }
  const apple = /^Apple /.test(chip);
  return {
    platform: 'darwin', vulkanDrivers: [],
    adapters: [{ name: apple ? `${chip} GPU` : 'Metal GPU', vendor: apple ? 'Apple' : 'unknown', kind: apple ? 'integrated' : 'unknown', api: 'metal', source: 'sysctl' }],
  };
}

function windowsInventory(): GpuInventory {
  let names: string[] = [];
  try {
    const out = execFileSync('powershell.exe', ['-NoProfile', '-Command', '(Get-CimInstance Win32_VideoController).Name'], { encoding: 'utf8', timeout: 5000, windowsHide: true });
    names = out.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  } catch { /* unknown adapters below */ }
  const adapters: GpuAdapter[] = names.map((name) => {
    const vendor = /nvidia/i.test(name) ? 'NVIDIA' : /amd|radeon/i.test(name) ? 'AMD' : /intel/i.test(name) ? 'Intel' : /qualcomm|adreno/i.test(name) ? 'Qualcomm' : /microsoft/i.test(name) ? 'Microsoft' : 'unknown';
    const kind: AdapterKind = /basic render|basic display|warp/i.test(name) ? 'software' : vendor === 'Intel' || vendor === 'Qualcomm' ? 'integrated' : vendor === 'unknown' ? 'unknown' : 'discrete';
    return { name, vendor, kind, api: 'd3d12', source: 'Win32_VideoController' };
  });
  if (!adapters.length) adapters.push({ name: 'Direct3D 12 GPU', vendor: 'unknown', kind: 'unknown', api: 'd3d12', source: 'assumed' });
  return { platform: 'win32', adapters: rank(adapters), vulkanDrivers: [], ...(adapters.every((a) => a.kind === 'software') ? { missing: 'only Microsoft\'s software renderer is present' } : {}) };
}

const ORDER: Record<AdapterKind, number> = { discrete: 0, integrated: 1, unknown: 2, software: 3, virtual: 4 };
const isHardware = (a: GpuAdapter): boolean => a.kind !== 'software' && a.kind !== 'virtual';
function rank(adapters: GpuAdapter[]): GpuAdapter[] {
  return [...adapters].sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
}

/** The adapters of this machine, best first (the one Dawn's high-performance preference takes). */
export function gpuInventory(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): GpuInventory {
  if (platform === 'linux') return linuxInventory(env);
  if (platform === 'darwin') return darwinInventory();
  if (platform === 'win32') return windowsInventory();
  return { platform, adapters: [], vulkanDrivers: [], missing: `no WebGPU support is known on ${platform}` };
}

/** The best adapter that is real hardware (neither software nor paravirtualized), if any. */
export function hardwareAdapter(inv: GpuInventory): GpuAdapter | undefined {
  return inv.adapters.find(isHardware);
}

export interface AutoDeviceFacts {
  platform: NodeJS.Platform;
  /** Provider names onnxruntime-node lists (`listSupportedBackends`). */
  listed: ReadonlySet<string>;
  cudaInstalled: boolean;
  /** The best hardware GPU adapter, if the machine has one. */
  hardware?: GpuAdapter;
}

/** The devices `auto` tries, in order; the CPU always last. */
export function autoDeviceOrder(f: AutoDeviceFacts): Exclude<DeviceChoice, 'auto'>[] {
  const order: Exclude<DeviceChoice, 'auto'>[] = [];
  if (f.listed.has('cuda') && f.cudaInstalled) order.push('cuda');
  if (f.hardware) {
    if (f.platform === 'win32' && f.listed.has('dml')) order.push('dml');
    if (f.listed.has('webgpu')) order.push('webgpu');
  }
  order.push('cpu');
  return order;
}

