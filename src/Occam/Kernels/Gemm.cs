namespace Occam.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major matrices:
/// C[m×n] = op(A)·op(B) (+ C when accumulate), op = identity or transpose.
/// PLACEHOLDER: naive reference until the packed, blocked kernel lands.
/// </summary>
public static class Gemm
{
    /// <param name="transA">A is stored as [k×m] (use Aᵀ) instead of [m×k].</param>
    /// <param name="transB">B is stored as [n×k] (use Bᵀ) instead of [k×n].</param>
    /// <param name="lda">row stride of A as stored</param>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
            }
    }
}
