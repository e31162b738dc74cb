using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Occam.Kernels;

// Fully unrolled so every accumulator stays in a register; the kernels share one pattern, edit them alike.
/// <summary>
/// Register-blocked SGEMM micro-kernels over packed panels (see <see cref="GemmPacking"/>): A panel
/// [kc][MR], B panel [kc][NR], C tile MR×NR with row stride ldc. overwrite: C = tile, else C += tile.
/// </summary>
internal static unsafe class GemmMicroKernels
{
    /// <summary>C[8×32] (+)= Σ_p a[p·8 + r]·b[p·32 + j] over packed panels; Vector512 FMA, accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel8x32(int kc, float* a, float* b, float* c, nint ldc, bool overwrite)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        PrefetchTile8x32(c, ldc);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(a4, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(a5, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(a6, b0, c60); c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(a7, b0, c70); c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += 8;
            b += 32;
        }
        StoreTile8x32(c, ldc, overwrite, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
    }

    /// <summary>C[8×32] (+)= Σ_p a[r·lda + p]·b[p·32 + j] with the 8 rows of a row-major A read where they are stored,
    /// not packed: the same sums in the same order as <see cref="Kernel8x32"/> over the packed panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel8x32Rows(int kc, float* a, nint lda, float* b, float* c, nint ldc, bool overwrite)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        PrefetchTile8x32(c, ldc);
        float* r0 = a, r1 = a + lda, r2 = a + 2 * lda, r3 = a + 3 * lda, r4 = a + 4 * lda, r5 = a + 5 * lda, r6 = a + 6 * lda, r7 = a + 7 * lda;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(r0[p]); c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(r1[p]); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(r2[p]); c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(r3[p]); c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(r4[p]); c40 = Vector512.FusedMultiplyAdd(a4, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(r5[p]); c50 = Vector512.FusedMultiplyAdd(a5, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(r6[p]); c60 = Vector512.FusedMultiplyAdd(a6, b0, c60); c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(r7[p]); c70 = Vector512.FusedMultiplyAdd(a7, b0, c70); c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            b += 32;
        }
        StoreTile8x32(c, ldc, overwrite, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
    }

    // The tile is written once per kc steps; fetch its lines while the FMAs run.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PrefetchTile8x32(float* c, nint ldc)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < 8; r++) { Sse.Prefetch0(c + r * ldc); Sse.Prefetch0(c + r * ldc + 31); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreTile8x32(float* c, nint ldc, bool overwrite,
        Vector512<float> c00, Vector512<float> c01, Vector512<float> c10, Vector512<float> c11, Vector512<float> c20, Vector512<float> c21,
        Vector512<float> c30, Vector512<float> c31, Vector512<float> c40, Vector512<float> c41, Vector512<float> c50, Vector512<float> c51,
        Vector512<float> c60, Vector512<float> c61, Vector512<float> c70, Vector512<float> c71)
    {
        if (overwrite)
        {
            c00.Store(c); c01.Store(c + 16);
            c10.Store(c + ldc); c11.Store(c + ldc + 16);
            c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
            c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
            c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
            c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
            c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16);
            c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
        }
        else
        {
            (c00 + Vector512.Load(c)).Store(c); (c01 + Vector512.Load(c + 16)).Store(c + 16);
            (c10 + Vector512.Load(c + ldc)).Store(c + ldc); (c11 + Vector512.Load(c + ldc + 16)).Store(c + ldc + 16);
            (c20 + Vector512.Load(c + 2 * ldc)).Store(c + 2 * ldc); (c21 + Vector512.Load(c + 2 * ldc + 16)).Store(c + 2 * ldc + 16);
            (c30 + Vector512.Load(c + 3 * ldc)).Store(c + 3 * ldc); (c31 + Vector512.Load(c + 3 * ldc + 16)).Store(c + 3 * ldc + 16);
            (c40 + Vector512.Load(c + 4 * ldc)).Store(c + 4 * ldc); (c41 + Vector512.Load(c + 4 * ldc + 16)).Store(c + 4 * ldc + 16);
            (c50 + Vector512.Load(c + 5 * ldc)).Store(c + 5 * ldc); (c51 + Vector512.Load(c + 5 * ldc + 16)).Store(c + 5 * ldc + 16);
            (c60 + Vector512.Load(c + 6 * ldc)).Store(c + 6 * ldc); (c61 + Vector512.Load(c + 6 * ldc + 16)).Store(c + 6 * ldc + 16);
            (c70 + Vector512.Load(c + 7 * ldc)).Store(c + 7 * ldc); (c71 + Vector512.Load(c + 7 * ldc + 16)).Store(c + 7 * ldc + 16);
        }
    }

    /// <summary>C[6×16] (+)= Σ_p a[p·6 + r]·b[p·16 + j] over packed panels; Vector256 FMA, accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel6x16(int kc, float* a, float* b, float* c, nint ldc, bool overwrite)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0); var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(a0, b0, c00); c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(a1, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(a2, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(a3, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(a4, b0, c40); c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(a5, b0, c50); c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }
        StoreTile6x16(c, ldc, overwrite, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    /// <summary>C[6×16] (+)= Σ_p a[r·lda + p]·b[p·16 + j] with the 6 rows of a row-major A read where they are stored,
    /// not packed: the same sums in the same order as <see cref="Kernel6x16"/> over the packed panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel6x16Rows(int kc, float* a, nint lda, float* b, float* c, nint ldc, bool overwrite)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* r0 = a, r1 = a + lda, r2 = a + 2 * lda, r3 = a + 3 * lda, r4 = a + 4 * lda, r5 = a + 5 * lda;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0); var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(r0[p]); c00 = Vector256.FusedMultiplyAdd(a0, b0, c00); c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(r1[p]); c10 = Vector256.FusedMultiplyAdd(a1, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(r2[p]); c20 = Vector256.FusedMultiplyAdd(a2, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(r3[p]); c30 = Vector256.FusedMultiplyAdd(a3, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(r4[p]); c40 = Vector256.FusedMultiplyAdd(a4, b0, c40); c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(r5[p]); c50 = Vector256.FusedMultiplyAdd(a5, b0, c50); c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            b += 16;
        }
        StoreTile6x16(c, ldc, overwrite, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreTile6x16(float* c, nint ldc, bool overwrite,
        Vector256<float> c00, Vector256<float> c01, Vector256<float> c10, Vector256<float> c11, Vector256<float> c20, Vector256<float> c21,
        Vector256<float> c30, Vector256<float> c31, Vector256<float> c40, Vector256<float> c41, Vector256<float> c50, Vector256<float> c51)
    {
        if (overwrite)
        {
            c00.Store(c); c01.Store(c + 8);
            c10.Store(c + ldc); c11.Store(c + ldc + 8);
            c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
            c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
            c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
            c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
        }
        else
        {
            (c00 + Vector256.Load(c)).Store(c); (c01 + Vector256.Load(c + 8)).Store(c + 8);
            (c10 + Vector256.Load(c + ldc)).Store(c + ldc); (c11 + Vector256.Load(c + ldc + 8)).Store(c + ldc + 8);
            (c20 + Vector256.Load(c + 2 * ldc)).Store(c + 2 * ldc); (c21 + Vector256.Load(c + 2 * ldc + 8)).Store(c + 2 * ldc + 8);
            (c30 + Vector256.Load(c + 3 * ldc)).Store(c + 3 * ldc); (c31 + Vector256.Load(c + 3 * ldc + 8)).Store(c + 3 * ldc + 8);
            (c40 + Vector256.Load(c + 4 * ldc)).Store(c + 4 * ldc); (c41 + Vector256.Load(c + 4 * ldc + 8)).Store(c + 4 * ldc + 8);
            (c50 + Vector256.Load(c + 5 * ldc)).Store(c + 5 * ldc); (c51 + Vector256.Load(c + 5 * ldc + 8)).Store(c + 5 * ldc + 8);
        }
    }

    /// <summary>Portable fallback: a 4×4 tile with scalar multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel4x4(int kc, float* a, float* b, float* c, nint ldc, bool overwrite)
    {
        float* acc = stackalloc float[16];
        for (int i = 0; i < 16; i++) acc[i] = 0;
        for (int p = 0; p < kc; p++, a += 4, b += 4)
            for (int r = 0; r < 4; r++)
                for (int j = 0; j < 4; j++)
                    acc[r * 4 + j] = MathF.FusedMultiplyAdd(a[r], b[j], acc[r * 4 + j]);
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 4; j++)
                c[r * ldc + j] = overwrite ? acc[r * 4 + j] : c[r * ldc + j] + acc[r * 4 + j];
    }
}
