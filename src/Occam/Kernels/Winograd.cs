using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        var shape = Tiling.Of(inC, h, w, padH, padW, outC, oh, ow);
        int block = shape.Block, chunks = Math.Min(Threads.Count, batch);
        Threads.For(chunks, chunk =>
        {
            // The 16 matrices of v and of m sit one line further apart than they would end to end: at a whole number of
            // pages apart, the transforms' 16 streams would all fall in the same sets of the L1 cache.
            var v = BufferPool.Rent(16 * (inC * (block + 8) + 16));
            var m = BufferPool.Rent(16 * (outC * block + 16));
            var (first, t1) = shape.Share(chunk, chunks, batch);
            for (int t0 = first; t0 < t1; t0 += block)
            {
                int count = Math.Min(block, t1 - t0), ld = count + 8, vStep = inC * ld + 16, mStep = outC * count + 16;
                fixed (float* px = x, pv = v)
                    TransformInput(px, shape, t0, count, pv, ld, vStep);
                for (int e = 0; e < 16; e++)
                    Gemm.Sgemm(false, false, outC, count, inC, u.AsSpan(e * outC * inC, outC * inC), inC,
                        v.AsSpan(e * vStep, (inC - 1) * ld + count), ld, m.AsSpan(e * mStep, outC * count), count, accumulate: false);
                fixed (float* pm = m, py = y, pb = bias)
                    TransformOutput(pm, shape, t0, count, pb, accumulate, py, mStep);
            }
            BufferPool.Return(v);
            BufferPool.Return(m);
        });
    }

    /// <summary>
    /// dw[o, c] += the gradient of the 3×3 kernels of y = conv(x, w) (x [batch, inC, h, w] padded with (padH, padW) zeros,
    /// y [batch, outC, oh, ow]) for the output gradient g, by F(3×3, 2×2): each 2×2 tile of g with its 4×4 input patch
    /// d (the forward's) adds A′ᵀ[(G′ g G′ᵀ) ⊙ (B′ᵀ d B′)]A′ to the kernel's gradient, and summed over the tiles before the
    /// last transform, the 16 element-wise products are 16 SGEMMs [out × tiles]·[tiles × in]. B′ is the forward's B with
    /// its last column negated, so the tiles' transformed patches are the forward's and the signs go to A′. Each thread
    /// sums its images' tiles; the threads' sums are then added in order.
    /// </summary>
    public static void WeightGradient(float[] x, int batch, int inC, int h, int w, int padH, int padW,
        float[] g, int outC, int oh, int ow, Span<float> dw)
    {
        Im2Col.CheckLength("Winograd", "x", x.Length, (long)batch * inC * h * w);
        Im2Col.CheckLength("Winograd", "g", g.Length, (long)batch * outC * oh * ow);
        Im2Col.CheckLength("Winograd", "dw", dw.Length, 9L * outC * inC);
        var shape = Tiling.Of(inC, h, w, padH, padW, outC, oh, ow);
        int block = shape.Block, chunks = Math.Min(Threads.Count, batch), matrix = outC * inC;
        var sums = new float[chunks][];
        Threads.For(chunks, chunk =>
        {
            var v = BufferPool.Rent(16 * (inC * (block + 8) + 16));
            var gt = BufferPool.Rent(16 * (outC * (block + 8) + 16));
            var sum = sums[chunk] = BufferPool.RentZeroed(16 * matrix);
            var (first, t1) = shape.Share(chunk, chunks, batch);
            for (int t0 = first; t0 < t1; t0 += block)
            {
                int count = Math.Min(block, t1 - t0), ld = count + 8, vStep = inC * ld + 16, gStep = outC * ld + 16;
                fixed (float* px = x, pv = v, pg = g, pt = gt)
                {
                    TransformInput(px, shape, t0, count, pv, ld, vStep);
                    TransformGradient(pg, shape, t0, count, pt, ld, gStep);
                }
                for (int e = 0; e < 16; e++)
                    Gemm.Sgemm(false, true, outC, inC, count, gt.AsSpan(e * gStep, (outC - 1) * ld + count), ld,
                        v.AsSpan(e * vStep, (inC - 1) * ld + count), ld, sum.AsSpan(e * matrix, matrix), inC, accumulate: true);
            }
            BufferPool.Return(v);
            BufferPool.Return(gt);
        });
        var total = sums[0];
        for (int chunk = 1; chunk < chunks; chunk++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(total.AsSpan(0, 16 * matrix), sums[chunk].AsSpan(0, 16 * matrix), total);
            BufferPool.Return(sums[chunk]);
        }
        KernelGradients(total, matrix, dw);
        BufferPool.Return(total);
    }

    /// <summary>dw[r·9 + 3a + b] += (A′ᵀ M A′)[a, b] for each of the <paramref name="matrix"/> kernels r, M = sum[ξ·matrix + r]
    /// over ξ; A′ᵀ = [1 1 1 0; 0 1 −1 0; 0 1 1 −1].</summary>
    static void KernelGradients(float[] sum, int matrix, Span<float> dw)
    {
        Span<float> s = stackalloc float[12];
        for (int r = 0; r < matrix; r++)
        {
            // rows: A′ᵀ M, each over the 4 columns
            for (int k = 0; k < 4; k++)
            {
                float m0 = sum[k * matrix + r], m1 = sum[(4 + k) * matrix + r], m2 = sum[(8 + k) * matrix + r], m3 = sum[(12 + k) * matrix + r];
                s[k] = m0 + m1 + m2;
                s[4 + k] = m1 - m2;
                s[8 + k] = m1 + m2 - m3;
            }
            // columns: (A′ᵀ M) A′
            var kernel = dw.Slice(r * 9, 9);
            for (int a = 0; a < 3; a++)
            {
                float s0 = s[4 * a], s1 = s[4 * a + 1], s2 = s[4 * a + 2], s3 = s[4 * a + 3];
                kernel[3 * a] += s0 + s1 + s2;
                kernel[3 * a + 1] += s1 - s2;
                kernel[3 * a + 2] += s1 + s2 - s3;
            }
        }
    }

    /// <summary>gt[ξ·step + o·ld + j] = (G′ g G′ᵀ)[ξ] of tile t0 + j's 2×2 block g of output-gradient channel o (zero past
    /// the plane's edge); G′ = [1 0; ½ ½; ½ −½; 0 1]. Eight tiles at a time, the rows under up to 8 rows of tiles split
    /// at once, as <see cref="TransformInput"/>.</summary>
    static void TransformGradient(float* g, Tiling s, int t0, int count, float* gt, int ld, nint step)
    {
        nint plane = (nint)s.OH * s.OW;
        int half = s.TilesW + 1 + Vector256<float>.Count;
        int band = 32 * half <= 16384 ? 8 : 1; // tile rows split together, within 64 KB of stack
        float* split = stackalloc float[band * 4 * half];
        var halve = Vector256.Create(0.5f);
        // Image by image and band by band, the channels inner, as TransformInput
        for (int t = t0, end = t0 + count; t < end;)
        {
            var (n, first, th0, th1, bandEnd) = s.Band(t, end, band);
            for (int o = 0; o < s.OutC; o++)
            {
                if (o + Ahead < s.OutC) Prefetch(g + ((nint)n * s.OutC + o + Ahead) * plane, 2 * th0, 2 * (th1 - th0 + 1), s.OH, s.OW);
                SplitRows(g + ((nint)n * s.OutC + o) * plane, 2 * th0, 2 * (th1 - th0 + 1), s.OH, s.OW, 0, s.TilesW, split, half);
                float* dst = gt + (nint)o * ld + (t - t0);
                for (int th = th0; th <= th1; th++)
                {
                    int tw0 = th == th0 ? first - th * s.TilesW : 0, tw1 = th == th1 ? bandEnd - th * s.TilesW : s.TilesW;
                    float* rows = split + 4 * (th - th0) * half;
                    for (int tw = tw0; tw < tw1; tw += Vector256<float>.Count)
                    {
                        var g00 = Vector256.Load(rows + tw); var g01 = Vector256.Load(rows + half + tw);
                        var g10 = Vector256.Load(rows + 2 * half + tw); var g11 = Vector256.Load(rows + 3 * half + tw);
                        // the rows of G′ g, each times G′ᵀ
                        float* at = dst + (tw - tw0);
                        Halves(at, 0, step, g00, g01, halve);
                        Halves(at, 4, step, (g00 + g10) * halve, (g01 + g11) * halve, halve);
                        Halves(at, 8, step, (g00 - g10) * halve, (g01 - g11) * halve, halve);
                        Halves(at, 12, step, g10, g11, halve);
                    }
                    dst += tw1 - tw0;
                }
            }
            t = n * s.PerImage + bandEnd;
        }
    }

    // o[ξ·step] for ξ = at .. at + 3: the row (r0 r1) times G′ᵀ, for eight tiles
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Halves(float* o, int at, nint step, Vector256<float> r0, Vector256<float> r1, Vector256<float> halve)
    {
        r0.Store(o + at * step);
        ((r0 + r1) * halve).Store(o + (at + 1) * step);
        ((r0 - r1) * halve).Store(o + (at + 2) * step);
        r1.Store(o + (at + 3) * step);
    }

    readonly record struct Tiling(int InC, int H, int W, int PadH, int PadW, int OutC, int OH, int OW, int TilesW, int PerImage)
    {
        /// <summary>The 2×2 tiles of an oh × ow output.</summary>
        public static Tiling Of(int inC, int h, int w, int padH, int padW, int outC, int oh, int ow)
        {
            int tilesW = (ow + 1) / 2;
            return new(inC, h, w, padH, padW, outC, oh, ow, tilesW, (oh + 1) / 2 * tilesW);
        }

        /// <summary>Tiles a thread transforms and multiplies at a time: whole column panels of the kernel, small enough
        /// that their transformed inputs and products stay in L2 (80 for 32 channels in and 64 out).</summary>
        public int Block
        {
            get
            {
                int nr = Gemm.Tile.Cols;
                return Math.Clamp(8192 / (InC + OutC) / nr * nr, nr, 256);
            }
        }

        /// <summary>The band of tile rows that starts at tile t (of tiles [t, end)): its image n, t's place in that image
        /// (first), its tile rows th0 .. th1 (at most <paramref name="rows"/>, within the image and the range), and one past
        /// its last tile in the image (bandEnd; the next band starts at tile n·PerImage + bandEnd).</summary>
        public (int N, int First, int Th0, int Th1, int BandEnd) Band(int t, int end, int rows)
        {
            int n = t / PerImage, first = t - n * PerImage, last = Math.Min(end - n * PerImage, PerImage) - 1;
            int th0 = first / TilesW, th1 = Math.Min(last / TilesW, th0 + rows - 1);
            return (n, first, th0, th1, th1 == last / TilesW ? last + 1 : (th1 + 1) * TilesW);
        }

        /// <summary>The tiles [start, end) of thread chunk's share of the batch's images.</summary>
        public (int Start, int End) Share(int chunk, int chunks, int batch) =>
            ((int)((long)chunk * batch / chunks) * PerImage, (int)((long)(chunk + 1) * batch / chunks) * PerImage);
    }

    /// <summary>v[ξ·step + c·ld + j] = (Bᵀ d B)[ξ] of tile t0 + j's 4×4 patch d of channel c; Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
    /// Eight tiles of a row at a time: the input rows under a band of up to 7 rows of tiles are copied once (the bands'
    /// rows overlap by two, and a band reads each row once), with the padding's zeros, split into their even and odd
    /// columns, so that column k of every tile's patch is one 8-lane load. The last group of a row writes up to 7 lanes
    /// past its tiles: into the next tiles (written after it), or past the last tile into the 8 floats that end each
    /// row of v (ld = count + 8).</summary>
    static void TransformInput(float* x, Tiling s, int t0, int count, float* v, int ld, nint step)
    {
        nint plane = (nint)s.H * s.W;
        int half = s.TilesW + 1 + Vector256<float>.Count;
        int band = 32 * half <= 16384 ? 7 : 1; // tile rows split together, within 64 KB of stack
        float* split = stackalloc float[(2 * band + 2) * 2 * half];
        // Image by image and band by band, the channels inner: x is read in the order it is stored.
        for (int t = t0, end = t0 + count; t < end;)
        {
            var (n, first, th0, th1, bandEnd) = s.Band(t, end, band);
            for (int c = 0; c < s.InC; c++)
            {
                if (c + Ahead < s.InC) Prefetch(x + ((nint)n * s.InC + c + Ahead) * plane, 2 * th0 - s.PadH, 2 * (th1 - th0) + 4, s.H, s.W);
                SplitRows(x + ((nint)n * s.InC + c) * plane, 2 * th0 - s.PadH, 2 * (th1 - th0) + 4, s.H, s.W, s.PadW, s.TilesW + 1, split, half);
                float* o = v + (nint)c * ld + (t - t0);
                for (int th = th0; th <= th1; th++)
                {
                    int tw0 = th == th0 ? first - th * s.TilesW : 0, tw1 = th == th1 ? bandEnd - th * s.TilesW : s.TilesW;
                    float* rows = split + 4 * (th - th0) * half; // row i of the tile row's patches: rows + 2i·half, its odd columns half further
                    for (int tw = tw0; tw < tw1; tw += Vector256<float>.Count)
                    {
                        float* e0 = rows + tw, o0 = e0 + half, e1 = o0 + half, o1 = e1 + half, e2 = o1 + half, o2 = e2 + half, e3 = o2 + half, o3 = e3 + half;
                        // column k of the patches: k = 0 even, 1 odd, 2 the next even, 3 the next odd
                        var d00 = Vector256.Load(e0); var d01 = Vector256.Load(o0); var d02 = Vector256.Load(e0 + 1); var d03 = Vector256.Load(o0 + 1);
                        var d10 = Vector256.Load(e1); var d11 = Vector256.Load(o1); var d12 = Vector256.Load(e1 + 1); var d13 = Vector256.Load(o1 + 1);
                        var d20 = Vector256.Load(e2); var d21 = Vector256.Load(o2); var d22 = Vector256.Load(e2 + 1); var d23 = Vector256.Load(o2 + 1);
                        var d30 = Vector256.Load(e3); var d31 = Vector256.Load(o3); var d32 = Vector256.Load(e3 + 1); var d33 = Vector256.Load(o3 + 1);
                        // the rows of Bᵀ d, each times B
                        float* at = o + (tw - tw0);
                        Columns(at, 0, step, d00 - d20, d01 - d21, d02 - d22, d03 - d23);
                        Columns(at, 4, step, d10 + d20, d11 + d21, d12 + d22, d13 + d23);
                        Columns(at, 8, step, d20 - d10, d21 - d11, d22 - d12, d23 - d13);
                        Columns(at, 12, step, d10 - d30, d11 - d31, d12 - d32, d13 - d33);
                    }
                    o += tw1 - tw0;
                }
            }
            t = n * s.PerImage + bandEnd;
        }
    }

    // o[ξ·step] for ξ = at .. at + 3: the row (r0 r1 r2 r3) times B, for eight tiles
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Columns(float* o, int at, nint step, Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3)
    {
        (r0 - r2).Store(o + at * step);
        (r1 + r2).Store(o + (at + 1) * step);
        (r2 - r1).Store(o + (at + 2) * step);
        (r1 - r3).Store(o + (at + 3) * step);
    }

    /// <summary>How many planes ahead the transforms ask for the rows they will read or write next. Without it the first
    /// reads of x and g stalled on memory: on a Zen 5 core the row splits took 16 % of the CNN's step, `perf` put the
    /// samples on the instructions after their loads, and a second split of the same, cached, rows cost little. With the
    /// rows asked for four planes ahead (and the output rows too) the splits took 3.5 %.</summary>
    const int Ahead = 4;

    /// <summary>Asks for the cache lines of rows y0 .. y0 + rows − 1 of a height × width plane (those inside it).</summary>
    static void Prefetch(float* plane, int y0, int rows, int height, int width)
    {
        int first = Math.Max(y0, 0), end = Math.Min(y0 + rows, height);
        if (first < end) Prefetch(plane + (nint)first * width, (end - first) * width);
    }

    /// <summary>Asks for the cache lines of p[0 .. count).</summary>
    static void Prefetch(float* p, int count)
    {
        if (!Sse.IsSupported) return;
        byte* at = (byte*)p, last = (byte*)(p + count) - 1;
        for (; at <= last; at += 64) Sse.Prefetch0(at);
        Sse.Prefetch0(last);
    }

    /// <summary>Rows y0 .. y0 + rows − 1 of a height × width plane, padded with zeros, split: split[2i·half + k] = row i's
    /// padded column 2k, split[(2i + 1)·half + k] its column 2k + 1, for k &lt; pairs (padded column q is the plane's
    /// column q − pad).</summary>
    static void SplitRows(float* plane, int y0, int rows, int height, int width, int pad, int pairs, float* split, int half)
    {
        for (int i = 0; i < rows; i++)
        {
            float* even = split + 2 * i * half, odd = even + half;
            int y = y0 + i;
            if ((uint)y >= (uint)height)
            {
                new Span<float>(even, 2 * half).Clear();
                continue;
            }
            float* row = plane + (nint)y * width - pad;
            if (Avx2Paths)
            {
                SplitRow(row, pad, width, pairs, even, odd);
                continue;
            }
            for (int k = 0; k < pairs; k++)
            {
                int q = 2 * k;
                even[k] = (uint)(q - pad) < (uint)width ? row[q] : 0f;
                odd[k] = (uint)(q + 1 - pad) < (uint)width ? row[q + 1] : 0f;
            }
        }
    }

    /// <summary>Whether the rows are split and the outputs written with AVX2's masked loads, stores and shuffles rather than
    /// one element at a time (tests turn it off to run the portable loops; both give the same bits).</summary>
    internal static bool Avx2Paths = Avx2.IsSupported;

    /// <summary>even[k] = row[2k], odd[k] = row[2k + 1] for k &lt; pairs (rounded up to 8), where column q of row is read
    /// only when 0 ≤ q − pad &lt; width and is 0 elsewhere: 16 columns a step, the padding masked out of the loads (a
    /// masked lane is not read, so row may start before the plane).</summary>
    static void SplitRow(float* row, int pad, int width, int pairs, float* even, float* odd)
    {
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var limit = Vector256.Create((uint)width);
        for (int k = 0; k < pairs; k += 8)
        {
            int q = 2 * k;
            var columns = lanes + Vector256.Create(q - pad);
            var low = MaskLoad(row + q, Vector256.LessThan(columns.AsUInt32(), limit).AsSingle());
            var high = MaskLoad(row + q + 8, Vector256.LessThan((columns + Vector256.Create(8)).AsUInt32(), limit).AsSingle());
            // (l0 l2 h0 h2 | l4 l6 h4 h6), then the middle two 64-bit quarters swapped: l0 l2 l4 l6 h0 h2 h4 h6
            Avx2.Permute4x64(Avx.Shuffle(low, high, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle().Store(even + k);
            Avx2.Permute4x64(Avx.Shuffle(low, high, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle().Store(odd + k);
        }
    }

    /// <summary>dst[2i] (+)= left[i], dst[2i + 1] (+)= right[i] for the first <paramref name="columns"/> (≤ 16) places:
    /// the pairs interleaved, the stores masked to the row's end.</summary>
    static void WritePairs(float* dst, Vector256<float> left, Vector256<float> right, int columns, bool accumulate)
    {
        // (l0 r0 l1 r1 | l4 r4 l5 r5) and (l2 r2 l3 r3 | l6 r6 l7 r7), then their halves in order
        var low = Avx.UnpackLow(left, right);
        var high = Avx.UnpackHigh(left, right);
        var first = Avx.Permute2x128(low, high, 0x20);
        var second = Avx.Permute2x128(low, high, 0x31);
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var mask0 = Vector256.LessThan(lanes, Vector256.Create(columns)).AsSingle();
        var mask1 = Vector256.LessThan(lanes, Vector256.Create(columns - 8)).AsSingle();
        if (accumulate)
        {
            first += MaskLoad(dst, mask0);
            second += MaskLoad(dst + 8, mask1);
        }
        MaskStore(dst, mask0, first);
        MaskStore(dst + 8, mask1, second);
    }

    /// <summary>The lanes of p under the mask (all bits set), zeros elsewhere: AVX-512's move under a mask register where
    /// there is one, else AVX's masked load.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> MaskLoad(float* p, Vector256<float> mask) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.MaskLoad(p, mask, Vector256<float>.Zero) : Avx.MaskLoad(p, mask);

    /// <summary>value's lanes under the mask stored to p, the rest of p untouched (as <see cref="MaskLoad"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MaskStore(float* p, Vector256<float> mask, Vector256<float> value)
    {
        if (Avx512F.VL.IsSupported) Avx512F.VL.MaskStore(p, mask, value);
        else Avx.MaskStore(p, mask, value);
    }

    /// <summary>The 2×2 outputs Aᵀ M A of each tile t0 + j and output channel o, M = m[ξ·step + o·count + j] over ξ, written
    /// (or added) to y with bias[o]; Aᵀ = [1 1 1 0; 0 1 −1 −1]. Eight tiles at a time; the loads of a last group read
    /// past its tiles, at most into the 16 floats after the matrix.</summary>
    static void TransformOutput(float* m, Tiling s, int t0, int count, float* bias, bool accumulate, float* y, nint step)
    {
        nint plane = (nint)s.OH * s.OW;
        const int Lanes = 8;
        float* outputs = stackalloc float[4 * Lanes];
        for (int o = 0; o < s.OutC; o++)
        {
            float* e = m + (nint)o * count;
            var b = Vector256.Create(bias == null ? 0f : bias[o]);
            for (int t = t0, end = t0 + count; t < end;)
            {
                int n = t / s.PerImage, rest = t - n * s.PerImage, th = rest / s.TilesW, tw0 = rest - th * s.TilesW;
                int tw1 = Math.Min(s.TilesW, tw0 + end - t);
                float* row = y + ((nint)n * s.OutC + o) * plane + (nint)(2 * th) * s.OW;
                bool down = 2 * th + 1 < s.OH;
                if (o + Ahead < s.OutC) Prefetch(row + Ahead * plane, (down ? 2 : 1) * s.OW);
                float* group = e;
                for (int tw = tw0; tw < tw1; tw += Lanes, group += Lanes)
                {
                    // rows: Aᵀ M, each over the 4 columns
                    var m4 = Vector256.Load(group + 4 * step); var m5 = Vector256.Load(group + 5 * step); var m6 = Vector256.Load(group + 6 * step); var m7 = Vector256.Load(group + 7 * step);
                    var m8 = Vector256.Load(group + 8 * step); var m9 = Vector256.Load(group + 9 * step); var m10 = Vector256.Load(group + 10 * step); var m11 = Vector256.Load(group + 11 * step);
                    var a0 = Vector256.Load(group) + m4 + m8;
                    var a1 = Vector256.Load(group + step) + m5 + m9;
                    var a2 = Vector256.Load(group + 2 * step) + m6 + m10;
                    var a3 = Vector256.Load(group + 3 * step) + m7 + m11;
                    var b0 = m4 - m8 - Vector256.Load(group + 12 * step);
                    var b1 = m5 - m9 - Vector256.Load(group + 13 * step);
                    var b2 = m6 - m10 - Vector256.Load(group + 14 * step);
                    var b3 = m7 - m11 - Vector256.Load(group + 15 * step);
                    // columns: (Aᵀ M) A
                    Vector256<float> y00 = a0 + a1 + a2, y01 = a1 - a2 - a3, y10 = b0 + b1 + b2, y11 = b1 - b2 - b3;
                    if (bias != null) { y00 += b; y01 += b; y10 += b; y11 += b; }
                    int tiles = Math.Min(Lanes, tw1 - tw);
                    if (Avx2Paths)
                    {
                        int columns = Math.Min(2 * tiles, s.OW - 2 * tw);
                        WritePairs(row + 2 * tw, y00, y01, columns, accumulate);
                        if (down) WritePairs(row + s.OW + 2 * tw, y10, y11, columns, accumulate);
                        continue;
                    }
                    y00.Store(outputs); y01.Store(outputs + Lanes); y10.Store(outputs + 2 * Lanes); y11.Store(outputs + 3 * Lanes);
                    for (int i = 0; i < tiles; i++)
                    {
                        float* dst = row + 2 * (tw + i);
                        bool right = 2 * (tw + i) + 1 < s.OW;
                        if (accumulate)
                        {
                            dst[0] += outputs[i];
                            if (right) dst[1] += outputs[Lanes + i];
                            if (down) { dst[s.OW] += outputs[2 * Lanes + i]; if (right) dst[s.OW + 1] += outputs[3 * Lanes + i]; }
                        }
                        else
                        {
                            dst[0] = outputs[i];
                            if (right) dst[1] = outputs[Lanes + i];
                            if (down) { dst[s.OW] = outputs[2 * Lanes + i]; if (right) dst[s.OW + 1] = outputs[3 * Lanes + i]; }
                        }
                    }
                }
                e += tw1 - tw0;
                t += tw1 - tw0;
            }
        }
    }
}
