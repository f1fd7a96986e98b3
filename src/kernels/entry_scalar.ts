// The scalar build: every kernel that needs no SIMD128 (runs on any WebAssembly runtime).
export * from './common';
export * from './b1_pack';
export * from './generated/b1_bgemm_scalar';
export * from './f32_gemm_scalar';
export * from './f32_ops_scalar';
