using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Occam.Kernels;

/// <summary>
/// Copies a block of A or B into the panel layout the micro-kernels read: a panel of width W is
/// [kc][W] (W values per k step, contiguous), zero-padded past the matrix edge. Which of the two
/// routines packs an operand depends only on whether its k index is contiguous, so one kernel
/// serves A·B, Aᵀ·B and A·Bᵀ.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// k contiguous in the source: dst[p·W + r] = src[r·ld + p] for r &lt; rows, p &lt; kc; rows ≤ W.
    /// A for A·B, B for A·Bᵀ. A transpose, done 8×8 at a time with AVX shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackRows(float* src, nint ld, int rows, int kc, int w, float* dst)
    {
        int r0 = 0;
        if (Avx.IsSupported)
        {
            int kc8 = kc & ~7;
            for (; r0 + 8 <= rows; r0 += 8)
            {
                float* s = src + r0 * ld;
                float* d = dst + r0;
                for (int p = 0; p < kc8; p += 8)
                    Transpose8x8(s + p, ld, d + (nint)p * w, w);
                for (int p = kc8; p < kc; p++)
                    for (int r = 0; r < 8; r++)
                        d[(nint)p * w + r] = s[r * ld + p];
            }
        }
        for (int p = 0; p < kc; p++)
        {
            float* d = dst + (nint)p * w;
            for (int r = r0; r < rows; r++) d[r] = src[r * ld + p];
            for (int r = rows; r < w; r++) d[r] = 0;
        }
    }

    /// <summary>
    /// The W index contiguous in the source: dst[p·W + j] = src[p·ld + j] for j &lt; cols, p &lt; kc;
    /// cols ≤ W. B for A·B, A for Aᵀ·B. A row-by-row copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackCols(float* src, nint ld, int cols, int kc, int w, float* dst)
    {
        if (cols == w && (w & 7) == 0 && Vector256.IsHardwareAccelerated)
        {
            for (int p = 0; p < kc; p++, src += ld, dst += w)
                for (int j = 0; j < w; j += 8)
                    Vector256.Store(Vector256.Load(src + j), dst + j);
            return;
        }
        for (int p = 0; p < kc; p++, src += ld, dst += w)
        {
            int j = 0;
            for (; j < cols; j++) dst[j] = src[j];
            for (; j < w; j++) dst[j] = 0;
        }
    }

    /// <summary>dst[j·ldd + i] = src[i·ld + j] for an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, nint ld, float* dst, nint ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + ld);
        var r2 = Avx.LoadVector256(src + 2 * ld);
        var r3 = Avx.LoadVector256(src + 3 * ld);
        var r4 = Avx.LoadVector256(src + 4 * ld);
        var r5 = Avx.LoadVector256(src + 5 * ld);
        var r6 = Avx.LoadVector256(src + 6 * ld);
        var r7 = Avx.LoadVector256(src + 7 * ld);
        // t: pairs of rows interleaved; s: columns j and j+4 of four rows; then join the halves.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(s3, s7, 0x31));
    }
}
