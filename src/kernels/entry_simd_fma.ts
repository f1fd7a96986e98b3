// The relaxed-SIMD build: the SIMD128 build with the float GEMM tiles doing one f32x4.relaxed_madd per depth step
// (same exports). Chosen only where relaxed_madd is fused (src/backend/features.ts), so it equals the reference.
export * from './common';
export * from './b1_pack';
export * from './b1_pack_simd';
export * from './generated/b1_bgemm_scalar';
export * from './generated/b1_bgemm_simd';
export * from './f32_gemm_scalar';
export * from './f32_gemm_simd_fma';
export * from './f32_ops_scalar';
export * from './f32_ops_simd';
