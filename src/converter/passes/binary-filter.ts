/**
 * LCE's binary-filter test (§4.3, `IsBinaryFilter`) on a float OHWI (conv) or [O, I] (dense) filter: per output
 * channel o, scale_o = the channel's first element; |scale_o| > FLT_EPSILON and every element within 0.5% of ±|scale_o|.
 * Returns the ±1 filter and |scale| per channel, or undefined when the filter is not binary.
 */
const FLT_EPSILON = 1.1920928955078125e-7;

export interface BinaryFilter {
  signs: Float32Array;
  scales: Float32Array;
}

export function binaryFilter(data: Float32Array, outChannels: number): BinaryFilter | undefined {
  const per = data.length / outChannels;
  const signs = new Float32Array(data.length);
  const scales = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const scale = data[o * per];
    if (!(Math.abs(scale) > FLT_EPSILON)) return undefined;
    for (let k = 0; k < per; k++) {
      const v = data[o * per + k];
      if (Math.abs(Math.abs(v / scale) - 1) > 0.005) return undefined;
      signs[o * per + k] = v < 0 ? -1 : 1;
    }
    scales[o] = Math.abs(scale);
  }
  return { signs, scales };
}
