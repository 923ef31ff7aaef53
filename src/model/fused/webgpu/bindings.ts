/**
 * The one writer of WGSL storage-binding preambles, shared by the fused-webgpu training shaders
 * (shaders.ts) and the GPU analysis engine (src/model/gpuAnalysis/shaders.ts): each kernel lists its
 * buffers as [name, access, element type] and gets `@group(0) @binding(i) var<storage, ...>` lines
 * with consecutive binding numbers, so a kernel's bind-group layout is the order of its list.
 * kernelPreamble adds the uniform at binding 0 and the kernel's baked-in sizes (u32Constants).
 */

/** [buffer name, access, element type (default f32)] of one storage binding. */
export type StorageBinding = [name: string, access: 'read' | 'read_write', type?: 'f32' | 'u32' | 'i32'];

/** WGSL declarations of `list` as storage arrays at group 0, bindings first, first + 1, ... */
export function storageBindings(list: StorageBinding[], first: number): string {
  return list
    .map(([name, access, type], i) => `@group(0) @binding(${first + i}) var<storage, ${access}> ${name}: array<${type ?? 'f32'}>;`)
    .join('\n');
}

/** WGSL `const NAME: u32 = vu;` lines of integer kernel sizes baked in as constants, in `sizes`' order. */
export function u32Constants(sizes: Record<string, number>): string {
  return Object.entries(sizes)
    .map(([name, v]) => `const ${name}: u32 = ${v}u;`)
    .join('\n');
}

/**
 * The binding preamble of a kernel with one uniform `p` of struct `paramsType` at binding 0 and
 * `list` as its storage bindings 1.., followed by its baked-in u32 `sizes`.
 */
export function kernelPreamble(paramsType: string, list: StorageBinding[], sizes: Record<string, number>): string {
  return `@group(0) @binding(0) var<uniform> p: ${paramsType};
${storageBindings(list, 1)}
${u32Constants(sizes)}`;
}
