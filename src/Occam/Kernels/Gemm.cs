using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major matrices:
/// C[m×n] = op(A)·op(B) (+ C when accumulate), op = identity or transpose.
/// The GotoBLAS/BLIS design: B is packed kc×nr panels at a time, A mc×kc at a time (packing does
/// the transposes, so one register-blocked FMA micro-kernel serves every variant), and the column
/// or row range of C is split across <see cref="Threads"/>. Each element of C is computed by the
/// same sequence of operations whatever the thread count, so results are bit-identical across
/// thread counts.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Which micro-kernel runs; chosen from the hardware, settable by tests.</summary>
    internal enum KernelKind { Scalar, Vector256, Vector512 }

    /// <summary>Tile (mr×nr) and cache blocks (kc, mc, nc) of one micro-kernel.</summary>
    internal readonly record struct Blocking(KernelKind Kind, int Mr, int Nr, int Kc, int Mc, int Nc);

    // kc·nr·4 bytes of B panel stay in L1 (48 KiB on Zen 4/5), mc·kc·4 of A in L2, kc·nc·4 of B in L3.
    static readonly Blocking Blocking512 = new(KernelKind.Vector512, 8, 32, 256, 128, 2048);
    static readonly Blocking Blocking256 = new(KernelKind.Vector256, 6, 16, 256, 120, 2048);
    static readonly Blocking BlockingScalar = new(KernelKind.Scalar, 4, 4, 256, 128, 512);

    /// <summary>m·n·k at or below which a direct loop beats packing (measured: 8×8×8 breaks even).</summary>
    const long DirectProduct = 512;

    /// <summary>m·n·k each thread must get for another thread to pay (measured: 96³ gains from two, 80³ does not).</summary>
    const long ProductPerThread = 400_000;

    static Blocking _blocking = Detect();

    static Blocking Detect() =>
        Vector512.IsHardwareAccelerated ? Blocking512
        : Vector256.IsHardwareAccelerated ? Blocking256
        : BlockingScalar;

    /// <summary>Forces a micro-kernel (tests run every path the hardware supports).</summary>
    internal static KernelKind Kernel
    {
        get => _blocking.Kind;
        set => _blocking = value switch
        {
            KernelKind.Vector512 => Blocking512,
            KernelKind.Vector256 => Blocking256,
            _ => BlockingScalar,
        };
    }

    /// <summary>The micro-kernel's tile: rows × columns of C it computes at a time, for callers choosing between a product
    /// and its transpose.</summary>
    internal static (int Rows, int Cols) Tile => (_blocking.Mr, _blocking.Nr);

    /// <summary>C[m×n] = op(A)·op(B), or C += op(A)·op(B) when accumulate; all row-major. An
    /// <paramref name="epilogue"/> (not with accumulate) is applied to each element as it is written.</summary>
    /// <param name="transA">A is stored as [k×m] (use Aᵀ) instead of [m×k].</param>
    /// <param name="transB">B is stored as [n×k] (use Bᵀ) instead of [k×n].</param>
    /// <param name="lda">row stride of A as stored</param>
    /// <param name="ldb">row stride of B as stored</param>
    /// <param name="ldc">row stride of C</param>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate, GemmEpilogue epilogue = default) =>
        Sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, epilogue, null);

    /// <summary><see cref="Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, bool, GemmEpilogue)"/>
    /// with op(B) already packed by <see cref="Pack"/> (from the same b): the blocked path reads its panels instead of
    /// packing B again; the result is the same.</summary>
    /// <param name="splitRows">split across threads by whole row panels of C rather than by columns, unless n &gt; 2m
    /// (each thread would then pack much more of B than it saves of A): for a weight gradient [out, in], whose rows the
    /// optimizer then updates in the same contiguous shares (<c>AdamStep</c>), so each core reads the gradient it wrote.
    /// Split by columns, the two cores also wrote the two halves of every row at once, and in stretches when this
    /// machine's two virtual cores sit on different chiplets (`occam bench cores`) a shared line costs ~4× as much: the
    /// MLP's training step at 2 threads ran 1.377 against 1.416 ms (median of 12) in such a stretch split by rows, alike
    /// in the others. The result does not depend on the split.</param>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate, GemmEpilogue epilogue, PackedB? packedB, bool splitRows = false)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Sgemm: sizes must be non-negative, got m={m}, n={n}, k={k}");
        CheckOperand("A", a.Length, transA ? k : m, transA ? m : k, lda, "lda");
        CheckOperand("B", b.Length, transB ? n : k, transB ? k : n, ldb, "ldb");
        CheckOperand("C", c.Length, m, n, ldc, "ldc");
        epilogue.Check(n, accumulate);
        if (m == 0 || n == 0) return;

        fixed (float* pa = a, pb = b, pc = c, bias = epilogue.Bias, scale = epilogue.Scale, shift = epilogue.Shift)
        {
            var output = new Epilogue(bias, scale, shift, epilogue.Relu, !epilogue.IsEmpty); // an empty span fixes as null
            if (k == 0)
            {
                if (!accumulate)
                    for (int i = 0; i < m; i++) { c.Slice(i * ldc, n).Clear(); output.Apply(pc + i * ldc, 0, 1, n, 0); }
                return;
            }
            long product = (long)m * n * k;
            var blocking = _blocking;
            switch (Choose(blocking, transA, transB, m, n, k))
            {
                case Path.Direct:
                    Direct(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, output);
                    return;
                case Path.DotRows:
                    DotRows.Run(m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, output, (int)Math.Clamp(product / ProductPerThread, 1, Threads.Available));
                    return;
            }
            var job = new Job(blocking, transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, output);
            job.DirectA = blocking.Kind != KernelKind.Scalar && !transA && InPlaceA;
            if (packedB != null)
            {
                if (packedB.N != n || packedB.K != k || packedB.Blocking != blocking)
                    throw new ArgumentException($"Sgemm: B was packed as {packedB.K}×{packedB.N} for the {packedB.Blocking.Kind} kernel, the product needs {k}×{n} on the {blocking.Kind} kernel");
                job.Prepacked = packedB.Data;
            }
            int threads = (int)Math.Clamp(product / ProductPerThread, 1, Threads.Available);
            if (threads == 1)
            {
                job.Compute(0, m, 0, n);
                return;
            }
            int panelsM = (m + blocking.Mr - 1) / blocking.Mr, panelsN = (n + blocking.Nr - 1) / blocking.Nr;
            // Splitting n makes every thread pack all of A (m·k), splitting m all of B (k·n): copy the
            // smaller. Packing it once for all threads loses here: reading another core's packed panels
            // costs more than packing them again. (Even with A read in place, splitting n at m > n measured
            // slower: every thread then streams all of A.)
            // Rows cost each thread k·(n − m)/2 more floats of packing than columns: at n ≤ 2m at most as much as A's share.
            job.SplitN = splitRows && n <= 2 * m ? panelsM < threads : panelsN >= threads ? (m <= n || panelsM < threads) : panelsN >= panelsM;
            job.Tasks = Math.Min(threads, job.SplitN ? panelsN : panelsM);
            Threads.For(job.Tasks, job);
        }
    }

    /// <summary>
    /// Whether the vector kernels (8×32, 6×16) read a row-major A's row panels where they are stored instead of
    /// packing them (tests turn it off to run the packed path; both give the same bits). A product split by columns
    /// has every thread pack all of A, so packing does not shrink with the threads. Reading the 8 rows in place
    /// measured 4–13 % faster on the MLP's products at 2 threads and 1–8 % at 1 (`occam bench gemm`, nn and nt), and
    /// the MLP's inference 11 % at 2 threads; the 6×16 kernel (forced on this machine) 1–17 % on the same shapes.
    /// A stored transposed stays packed: read in place, each step of k is a new line at the row stride, and at a
    /// stride of 4 KB the lines fight over the same L1 sets (6–8 % slower at 1024³).
    /// </summary>
    internal static bool InPlaceA = true;

    enum Path { Direct, DotRows, Blocked }

    /// <summary>How a product of these sizes runs: a plain loop (tiny), dot products of rows (A·Bᵀ that would leave
    /// the register tile mostly empty), or the blocked loops over packed panels.</summary>
    static Path Choose(Blocking blocking, bool transA, bool transB, int m, int n, int k) =>
        (long)m * n * k <= DirectProduct ? Path.Direct
        : !transA && transB && DotRows.Fits(blocking, m, n, k) ? Path.DotRows
        : Path.Blocked;

    /// <summary>Whether a product of these sizes reads op(B) in packed panels, so that packing B ahead
    /// (<see cref="Pack"/>) saves work; the other paths read B as it is stored.</summary>
    internal static bool ReadsPackedB(bool transA, bool transB, int m, int n, int k) =>
        m > 0 && n > 0 && k > 0 && Choose(_blocking, transA, transB, m, n, k) == Path.Blocked;

    /// <summary>Task t's range of [0, size), split in whole panels of width w among tasks.</summary>
    static (int Start, int End) Share(int t, int tasks, int size, int w)
    {
        int panels = (size + w - 1) / w;
        int p0 = (int)((long)t * panels / tasks), p1 = (int)((long)(t + 1) * panels / tasks);
        return (p0 * w, Math.Min(p1 * w, size));
    }

    static void CheckOperand(string name, int length, int rows, int cols, int ld, string ldName)
    {
        if (ld < cols || ld < 0)
            throw new ArgumentException($"Sgemm: {ldName} must be at least {cols} for a {rows}×{cols} {name}, got {ld}");
        if (rows > 0 && cols > 0 && (long)(rows - 1) * ld + cols > length)
            throw new ArgumentException($"Sgemm: {name} needs {(long)(rows - 1) * ld + cols} elements for {rows}×{cols} with {ldName}={ld}, got {length}");
    }

    /// <summary>Tiny products: a plain triple loop, no packing.</summary>
    static void Direct(bool transA, bool transB, int m, int n, int k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc,
        bool accumulate, Epilogue epilogue)
    {
        nint ai = transA ? 1 : lda, ap = transA ? lda : 1;
        nint bj = transB ? ldb : 1, bp = transB ? 1 : ldb;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                float* x = a + i * ai, y = b + j * bj;
                for (int p = 0; p < k; p++, x += ap, y += bp) s = MathF.FusedMultiplyAdd(*x, *y, s);
                float* z = c + i * ldc + j;
                *z = accumulate ? *z + s : s;
            }
        for (int i = 0; i < m; i++) epilogue.Apply(c + i * ldc, ldc, 1, n, 0);
    }

    /// <summary>One SGEMM call; task t computes its share of C's columns (SplitN) or rows.</summary>
    struct Job(Blocking blocking, bool transA, bool transB, int m, int n, int k,
        float* a, nint lda, float* b, nint ldb, float* c, nint ldc, bool accumulate, Epilogue epilogue) : IParallelBody
    {
        public bool SplitN;
        public int Tasks;

        /// <summary>op(B) packed ahead (<see cref="PackedB"/>), or null to pack it here.</summary>
        public float* Prepacked;

        public readonly void Invoke(int t)
        {
            if (SplitN)
            {
                var (j0, j1) = Share(t, n, blocking.Nr);
                Compute(0, m, j0, j1);
            }
            else
            {
                var (i0, i1) = Share(t, m, blocking.Mr);
                Compute(i0, i1, 0, n);
            }
        }

        readonly (int, int) Share(int t, int size, int w) => Gemm.Share(t, Tasks, size, w);

        /// <summary>Packs rows [i, i+rows) × k block [pc, pc+kc) of op(A) as mr-wide panels at dst.</summary>
        readonly void PackA(int i, int rows, int pc, int kc, float* dst)
        {
            int mr = blocking.Mr;
            for (int r = 0; r < rows; r += mr, dst += (nint)mr * kc)
                if (transA) GemmPacking.PackCols(a + pc * lda + i + r, lda, Math.Min(mr, rows - r), kc, mr, dst);
                else GemmPacking.PackRows(a + (i + r) * lda + pc, lda, Math.Min(mr, rows - r), kc, mr, dst);
        }

        /// <summary>Packs k block [pc, pc+kc) × columns [j, j+cols) of op(B) as nr-wide panels at dst.</summary>
        public readonly void PackB(int j, int cols, int pc, int kc, float* dst)
        {
            int nr = blocking.Nr;
            for (int q = 0; q < cols; q += nr, dst += (nint)nr * kc)
                if (transB) GemmPacking.PackRows(b + (j + q) * ldb + pc, ldb, Math.Min(nr, cols - q), kc, nr, dst);
                else GemmPacking.PackCols(b + pc * ldb + j + q, ldb, Math.Min(nr, cols - q), kc, nr, dst);
        }

        /// <summary>C[i0..i1, j0..j1] on the calling thread: the blocked loops around the micro-kernel.</summary>
        public readonly void Compute(int i0, int i1, int j0, int j1)
        {
            int mr = blocking.Mr, nr = blocking.Nr;
            int kb = KBlock(blocking, k), nPadded = (n + nr - 1) / nr * nr;
            var buffers = PackBuffers.Get(blocking);
            float* tile = buffers.Tile;

            for (int jc = j0; jc < j1; jc += blocking.Nc)
            {
                int nb = Math.Min(blocking.Nc, j1 - jc);
                for (int pc = 0; pc < k; pc += kb)
                {
                    int kc = Math.Min(kb, k - pc);
                    float* packedB;
                    if (Prepacked != null) packedB = Prepacked + (nint)pc * nPadded + (nint)jc * kc; // see PackedB
                    else PackB(jc, nb, pc, kc, packedB = buffers.B);
                    bool overwrite = pc == 0 && !accumulate, last = pc + kc == k;
                    for (int ic = i0; ic < i1; ic += blocking.Mc)
                    {
                        int mb = Math.Min(blocking.Mc, i1 - ic);
                        float* packedA = buffers.A;
                        // Read in place, A's whole mr-row panels need no packing; a last partial panel is packed.
                        int inPlace = DirectA ? mb / mr * mr : 0;
                        if (inPlace < mb) PackA(ic + inPlace, mb - inPlace, pc, kc, packedA + (nint)inPlace * kc);
                        for (int j = 0; j < nb; j += nr)
                        {
                            int cols = Math.Min(nr, nb - j);
                            float* bPanel = packedB + (nint)j * kc;
                            for (int i = 0; i < mb; i += mr)
                            {
                                int rows = Math.Min(mr, mb - i);
                                float* aPanel = i < inPlace ? null : packedA + (nint)i * kc;
                                float* cTile = c + (ic + i) * ldc + jc + j;
                                if (rows == mr && cols == nr)
                                {
                                    MicroKernel(kc, aPanel, ic + i, pc, bPanel, cTile, ldc, overwrite);
                                    if (last) epilogue.Apply(cTile, ldc, mr, nr, jc + j);
                                }
                                else
                                {
                                    // Edge tile: compute the zero-padded tile aside, then write its valid part.
                                    MicroKernel(kc, aPanel, ic + i, pc, bPanel, tile, nr, overwrite: true);
                                    for (int r = 0; r < rows; r++)
                                    {
                                        float* src = tile + r * nr, dst = cTile + r * ldc;
                                        if (overwrite) for (int q = 0; q < cols; q++) dst[q] = src[q];
                                        else for (int q = 0; q < cols; q++) dst[q] += src[q];
                                    }
                                    if (last) epilogue.Apply(cTile, ldc, rows, cols, jc + j);
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Whether A's whole mr-row panels are read where A is stored instead of packed (<see cref="InPlaceA"/>).</summary>
        public bool DirectA;

        /// <summary>The tile of rows [row, row + mr) over k block [pc, pc + kc): from the packed panel aPanel, or with aPanel
        /// null from A where it is stored (<see cref="DirectA"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly void MicroKernel(int kc, float* aPanel, int row, int pc, float* bPanel, float* cTile, nint ldc, bool overwrite)
        {
            switch (blocking.Kind)
            {
                case KernelKind.Vector512 when aPanel == null: GemmMicroKernels.Kernel8x32Rows(kc, a + row * lda + pc, lda, bPanel, cTile, ldc, overwrite); break;
                case KernelKind.Vector512: GemmMicroKernels.Kernel8x32(kc, aPanel, bPanel, cTile, ldc, overwrite); break;
                case KernelKind.Vector256 when aPanel == null: GemmMicroKernels.Kernel6x16Rows(kc, a + row * lda + pc, lda, bPanel, cTile, ldc, overwrite); break;
                case KernelKind.Vector256: GemmMicroKernels.Kernel6x16(kc, aPanel, bPanel, cTile, ldc, overwrite); break;
                default: GemmMicroKernels.Kernel4x4(kc, aPanel, bPanel, cTile, ldc, overwrite); break;
            }
        }
    }

    /// <summary>
    /// A·Bᵀ with A and B both stored k-contiguous (rows of A, rows of B) for shapes that would leave the 8×32 tile
    /// mostly empty: C[i, j] is the dot product of row i of A and row j of B, computed 3×4 at a time with 16-lane
    /// accumulators straight from the operands, no packing. A 3×3 convolution's weight gradient for one input
    /// channel (9 × 32 outputs over 784 pixels per sample) and a 10-class output layer (128 × 10 over 256) run here.
    /// Each element's sum is the same whatever the split, so results do not depend on the thread count.
    /// </summary>
    internal static class DotRows
    {
        const int Rows = 3, Cols = 4, Lanes = 16;

        /// <summary>Whether this product is better as dot products: the tile would be less than 60 % full and k is
        /// long enough for the 16-lane accumulators.</summary>
        internal static bool Fits(Blocking blocking, int m, int n, int k)
        {
            if (blocking.Kind != KernelKind.Vector512 || k < 2 * Lanes) return false;
            double fill = (double)m / ((m + blocking.Mr - 1) / blocking.Mr * blocking.Mr) * n / ((n + blocking.Nr - 1) / blocking.Nr * blocking.Nr);
            return fill < 0.6;
        }

        internal static void Run(int m, int n, int k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, bool accumulate,
            Epilogue epilogue, int threads)
        {
            var job = new Job { A = a, B = b, C = c, Lda = lda, Ldb = ldb, Ldc = ldc, M = m, N = n, K = k, Accumulate = accumulate, Epilogue = epilogue };
            job.Tasks = Math.Min(threads, (m + Rows - 1) / Rows);
            if (job.Tasks <= 1) { job.Tasks = 1; job.Invoke(0); }
            else Threads.For(job.Tasks, job);
        }

        struct Job : IParallelBody
        {
            public float* A, B, C;
            public nint Lda, Ldb, Ldc;
            public int M, N, K, Tasks;
            public bool Accumulate;
            public Epilogue Epilogue;

            public readonly void Invoke(int t)
            {
                // whole blocks of Rows rows per task
                var (i0, i1) = Share(t, Tasks, M, Rows);
                int i = i0;
                for (; i + Rows <= i1; i += Rows)
                {
                    int j = 0;
                    for (; j + Cols <= N; j += Cols) Block3x4(i, j);
                    for (; j < N; j++) Block3x1(i, j);
                }
                for (; i < i1; i++)
                    for (int j = 0; j < N; j++) Single(i, j);
                Epilogue.Apply(C + i0 * Ldc, Ldc, i1 - i0, N, 0);
            }

            readonly void Store(int i, int j, float dot)
            {
                float* at = C + i * Ldc + j;
                *at = Accumulate ? *at + dot : dot;
            }

            /// <summary>The k elements past the last whole vector, added one by one after the vector sum.</summary>
            readonly float Tail(float* x, float* y, int k0)
            {
                float sum = 0;
                for (int p = k0; p < K; p++) sum = MathF.FusedMultiplyAdd(x[p], y[p], sum);
                return sum;
            }

            readonly void Single(int i, int j)
            {
                float* x = A + i * Lda, y = B + j * Ldb;
                var acc = Vector512<float>.Zero;
                int p = 0;
                for (; p + Lanes <= K; p += Lanes) acc = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), acc);
                Store(i, j, Vector512.Sum(acc) + Tail(x, y, p));
            }

            readonly void Block3x1(int i, int j)
            {
                float* x0 = A + i * Lda, x1 = x0 + Lda, x2 = x1 + Lda, y = B + j * Ldb;
                Vector512<float> c0 = default, c1 = default, c2 = default;
                int p = 0;
                for (; p + Lanes <= K; p += Lanes)
                {
                    var b = Vector512.Load(y + p);
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + p), b, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + p), b, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + p), b, c2);
                }
                Store(i, j, Vector512.Sum(c0) + Tail(x0, y, p));
                Store(i + 1, j, Vector512.Sum(c1) + Tail(x1, y, p));
                Store(i + 2, j, Vector512.Sum(c2) + Tail(x2, y, p));
            }

            readonly void Block3x4(int i, int j)
            {
                float* x0 = A + i * Lda, x1 = x0 + Lda, x2 = x1 + Lda;
                float* y0 = B + j * Ldb, y1 = y0 + Ldb, y2 = y1 + Ldb, y3 = y2 + Ldb;
                Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
                Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
                Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
                int p = 0;
                for (; p + Lanes <= K; p += Lanes)
                {
                    var b0 = Vector512.Load(y0 + p);
                    var b1 = Vector512.Load(y1 + p);
                    var b2 = Vector512.Load(y2 + p);
                    var b3 = Vector512.Load(y3 + p);
                    var a0 = Vector512.Load(x0 + p);
                    c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                    c02 = Vector512.FusedMultiplyAdd(a0, b2, c02); c03 = Vector512.FusedMultiplyAdd(a0, b3, c03);
                    var a1 = Vector512.Load(x1 + p);
                    c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                    c12 = Vector512.FusedMultiplyAdd(a1, b2, c12); c13 = Vector512.FusedMultiplyAdd(a1, b3, c13);
                    var a2 = Vector512.Load(x2 + p);
                    c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                    c22 = Vector512.FusedMultiplyAdd(a2, b2, c22); c23 = Vector512.FusedMultiplyAdd(a2, b3, c23);
                }
                // The same sums as Single: the vector's lanes, then the tail.
                Store(i, j, Vector512.Sum(c00) + Tail(x0, y0, p)); Store(i, j + 1, Vector512.Sum(c01) + Tail(x0, y1, p));
                Store(i, j + 2, Vector512.Sum(c02) + Tail(x0, y2, p)); Store(i, j + 3, Vector512.Sum(c03) + Tail(x0, y3, p));
                Store(i + 1, j, Vector512.Sum(c10) + Tail(x1, y0, p)); Store(i + 1, j + 1, Vector512.Sum(c11) + Tail(x1, y1, p));
                Store(i + 1, j + 2, Vector512.Sum(c12) + Tail(x1, y2, p)); Store(i + 1, j + 3, Vector512.Sum(c13) + Tail(x1, y3, p));
                Store(i + 2, j, Vector512.Sum(c20) + Tail(x2, y0, p)); Store(i + 2, j + 1, Vector512.Sum(c21) + Tail(x2, y1, p));
                Store(i + 2, j + 2, Vector512.Sum(c22) + Tail(x2, y2, p)); Store(i + 2, j + 3, Vector512.Sum(c23) + Tail(x2, y3, p));
            }
        }
    }

    /// <summary>The k block width for a product of inner size k: equal blocks (rounded up to 8 for the transposing
    /// pack) of at most about kc, so no block is a thin remainder.</summary>
    static int KBlock(Blocking blocking, int k)
    {
        int kBlocks = (k + blocking.Kc - 1) / blocking.Kc;
        return ((k + kBlocks - 1) / kBlocks + 7) & ~7;
    }

    /// <summary>Packs op(B) [k×n] (B stored [n×k] when transB) once, for products that use the same B many times.</summary>
    internal static PackedB Pack(bool transB, int n, int k, ReadOnlySpan<float> b, int ldb)
    {
        if (n < 1 || k < 1) throw new ArgumentException($"Gemm.Pack: sizes must be positive, got n={n}, k={k}");
        CheckOperand("B", b.Length, transB ? n : k, transB ? k : n, ldb, "ldb");
        var blocking = _blocking;
        var packed = new PackedB(blocking, n, k);
        int kb = KBlock(blocking, k);
        fixed (float* pb = b)
        {
            var job = new Job(blocking, false, transB, 0, n, k, null, 0, pb, ldb, null, 0, false, default);
            for (int pc = 0; pc < k; pc += kb)
                job.PackB(0, n, pc, Math.Min(kb, k - pc), packed.Data + (nint)pc * packed.NPadded);
        }
        return packed;
    }

    /// <summary>
    /// op(B) [k×n] in the layout the blocked loops read, for every k block at once: block [pc, pc + kc) holds all
    /// columns as nr-wide panels of kc×nr (zero-padded to <see cref="NPadded"/> columns) at element pc·NPadded, so
    /// the panels of columns from j on in that block start at pc·NPadded + j·kc.
    /// </summary>
    internal sealed class PackedB
    {
        float[]? _storage;

        public PackedB(Blocking blocking, int n, int k)
        {
            (Blocking, N, K) = (blocking, n, k);
            NPadded = (n + blocking.Nr - 1) / blocking.Nr * blocking.Nr;
            // Pinned, so Data stays valid; 64-byte aligned like the per-call buffers.
            _storage = BufferPool.RentPinned(checked(NPadded * k + 16));
            Data = (float*)(((nint)Unsafe.AsPointer(ref _storage[0]) + 63) & ~(nint)63);
        }

        public Blocking Blocking { get; }
        public int N { get; }
        public int K { get; }
        public int NPadded { get; }

        /// <summary>The panels; null once released (a product given a released packing packs B itself).</summary>
        public float* Data { get; private set; }

        /// <summary>Returns the storage to the pool, for the next run's packing of the same size.</summary>
        public void Release()
        {
            if (_storage == null) return;
            Data = null;
            BufferPool.ReturnPinned(_storage);
            _storage = null;
        }
    }

    /// <summary>The epilogue as the kernels see it: pointers fixed for the call.</summary>
    internal readonly struct Epilogue(float* bias, float* scale, float* shift, bool relu, bool any)
    {
        /// <summary>Rows × cols of C at c (row stride ldc), whose first column is column j0 of C, get
        /// c = f((c + bias)·scale + shift), each step rounded.</summary>
        public void Apply(float* c, nint ldc, int rows, int cols, int j0)
        {
            if (!any) return;
            float* b = bias == null ? null : bias + j0, s = scale == null ? null : scale + j0, t = shift == null ? null : shift + j0;
            for (int r = 0; r < rows; r++, c += ldc)
            {
                int j = 0;
                if (Simd.Wide)
                    for (; j <= cols - 16; j += 16)
                    {
                        var v = Vector512.Load(c + j);
                        if (b != null) v += Vector512.Load(b + j);
                        if (s != null) v *= Vector512.Load(s + j);
                        if (t != null) v += Vector512.Load(t + j);
                        if (relu) v = Vector512.Max(v, Vector512<float>.Zero);
                        v.Store(c + j);
                    }
                for (; j < cols; j++)
                {
                    float v = c[j];
                    if (b != null) v += b[j];
                    if (s != null) v *= s[j];
                    if (t != null) v += t[j];
                    c[j] = relu ? MathF.Max(v, 0f) : v;
                }
            }
        }
    }

    /// <summary>Per-thread packing buffers, 64-byte aligned, allocated once and reused by every call.</summary>
    sealed class PackBuffers
    {
        [ThreadStatic] static PackBuffers? t_buffers;

        float[] _storage = [];
        public float* A, B, Tile;

        public static PackBuffers Get(Blocking blocking)
        {
            var buffers = t_buffers ??= new PackBuffers();
            long kc = (blocking.Kc + 7) & ~7, sizeA = blocking.Mc * kc, sizeB = kc * blocking.Nc, sizeTile = blocking.Mr * blocking.Nr;
            long need = sizeA + sizeB + sizeTile + 3 * 16;
            if (buffers._storage.Length < need)
            {
                // Pinned, so the raw pointers stay valid; released with the thread's PackBuffers.
                buffers._storage = GC.AllocateUninitializedArray<float>((int)need, pinned: true);
                float* start = (float*)(((nint)Unsafe.AsPointer(ref buffers._storage[0]) + 63) & ~(nint)63);
                buffers.A = start;
                buffers.B = start + ((sizeA + 15) & ~15L);
                buffers.Tile = buffers.B + ((sizeB + 15) & ~15L);
            }
            return buffers;
        }
    }
}

/// <summary>
/// What <see cref="Gemm.Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, bool, GemmEpilogue)"/> does to each element of C as it writes it, while the tile is still in L1:
/// c[i, j] = f((c[i, j] + bias[j])·scale[j] + shift[j]), f = ReLU or the identity, each step rounded as the separate
/// layers round it; an empty bias, scale or shift is skipped. A linear layer's bias (shift alone), and in inference its
/// bias, then a batch norm folded in (scale, shift) and its ReLU, giving the same bits as the layers one after another.
/// </summary>
public readonly ref struct GemmEpilogue(ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu = false, ReadOnlySpan<float> bias = default)
{
    public ReadOnlySpan<float> Bias { get; } = bias;
    public ReadOnlySpan<float> Scale { get; } = scale;
    public ReadOnlySpan<float> Shift { get; } = shift;
    public bool Relu { get; } = relu;

    public bool IsEmpty => Bias.IsEmpty && Scale.IsEmpty && Shift.IsEmpty && !Relu;

    internal void Check(int n, bool accumulate)
    {
        if (IsEmpty) return;
        if (accumulate) throw new ArgumentException("Sgemm: an epilogue applies to C as written, not with accumulate: true");
        if (!Bias.IsEmpty && Bias.Length < n) throw new ArgumentException($"Sgemm: epilogue bias needs {n} elements (one per column of C), got {Bias.Length}");
        if (!Scale.IsEmpty && Scale.Length < n) throw new ArgumentException($"Sgemm: epilogue scale needs {n} elements (one per column of C), got {Scale.Length}");
        if (!Shift.IsEmpty && Shift.Length < n) throw new ArgumentException($"Sgemm: epilogue shift needs {n} elements (one per column of C), got {Shift.Length}");
    }
}
