// The engine's FMA kernels, compiled once per instruction set and chosen at run time (see
// docs/engine.md, "Kernel paths"). Every variant computes the same bits: FMA exactly where the
// formulas below say fma, every other product and sum unfused, in the same order.
#ifndef ENGINE_KERNELS_H
#define ENGINE_KERNELS_H

#pragma clang assume_nonnull begin

/// An instruction-set variant of the kernels.
typedef enum {
    /// Any CPU: SSE2 on x86-64 (each fma a correctly rounded `fmaf` call), the compiler's baseline elsewhere.
    TLK_PATH_PORTABLE = 0,
    /// x86-64 with AVX2 and FMA (x86-64-v3): 8-lane ymm vectors, vfmadd…ps.
    TLK_PATH_AVX2 = 1,
    /// aarch64: NEON, whose fmla is baseline there.
    TLK_PATH_NEON = 2,
} tlk_path;

/// One variant's kernels. Shapes and formulas:
///
/// - `tile_packed`: C[rows×cols] = alpha·(A·B) + beta·C for one 6x16 tile (`rows` ≤ 6, `cols` ≤ 16).
///   A packed: row r at depth p is `a[6p + r]`; B packed: the 16 floats of step p at `b + 16p`.
///   Each C element is fma(a, b, acc) over p = 0..<kc from 0, then `acc·alpha` (beta 0: old C
///   never read, it may be garbage) or `c·beta + acc·alpha`, unfused.
/// - `tile_offsets`: the same with B's step p at `b + offsets[p]` (16 readable floats each).
/// - `tile_rows`: the same with A unpacked: row r at depth p is `a_rows[r][p]` (6 row pointers).
/// - `moments_add`: for each group of 8 of `values[0..<count]` (the last zero-padded):
///   sums += v; squares = fma(v, v, squares).
/// - `squared_deviations`: lanes = 0, then for each group of 8 of `values[0..<count]` (the last
///   padded with `mean`'s lanes): d = v − mean; lanes = fma(d, d, lanes).
/// - `batchnorm_gradient_sums`: dz = 0, dz_centred = 0, then for each group of 8 of x and dy
///   (zero-padded): d = dy, or with `relu` dy where x·scale + shift > 0 and +0 elsewhere;
///   dz += d; dz_centred = fma(d, x − mean, dz_centred).
typedef struct {
    void (*tile_packed)(long kc, const float *a, const float *b, float *c, long ldc, long rows, long cols,
                        float alpha, float beta);
    void (*tile_offsets)(long kc, const float *a, const float *b, const long *offsets, float *c, long ldc,
                         long rows, long cols, float alpha, float beta);
    void (*tile_rows)(long kc, const float *_Nonnull const *_Nonnull a_rows, const float *b, float *c, long ldc,
                      long rows, long cols, float alpha, float beta);
    void (*moments_add)(float *sums, float *squares, const float *values, long count);
    void (*squared_deviations)(float *lanes, const float *values, long count, const float *mean);
    void (*batchnorm_gradient_sums)(float *dz, float *dz_centred, const float *x, const float *dy, long count,
                                    const float *mean, const float *scale, const float *shift, int relu);
} tlk_kernels;

/// Whether this build has `path` and this CPU (and its OS) can run it.
int tlk_path_runs_here(tlk_path path);

/// `path`'s kernels, or NULL when `tlk_path_runs_here(path)` is false.
const tlk_kernels *_Nullable tlk_kernels_for(tlk_path path);

/// The kernels the engine calls, NULL until `tlk_activate` (the engine activates on first use).
const tlk_kernels *_Nullable tlk_active(void);

/// Makes `kernels` the active variant for every thread.
void tlk_activate(const tlk_kernels *kernels);

#pragma clang assume_nonnull end

#endif
