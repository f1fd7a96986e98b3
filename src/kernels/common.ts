/** First byte the boundary's arena may use: after this module's static data. */
export function kernels_heap_base(): usize { return __heap_base; }
