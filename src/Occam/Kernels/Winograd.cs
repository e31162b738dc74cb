using System.Runtime.CompilerServices;

namespace Occam.Kernels;

/// <summary>
/// 3×3, stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016). Each 2×2 block of outputs (a tile) is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, where d is the
/// tile's 4×4 input patch and g the 3×3 kernel, so summed over the input channels the 16 element-wise products are 16
/// SGEMMs [out × in]·[in × tiles]: 16 multiply-adds per tile and channel pair where a direct convolution (im2col's
/// product) does 36, and no 9-fold column matrix is written and read. The transforms add and halve, so the sums
/// round differently from im2col's (the tests hold both to a double reference).
/// <para>Layouts: u[ξ, o, c] (16 × out × in), v[ξ, c, t] (16 × in × tiles), m[ξ, o, t] (16 × out × tiles), ξ = 4i + j the
/// element of the 4×4 transformed tile; tile t = (image·tilesH + th)·tilesW + tw covers outputs [2th, 2th + 2) ×
/// [2tw, 2tw + 2), those past the output's edge dropped.</para>
/// </summary>
internal static unsafe class Winograd
{
    /// <summary>Whether convolutions that fit use this algorithm (tests turn it off to compare with im2col).</summary>
    internal static bool Enabled = true;

    /// <summary>u[ξ, r, q] = (G g Gᵀ)[ξ] for the 3×3 kernel g = weight[r, q] of a [rows, cols, 3, 3] weight, or with
    /// <paramref name="flipped"/> g = weight[q, r] turned by 180° (a [cols, rows, 3, 3] weight): the kernel of the
    /// convolution that gives the input gradient.</summary>
    public static void TransformWeights(ReadOnlySpan<float> weight, int rows, int cols, bool flipped, Span<float> u)
    {
        Im2Col.CheckLength("Winograd", "weight", weight.Length, 9L * rows * cols);
        Im2Col.CheckLength("Winograd", "u", u.Length, 16L * rows * cols);
        int matrix = rows * cols;
        Span<float> g = stackalloc float[9];
        Span<float> t = stackalloc float[12];
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++)
            {
                var w = weight.Slice((flipped ? q * rows + r : r * cols + q) * 9, 9);
                for (int e = 0; e < 9; e++) g[e] = flipped ? w[8 - e] : w[e];
                // t = G g (4 × 3), then u = t Gᵀ (4 × 4); G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
                for (int k = 0; k < 3; k++)
                {
                    float g0 = g[k], g1 = g[3 + k], g2 = g[6 + k];
                    t[k] = g0;
                    t[3 + k] = (g0 + g1 + g2) * 0.5f;
                    t[6 + k] = (g0 - g1 + g2) * 0.5f;
                    t[9 + k] = g2;
                }
                int at = r * cols + q;
                for (int i = 0; i < 4; i++)
                {
                    float t0 = t[3 * i], t1 = t[3 * i + 1], t2 = t[3 * i + 2];
                    u[(4 * i) * matrix + at] = t0;
                    u[(4 * i + 1) * matrix + at] = (t0 + t1 + t2) * 0.5f;
                    u[(4 * i + 2) * matrix + at] = (t0 - t1 + t2) * 0.5f;
                    u[(4 * i + 3) * matrix + at] = t2;
                }
            }
    }

    /// <summary>
    /// y[n, o] (+)= bias[o] + the convolution of x[n] ([batch, inC, h, w]) with the transformed kernels u
    /// (<see cref="TransformWeights"/>, 16 × outC × inC), the input padded with (padH, padW) zeros, y [batch, outC, oh, ow].
    /// The images are split over the threads; each thread takes its tiles a block at a time, small enough that the
    /// block's transformed inputs and products stay in cache between the transforms and the products.
    /// </summary>
    public static void Convolve(float[] x, int batch, int inC, int h, int w, int padH, int padW,
        float[] u, int outC, int oh, int ow, float[]? bias, bool accumulate, float[] y)
    {
        Im2Col.CheckLength("Winograd", "x", x.Length, (long)batch * inC * h * w);
        Im2Col.CheckLength("Winograd", "y", y.Length, (long)batch * outC * oh * ow);
        Im2Col.CheckLength("Winograd", "u", u.Length, 16L * outC * inC);
        int tilesH = (oh + 1) / 2, tilesW = (ow + 1) / 2, perImage = tilesH * tilesW;
        int nr = Gemm.Tile.Cols;
        int block = Math.Clamp(8192 / (inC + outC) / nr * nr, nr, 256);
        var shape = new Tiling(inC, h, w, padH, padW, outC, oh, ow, tilesW, perImage);
        int chunks = Math.Min(Threads.Count, batch);
        Threads.For(chunks, chunk =>
        {
            // The 16 matrices of v and of m sit one line further apart than they would end to end: at a whole number of
            // pages apart, the transforms' 16 streams would all fall in the same sets of the L1 cache.
            var v = BufferPool.Rent(16 * (inC * block + 16));
            var m = BufferPool.Rent(16 * (outC * block + 16));
            int t1 = (int)((long)(chunk + 1) * batch / chunks) * perImage;
            for (int t0 = (int)((long)chunk * batch / chunks) * perImage; t0 < t1; t0 += block)
            {
                int count = Math.Min(block, t1 - t0), vStep = inC * count + 16, mStep = outC * count + 16;
                fixed (float* px = x, pv = v)
                    TransformInput(px, shape, t0, count, pv, vStep);
                for (int e = 0; e < 16; e++)
                    Gemm.Sgemm(false, false, outC, count, inC, u.AsSpan(e * outC * inC, outC * inC), inC,
                        v.AsSpan(e * vStep, inC * count), count, m.AsSpan(e * mStep, outC * count), count, accumulate: false);
                fixed (float* pm = m, py = y, pb = bias)
                    TransformOutput(pm, shape, t0, count, pb, accumulate, py, mStep);
            }
            BufferPool.Return(v);
            BufferPool.Return(m);
        });
    }

    readonly record struct Tiling(int InC, int H, int W, int PadH, int PadW, int OutC, int OH, int OW, int TilesW, int PerImage);

    /// <summary>v[ξ·step + c·count + j] = (Bᵀ d B)[ξ] of tile t0 + j's 4×4 patch d of channel c; Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
    /// The four input rows under a row of tiles are copied once, with the padding's zeros, so every tile reads its patch
    /// the same way.</summary>
    static void TransformInput(float* x, Tiling s, int t0, int count, float* v, nint step)
    {
        nint plane = (nint)s.H * s.W;
        int wp = 2 * s.TilesW + 2;
        float* rows = stackalloc float[4 * wp];
        for (int c = 0; c < s.InC; c++)
        {
            float* o = v + (nint)c * count;
            for (int t = t0, end = t0 + count; t < end;)
            {
                int n = t / s.PerImage, rest = t - n * s.PerImage, th = rest / s.TilesW, tw0 = rest - th * s.TilesW;
                int tw1 = Math.Min(s.TilesW, tw0 + end - t);
                CopyRows(x + ((nint)n * s.InC + c) * plane, s, 2 * th - s.PadH, rows, wp);
                for (int tw = tw0; tw < tw1; tw++, o++)
                {
                    float* p0 = rows + 2 * tw, p1 = p0 + wp, p2 = p1 + wp, p3 = p2 + wp;
                    // the rows of Bᵀ d, each times B
                    Columns(o, 0, step, p0[0] - p2[0], p0[1] - p2[1], p0[2] - p2[2], p0[3] - p2[3]);
                    Columns(o, 4, step, p1[0] + p2[0], p1[1] + p2[1], p1[2] + p2[2], p1[3] + p2[3]);
                    Columns(o, 8, step, p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2], p2[3] - p1[3]);
                    Columns(o, 12, step, p1[0] - p3[0], p1[1] - p3[1], p1[2] - p3[2], p1[3] - p3[3]);
                }
                t += tw1 - tw0;
            }
        }
    }

    // o[ξ·step] for ξ = at .. at + 3: the row (r0 r1 r2 r3) times B
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Columns(float* o, int at, nint step, float r0, float r1, float r2, float r3)
    {
        o[at * step] = r0 - r2;
        o[(at + 1) * step] = r1 + r2;
        o[(at + 2) * step] = r2 - r1;
        o[(at + 3) * step] = r1 - r3;
    }

    /// <summary>rows[i, q] = plane[y0 + i, q − padW], zero outside the plane, for i &lt; 4 and q &lt; wp.</summary>
    static void CopyRows(float* plane, Tiling s, int y0, float* rows, int wp)
    {
        int q0 = Math.Min(s.PadW, wp), q1 = Math.Clamp(s.PadW + s.W, q0, wp);
        for (int i = 0; i < 4; i++)
        {
            var row = new Span<float>(rows + i * wp, wp);
            int y = y0 + i;
            if ((uint)y >= (uint)s.H) { row.Clear(); continue; }
            row[..q0].Clear();
            new ReadOnlySpan<float>(plane + (nint)y * s.W + (q0 - s.PadW), q1 - q0).CopyTo(row[q0..]);
            row[q1..].Clear();
        }
    }

    /// <summary>The 2×2 outputs Aᵀ M A of each tile t0 + j and output channel o, M = m[ξ·step + o·count + j] over ξ, written (or added) to y
    /// with bias[o]; Aᵀ = [1 1 1 0; 0 1 −1 −1].</summary>
    static void TransformOutput(float* m, Tiling s, int t0, int count, float* bias, bool accumulate, float* y, nint step)
    {
        nint plane = (nint)s.OH * s.OW;
        for (int o = 0; o < s.OutC; o++)
        {
            float* e = m + (nint)o * count;
            float b = bias == null ? 0f : bias[o];
            for (int t = t0, end = t0 + count; t < end;)
            {
                int n = t / s.PerImage, rest = t - n * s.PerImage, th = rest / s.TilesW, tw0 = rest - th * s.TilesW;
                int tw1 = Math.Min(s.TilesW, tw0 + end - t);
                float* row = y + ((nint)n * s.OutC + o) * plane + (nint)(2 * th) * s.OW;
                bool down = 2 * th + 1 < s.OH;
                for (int tw = tw0; tw < tw1; tw++, e++)
                {
                    // rows: Aᵀ M, each over the 4 columns
                    float a0 = e[0] + e[4 * step] + e[8 * step], b0 = e[4 * step] - e[8 * step] - e[12 * step];
                    float a1 = e[step] + e[5 * step] + e[9 * step], b1 = e[5 * step] - e[9 * step] - e[13 * step];
                    float a2 = e[2 * step] + e[6 * step] + e[10 * step], b2 = e[6 * step] - e[10 * step] - e[14 * step];
                    float a3 = e[3 * step] + e[7 * step] + e[11 * step], b3 = e[7 * step] - e[11 * step] - e[15 * step];
                    // columns: (Aᵀ M) A
                    float y00 = a0 + a1 + a2, y01 = a1 - a2 - a3, y10 = b0 + b1 + b2, y11 = b1 - b2 - b3;
                    if (bias != null) { y00 += b; y01 += b; y10 += b; y11 += b; }
                    float* dst = row + 2 * tw;
                    bool right = 2 * tw + 1 < s.OW;
                    if (accumulate)
                    {
                        dst[0] += y00;
                        if (right) dst[1] += y01;
                        if (down) { dst[s.OW] += y10; if (right) dst[s.OW + 1] += y11; }
                    }
                    else
                    {
                        dst[0] = y00;
                        if (right) dst[1] = y01;
                        if (down) { dst[s.OW] = y10; if (right) dst[s.OW + 1] = y11; }
                    }
                }
                t += tw1 - tw0;
            }
        }
    }
}
