// Single-precision matrix multiply, C = alpha·op(A)·op(B) + beta·C, row-major.
// PLACEHOLDER BODY: the packed, cache-blocked SIMD implementation replaces this loop (kernels branch).

/// C[m×n] = alpha·op(A)·op(B) + beta·C. Row-major; `op(X)` is X or its transpose; `lda`, `ldb`, `ldc`
/// are the row strides of A, B, C as stored.
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var sum: Float = 0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                sum += av * bv
            }
            c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
        }
    }
}
