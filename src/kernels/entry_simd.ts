// The SIMD128 build: the scalar kernels plus the wasmsimd ones (selection may use either).
export * from './common';
export * from './b1_pack';
export * from './b1_pack_simd';
export * from './generated/b1_bgemm_scalar';
export * from './generated/b1_bgemm_simd';
export * from './f32_gemm_scalar';
export * from './f32_gemm_simd';
export * from './f32_ops_scalar';
export * from './f32_ops_simd';
