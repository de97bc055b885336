// The kernel bodies, written once over 8-float vectors and inlined into every variant
// (Variants.c), whose target attribute decides the instructions: an fma below becomes vfmadd…ps
// under AVX2+FMA, fmla on aarch64, and a correctly rounded `fmaf` call per lane on baseline x86-64,
// so every variant gives the same bits.
//
// Bit-identity with the engine's Swift code, which this replaced (SIMD8<Float>.addingProduct):
// clang would contract `a*b + c` into an FMA on its own; FP_CONTRACT OFF keeps every unfused
// formula unfused, so FMA happens only where `fma8` is written, in the Swift code's order.
#pragma STDC FP_CONTRACT OFF
// The vector helpers pass 32-byte vectors by value; they are always inlined, so the ABI the
// warning is about never applies.
#pragma clang diagnostic ignored "-Wpsabi"

#include <string.h>

typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32), aligned(4)));

#define TLK_INLINE static inline __attribute__((always_inline))

TLK_INLINE v8 load8(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
TLK_INLINE void store8(v8 v, float *p) { memcpy(p, &v, sizeof v); }
TLK_INLINE v8 splat8(float s) { return (v8){s, s, s, s, s, s, s, s}; }
TLK_INLINE v8 fma8(v8 a, v8 b, v8 c) { return __builtin_elementwise_fma(a, b, c); }

/// `lanes` floats from `p` (8 for a full group), the rest from `padding`.
TLK_INLINE v8 load_partial8(const float *p, long lanes, v8 padding) {
    if (lanes == 8) return load8(p);
    float t[8];
    store8(padding, t);
    for (long i = 0; i < lanes; i++) t[i] = p[i];
    return load8(t);
}

enum tile_source { A_PACKED_B_PACKED, A_PACKED_B_OFFSETS, A_ROWS_B_PACKED };

/// One C row of the tile: `c = alpha·acc + beta·c` as `acc·alpha` or `c·beta + acc·alpha`, unfused.
/// The edge path uses the same formula, so a C element's value does not depend on whether it fell in
/// a full or an edge tile.
TLK_INLINE void store_row(v8 lo, v8 hi, float *c, float alpha, float beta) {
    if (beta == 0) {
        store8(lo * alpha, c);
        store8(hi * alpha, c + 8);
    } else {
        store8(load8(c) * beta + lo * alpha, c);
        store8(load8(c + 8) * beta + hi * alpha, c + 8);
    }
}

/// The 6x16 register tile, 12 accumulators (AVX2: 12 of the 16 ymm registers, leaving two for B and
/// one for the A broadcast). `source` is a constant in each caller, so its branches fold away.
TLK_INLINE void tile_body(enum tile_source source, long kc, const float *a, const float *const *a_rows,
                          const float *b, const long *offsets, float *c, long ldc, long rows, long cols,
                          float alpha, float beta) {
    v8 acc[12] = {{0}};
    for (long p = 0; p < kc; p++) {
        const float *pb = source == A_PACKED_B_OFFSETS ? b + offsets[p] : b + 16 * p;
        v8 b0 = load8(pb), b1 = load8(pb + 8);
        for (int r = 0; r < 6; r++) {
            v8 av = splat8(source == A_ROWS_B_PACKED ? a_rows[r][p] : a[6 * p + r]);
            acc[2 * r] = fma8(av, b0, acc[2 * r]);
            acc[2 * r + 1] = fma8(av, b1, acc[2 * r + 1]);
        }
    }
    if (rows == 6 && cols == 16) {
        for (int r = 0; r < 6; r++) store_row(acc[2 * r], acc[2 * r + 1], c + r * ldc, alpha, beta);
        return;
    }
    float t[96];
    for (int r = 0; r < 12; r++) store8(acc[r], t + 8 * r);
    for (long i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        for (long j = 0; j < cols; j++)
            row[j] = beta == 0 ? t[i * 16 + j] * alpha : row[j] * beta + t[i * 16 + j] * alpha;
    }
}

TLK_INLINE void moments_add_body(float *sums, float *squares, const float *values, long count) {
    v8 s = load8(sums), q = load8(squares);
    for (long t = 0; t < count; t += 8) {
        v8 v = load_partial8(values + t, count - t < 8 ? count - t : 8, splat8(0));
        s += v;
        q = fma8(v, v, q);
    }
    store8(s, sums);
    store8(q, squares);
}

TLK_INLINE void squared_deviations_body(float *lanes, const float *values, long count, const float *mean) {
    v8 m = load8(mean), acc = splat8(0);
    for (long t = 0; t < count; t += 8) {
        v8 d = load_partial8(values + t, count - t < 8 ? count - t : 8, m) - m;  // padded lanes add 0
        acc = fma8(d, d, acc);
    }
    store8(acc, lanes);
}

TLK_INLINE void batchnorm_gradient_sums_body(float *dz, float *dz_centred, const float *x, const float *dy,
                                             long count, const float *mean, const float *scale,
                                             const float *shift, int relu) {
    v8 m = load8(mean), s = load8(scale), h = load8(shift), sum = splat8(0), centred = splat8(0);
    for (long t = 0; t < count; t += 8) {
        long lanes = count - t < 8 ? count - t : 8;
        v8 xv = load_partial8(x + t, lanes, splat8(0)), d = load_partial8(dy + t, lanes, splat8(0));
        if (relu) {
            // The forward's BatchNorm→ReLU test, x·scale + shift > 0 unfused (Engine's affineReLUPasses):
            // where it failed (or is NaN) the gradient is +0.
            v8i passes = (xv * s + h) > 0;
            d = (v8)((v8i)d & passes);
        }
        sum += d;
        centred = fma8(d, xv - m, centred);
    }
    store8(sum, dz);
    store8(centred, dz_centred);
}
