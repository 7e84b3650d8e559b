/**
 * The WGSL compute shaders of the webgpu backend, in f32 (WebGPU has no f64). Each is a whole
 * module with entry point `main`; storage bindings in the order the cores pass them, then the
 * uniform `p`. One-dimensional work runs 64 invocations per workgroup over a 2-D grid of workgroups
 * (a dimension holds at most 65535), the index rebuilt from both.
 */

/** The linear index of a 1-D invocation dispatched by gridFor(). */
const LINEAR_INDEX = /* wgsl */ `
fn linearIndex(g: vec3u, groups: vec3u) -> u32 {
  return g.x + g.y * groups.x * 64u;
}`;

/**
 * out (m x n) = act(a (m x k) * b (k x n) + bias), tiled: a workgroup of 16 x 16 invocations
 * computes a 64 x 64 block of out, each invocation 4 x 4 of it, through 64 x 16 and 16 x 64 tiles
 * of a and b staged in workgroup memory. activation: 0 linear, 1 ReLU, 2 sigmoid; hasBias 0 for a
 * bare product.
 */
export const DENSE = /* wgsl */ `
struct Params { m: u32, k: u32, n: u32, activation: u32, hasBias: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> tileA: array<array<f32, 16>, 64>;
var<workgroup> tileB: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let rowBase = wg.y * 64u;
  let colBase = wg.x * 64u;
  let flat = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < p.k; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = flat + i * 256u;
      let r = e / 16u;
      let c = e % 16u;
      var v = 0.0;
      if (rowBase + r < p.m && k0 + c < p.k) { v = a[(rowBase + r) * p.k + k0 + c]; }
      tileA[r][c] = v;
      let rb = e / 64u;
      let cb = e % 64u;
      var w = 0.0;
      if (k0 + rb < p.k && colBase + cb < p.n) { w = b[(k0 + rb) * p.n + colBase + cb]; }
      tileB[rb][cb] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var bv: array<f32, 4>;
      for (var j = 0u; j < 4u; j++) { bv[j] = tileB[kk][lid.x * 4u + j]; }
      for (var i = 0u; i < 4u; i++) {
        let av = tileA[lid.y * 4u + i][kk];
        for (var j = 0u; j < 4u; j++) { acc[i][j] += av * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = rowBase + lid.y * 4u + i;
    if (r >= p.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = colBase + lid.x * 4u + j;
      if (c >= p.n) { continue; }
      var v = acc[i][j];
      if (p.hasBias == 1u) { v += bias[c]; }
      if (p.activation == 1u) { v = max(v, 0.0); }
      if (p.activation == 2u) { v = 1.0 / (1.0 + exp(-v)); }
      out[r * p.n + c] = v;
    }
  }
}`;

/** out (t) = returns (t x n) * weights (n): one invocation per scenario. */
export const PORTFOLIO_PNL = /* wgsl */ `
struct Params { t: u32, n: u32 }
@group(0) @binding(0) var<storage, read> returns: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
${LINEAR_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = linearIndex(g, groups);
  if (row >= p.t) { return; }
  var s = 0.0;
  for (var c = 0u; c < p.n; c++) { s += returns[row * p.n + c] * weights[c]; }
  out[row] = s;
}`;

/**
 * out (paths) = base + v . z, z path p's normals from counter-rng.ts's generator: Threefry-2x32-20
 * under key (seed, 0) of counter (p, pair), 24-bit uniforms, Box-Muller. WGSL's cos and sin are
 * only specified to 2^-11 absolute within [-pi, pi], so the angle is taken there: cos(2 pi u) =
 * -cos(2 pi (u - 1/2)), and the same for sin.
 */
export const MONTECARLO_PNL = /* wgsl */ `
struct Params { paths: u32, n: u32, seed: u32, baseBits: u32 }
@group(0) @binding(0) var<storage, read> v: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${LINEAR_INDEX}

fn rotl(x: u32, r: u32) -> u32 { return (x << r) | (x >> (32u - r)); }

fn threefry(k0: u32, k1: u32, c0: u32, c1: u32) -> vec2u {
  var ks = array<u32, 3>(k0, k1, 0x1bd11bdau ^ k0 ^ k1);
  var rotations = array<u32, 8>(13u, 15u, 26u, 6u, 17u, 29u, 16u, 24u);
  var x0 = c0 + k0;
  var x1 = c1 + k1;
  for (var round = 0u; round < 20u; round++) {
    x0 += x1;
    x1 = rotl(x1, rotations[round % 8u]);
    x1 ^= x0;
    if (round % 4u == 3u) {
      let s = (round + 1u) / 4u;
      x0 += ks[s % 3u];
      x1 += ks[(s + 1u) % 3u] + s;
    }
  }
  return vec2u(x0, x1);
}

fn uniform24(w: u32) -> f32 { return (f32(w >> 8u) + 0.5) / 16777216.0; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let path = linearIndex(g, groups);
  if (path >= p.paths) { return; }
  var pnl = bitcast<f32>(p.baseBits);
  for (var pair = 0u; 2u * pair < p.n; pair++) {
    let w = threefry(p.seed, 0u, path, pair);
    let r = sqrt(-2.0 * log(uniform24(w.x)));
    let theta = 6.283185307179586 * (uniform24(w.y) - 0.5);
    pnl += v[2u * pair] * (-r * cos(theta));
    if (2u * pair + 1u < p.n) { pnl += v[2u * pair + 1u] * (-r * sin(theta)); }
  }
  out[path] = pnl;
}`;

/** out (n x n) = d' d / (rows - 1) of centred rows d (rows x n): one invocation per pair i <= j, both halves written. */
export const COVARIANCE = /* wgsl */ `
struct Params { rows: u32, n: u32 }
@group(0) @binding(0) var<storage, read> d: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${LINEAR_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = linearIndex(g, groups);
  if (index >= p.n * p.n) { return; }
  let i = index / p.n;
  let j = index % p.n;
  if (j < i) { return; }
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) { s += d[r * p.n + i] * d[r * p.n + j]; }
  let c = s / f32(p.rows - 1u);
  out[i * p.n + j] = c;
  out[j * p.n + i] = c;
}`;

/**
 * Rolling mean and sample std of each column over the `window` rows ending at each row from
 * window - 1 on (the rows before it are the caller's to fill with NaN), two passes per window.
 */
export const ROLLING_MOMENTS = /* wgsl */ `
struct Params { t: u32, n: u32, window: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> outMean: array<f32>;
@group(0) @binding(2) var<storage, read_write> outStd: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
${LINEAR_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = linearIndex(g, groups);
  if (index >= p.t * p.n) { return; }
  let end = index / p.n;
  let c = index % p.n;
  if (end + 1u < p.window) { return; }
  let first = end + 1u - p.window;
  var m = 0.0;
  for (var r = first; r <= end; r++) { m += x[r * p.n + c]; }
  m /= f32(p.window);
  var s = 0.0;
  for (var r = first; r <= end; r++) { let d = x[r * p.n + c] - m; s += d * d; }
  outMean[index] = m;
  outStd[index] = sqrt(s / f32(p.window - 1u));
}`;

/** Workgroups for `count` invocations of 64: as many as fit in x, the rest in y. */
export function gridFor(count: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / 64));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}
