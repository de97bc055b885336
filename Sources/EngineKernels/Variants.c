// Every variant of the kernels: the bodies of KernelBodies.h inlined into functions compiled for one
// instruction set each. Adding a variant (say AVX-512) is one TLK_VARIANT line here, one case in
// tlk_path_runs_here (Dispatch.c) and one KernelPath case in Swift.
#include "EngineKernels.h"
#include "KernelBodies.h"

#define TLK_VARIANT(name, attributes)                                                                          \
    attributes static void tile_packed_##name(long kc, const float *a, const float *b, float *c, long ldc,     \
                                              long rows, long cols, float alpha, float beta) {                 \
        tile_body(A_PACKED_B_PACKED, kc, a, 0, b, 0, c, ldc, rows, cols, alpha, beta);                         \
    }                                                                                                          \
    attributes static void tile_offsets_##name(long kc, const float *a, const float *b, const long *offsets,   \
                                               float *c, long ldc, long rows, long cols, float alpha,          \
                                               float beta) {                                                   \
        tile_body(A_PACKED_B_OFFSETS, kc, a, 0, b, offsets, c, ldc, rows, cols, alpha, beta);                  \
    }                                                                                                          \
    attributes static void tile_rows_##name(long kc, const float *const *a_rows, const float *b, float *c,     \
                                            long ldc, long rows, long cols, float alpha, float beta) {         \
        tile_body(A_ROWS_B_PACKED, kc, 0, a_rows, b, 0, c, ldc, rows, cols, alpha, beta);                      \
    }                                                                                                          \
    attributes static void moments_add_##name(float *sums, float *squares, const float *values, long count) { \
        moments_add_body(sums, squares, values, count);                                                        \
    }                                                                                                          \
    attributes static void squared_deviations_##name(float *lanes, const float *values, long count,            \
                                                     const float *mean) {                                      \
        squared_deviations_body(lanes, values, count, mean);                                                   \
    }                                                                                                          \
    attributes static void batchnorm_gradient_sums_##name(float *dz, float *dz_centred, const float *x,        \
                                                          const float *dy, long count, const float *mean,      \
                                                          const float *scale, const float *shift, int relu) {  \
        batchnorm_gradient_sums_body(dz, dz_centred, x, dy, count, mean, scale, shift, relu);                  \
    }                                                                                                          \
    const tlk_kernels tlk_kernels_##name = {                                                                   \
        tile_packed_##name, tile_offsets_##name, tile_rows_##name,                                             \
        moments_add_##name, squared_deviations_##name, batchnorm_gradient_sums_##name,                         \
    };

#if defined(__x86_64__)
TLK_VARIANT(avx2, __attribute__((target("avx2,fma"))))
TLK_VARIANT(portable, )
#elif defined(__aarch64__)
TLK_VARIANT(neon, )
#else
TLK_VARIANT(portable, )
#endif
