using Occam.Kernels;

namespace Occam.Tests.Kernels;

/// <summary>Sgemm against a double-precision reference, on every micro-kernel the hardware runs.</summary>
[Collection(nameof(ThreadsCollection))]
public class GemmTests
{
    public static TheoryData<bool, bool> Variants => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    static IEnumerable<Gemm.KernelKind> Kernels()
    {
        yield return Gemm.KernelKind.Scalar;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) yield return Gemm.KernelKind.Vector256;
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) yield return Gemm.KernelKind.Vector512;
    }

    /// <summary>Runs Sgemm on random data with padded strides and checks C, including its untouched padding.</summary>
    static void Check(bool transA, bool transB, int m, int n, int k, bool accumulate, Random random, int pad = 3)
    {
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        float[] a = Fill(random, (transA ? k : m) * lda);
        float[] b = Fill(random, (transB ? n : k) * ldb);
        float[] c = Fill(random, m * ldc);
        float[] before = (float[])c.Clone();
        Gemm.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                if (j >= n)
                {
                    Assert.Equal(before[i * ldc + j], c[i * ldc + j]);
                    continue;
                }
                double sum = accumulate ? before[i * ldc + j] : 0, scale = accumulate ? Math.Abs(sum) : 0;
                for (int p = 0; p < k; p++)
                {
                    double x = transA ? a[p * lda + i] : a[i * lda + p];
                    double y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += x * y;
                    scale += Math.Abs(x * y);
                }
                double error = Math.Abs(c[i * ldc + j] - sum);
                if (error > 1e-5 * (scale + 1e-30) + 1e-30)
                    Assert.Fail($"{(transA ? 't' : 'n')}{(transB ? 't' : 'n')} m={m} n={n} k={k} acc={accumulate} kernel={Gemm.Kernel}: C[{i},{j}] = {c[i * ldc + j]}, expected {sum}");
            }
    }

    static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    internal static void OnEveryKernel(Action body)
    {
        var saved = Gemm.Kernel;
        try
        {
            foreach (var kernel in Kernels())
            {
                Gemm.Kernel = kernel;
                body();
            }
        }
        finally { Gemm.Kernel = saved; }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EachDimensionFrom1To67(bool transA, bool transB)
    {
        var random = new Random(11);
        OnEveryKernel(() =>
        {
            for (int s = 1; s <= 67; s++)
            {
                Check(transA, transB, s, 37, 19, accumulate: s % 2 == 0, random);
                Check(transA, transB, 13, s, 41, accumulate: s % 2 == 1, random);
                Check(transA, transB, 35, 33, s, accumulate: s % 3 == 0, random);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void RandomShapes(bool transA, bool transB)
    {
        var random = new Random(transA ? 5 : 7 + (transB ? 1 : 0));
        OnEveryKernel(() =>
        {
            for (int t = 0; t < 40; t++)
                Check(transA, transB, random.Next(1, 68), random.Next(1, 68), random.Next(1, 68), accumulate: t % 2 == 0, random, pad: random.Next(0, 5));
        });
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void LargerThanOneCacheBlock(bool transA, bool transB)
    {
        var random = new Random(3);
        int savedCount = Threads.Count;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Threads.Count = threads;
                Check(transA, transB, 129, 257, 300, accumulate: false, random);
                Check(transA, transB, 129, 257, 300, accumulate: true, random);
                Check(transA, transB, 37, 2100, 9, accumulate: true, random);
                Check(transA, transB, 600, 5, 530, accumulate: false, random);
            }
        }
        finally { Threads.Count = savedCount; }
    }

    [Fact]
    public void Square512()
    {
        Check(false, false, 512, 512, 512, accumulate: false, new Random(2), pad: 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmptyInnerDimensionClearsOrKeepsC(bool accumulate)
    {
        float[] c = [1, 2, 3, 4, 5, 6, 7];
        Gemm.Sgemm(false, false, 2, 3, 0, [], 0, [], 3, c, 4, accumulate);
        float[] expected = accumulate ? [1, 2, 3, 4, 5, 6, 7] : [0, 0, 0, 4, 0, 0, 0];
        Assert.Equal(expected, c);
    }

    [Fact]
    public void EmptyOutputIsANoOp()
    {
        float[] c = [9];
        Gemm.Sgemm(false, false, 0, 5, 3, [], 3, new float[15], 5, [], 5, false);
        Gemm.Sgemm(true, true, 4, 0, 3, new float[12], 4, [], 3, [], 0, false);
        Gemm.Sgemm(false, false, 1, 0, 1, [1], 1, new float[0], 0, c, 1, false);
        Assert.Equal(9, c[0]);
    }

    [Theory]
    [InlineData(-1, 2, 2, 2, 2, 2, 4, 4, 4, "m=-1")]
    [InlineData(2, 2, -3, 2, 2, 2, 4, 4, 4, "k=-3")]
    [InlineData(2, 2, 2, 1, 2, 2, 4, 4, 4, "lda must be at least 2")]
    [InlineData(2, 2, 2, 2, 1, 2, 4, 4, 4, "ldb must be at least 2")]
    [InlineData(2, 2, 2, 2, 2, 1, 4, 4, 4, "ldc must be at least 2")]
    [InlineData(2, 2, 2, 2, 2, 2, 3, 4, 4, "A needs 4 elements")]
    [InlineData(2, 2, 2, 2, 2, 2, 4, 3, 4, "B needs 4 elements")]
    [InlineData(2, 2, 2, 2, 2, 3, 4, 4, 4, "C needs 5 elements")]
    public void BadArgumentsThrow(int m, int n, int k, int lda, int ldb, int ldc, int lengthA, int lengthB, int lengthC, string message)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, m, n, k, new float[lengthA], lda, new float[lengthB], ldb, new float[lengthC], ldc, false));
        Assert.Contains("Sgemm", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void BitIdenticalAcrossThreadCountsAndRuns(bool transA, bool transB)
    {
        var random = new Random(17);
        int m = 131, n = 300, k = 517;
        float[] a = Fill(random, m * k), b = Fill(random, k * n);
        float[] Run(int threads)
        {
            var c = new float[m * n];
            int saved = Threads.Count;
            Threads.Count = threads;
            try { Gemm.Sgemm(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, c, n, false); }
            finally { Threads.Count = saved; }
            return c;
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    /// <summary>A row-major A read in place by the vector kernels gives the same bits as A packed: whole and partial row
    /// panels (m not a multiple of 8 or 6), several row and k blocks, C accumulated or with an epilogue, at 1–3 threads.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RowMajorAInPlaceMatchesPackedBitForBit(bool transB)
    {
        var random = new Random(23);
        void Check(int m, int n, int k)
        {
            int lda = k + 5, ldb = (transB ? k : n) + 2;
            float[] a = Fill(random, m * lda), b = Fill(random, (transB ? n : k) * ldb), start = Fill(random, m * n);
            float[] scale = Fill(random, n), shift = Fill(random, n);
            float[] Run(bool inPlace, int threads, bool accumulate)
            {
                var c = (float[])start.Clone();
                bool saved = Gemm.InPlaceA;
                Gemm.InPlaceA = inPlace;
                try
                {
                    ThreadCount.With(threads, () =>
                        Gemm.Sgemm(false, transB, m, n, k, a, lda, b, ldb, c, n, accumulate,
                            accumulate ? default : new GemmEpilogue(scale, shift, relu: true)));
                }
                finally { Gemm.InPlaceA = saved; }
                return c;
            }
            foreach (bool accumulate in new[] { false, true })
            {
                var packed = Run(inPlace: false, 1, accumulate);
                foreach (int threads in new[] { 1, 2, 3 })
                    Assert.Equal(packed, Run(inPlace: true, threads, accumulate));
            }
        }
        OnEveryKernel(() =>
        {
            foreach (var (m, n, k) in new[] { (131, 300, 517), (8, 64, 40), (13, 33, 300), (260, 70, 129) }) Check(m, n, k);
        });
    }

    [Fact]
    public void SteadyStateDoesNotAllocate()
    {
        int m = 128, n = 256, k = 200;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            for (int i = 0; i < 3; i++) Gemm.Sgemm(false, true, m, n, k, a, k, b, k, c, n, false);
            // The buffer pool is the process's: a test of another collection, running beside this one, may take the
            // buffer of this size or clear the pool, and the next product then allocates once. A steady state is a window
            // of 10 products that allocates nothing; one in five windows must be one (each allocation is printed).
            var allocated = new List<long>(5);
            for (int window = 0; window < 5 && (allocated.Count == 0 || allocated[^1] != 0); window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 10; i++) Gemm.Sgemm(false, true, m, n, k, a, k, b, k, c, n, false);
                allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.True(allocated[^1] == 0, $"bytes allocated by each window of 10 products: {string.Join(", ", allocated)}");
        }
        finally { Threads.Count = saved; }
    }
}

/// <summary>The epilogue: each element of C, as written, is f(c·scale[j] + shift[j]); exactly the product without an
/// epilogue followed by that formula, on every kernel, at 1 and 2 threads, through the direct, edge-tile and
/// k-blocked paths.</summary>
[Collection(nameof(ThreadsCollection))]
public class GemmEpilogueTests
{
    static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    static void Check(bool transA, bool transB, int m, int n, int k, bool scaled, bool shifted, bool relu, Random random)
    {
        int pad = 2, lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        float[] a = Fill(random, (transA ? k : m) * lda), b = Fill(random, (transB ? n : k) * ldb);
        float[] scale = scaled ? Fill(random, n) : [], shift = shifted ? Fill(random, n + 1) : [];
        float[] plain = Fill(random, m * ldc), fused = (float[])plain.Clone();
        Gemm.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, plain, ldc, accumulate: false);
        Gemm.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, fused, ldc, accumulate: false, new GemmEpilogue(scale, shift, relu));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                float expected = plain[i * ldc + j];
                if (j < n)
                {
                    if (scaled) expected *= scale[j];
                    if (shifted) expected += shift[j];
                    if (relu) expected = MathF.Max(expected, 0f);
                }
                if (expected != fused[i * ldc + j])
                    Assert.Fail($"m={m} n={n} k={k} scale={scaled} shift={shifted} relu={relu} kernel={Gemm.Kernel} threads={Threads.Count}: C[{i},{j}] = {fused[i * ldc + j]}, expected {expected}");
            }
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void AppliesToEveryElementOnce(bool transA, bool transB)
    {
        var random = new Random(23);
        GemmTests.OnEveryKernel(() =>
        {
            foreach (int threads in new[] { 1, 2 })
                ThreadCount.With(threads, () =>
                {
                    foreach (var (m, n, k) in new[] { (2, 3, 4), (37, 45, 19), (129, 257, 300), (8, 33, 600), (128, 10, 256) })
                    {
                        Check(transA, transB, m, n, k, scaled: true, shifted: true, relu: true, random);
                        Check(transA, transB, m, n, k, scaled: false, shifted: true, relu: false, random);
                        Check(transA, transB, m, n, k, scaled: true, shifted: false, relu: false, random);
                        Check(transA, transB, m, n, k, scaled: false, shifted: false, relu: true, random);
                    }
                });
        });
    }

    [Fact]
    public void EmptyInnerDimensionGivesTheEpilogueOfZero()
    {
        float[] c = [5, 5, 5, 9, 5, 5, 5];
        Gemm.Sgemm(false, false, 2, 3, 0, [], 0, [], 3, c, 4, accumulate: false, new GemmEpilogue([2f, 2f, 2f], [1f, -1f, 0.5f], relu: true));
        Assert.Equal([1f, 0f, 0.5f, 9f, 1f, 0f, 0.5f], c);
    }

    [Fact]
    public void EpilogueWithAccumulateThrows()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 2, 2, 2, new float[4], 2, new float[4], 2, new float[4], 2, accumulate: true, new GemmEpilogue([], [1f, 2f])));
        Assert.Contains("Sgemm", error.Message);
        Assert.Contains("accumulate", error.Message);
    }

    [Theory]
    [InlineData(1, 3, "scale needs 3 elements")]
    [InlineData(3, 2, "shift needs 3 elements")]
    public void ShortScaleOrShiftThrows(int scaleLength, int shiftLength, string message)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 2, 3, 2, new float[4], 2, new float[6], 3, new float[6], 3, accumulate: false,
                new GemmEpilogue(new float[scaleLength], new float[shiftLength])));
        Assert.Contains(message, error.Message);
    }
}

/// <summary>op(B) packed once (<see cref="Gemm.Pack"/>) gives the products that pack it per call, bit for bit: on every
/// micro-kernel, at 1 and 2 threads, both layouts of B, with k split into blocks, more columns than one column block,
/// columns that do not fill the last panel, with an epilogue and with accumulate.</summary>
[Collection(nameof(ThreadsCollection))]
public class GemmPackedBTests
{
    static float[] Fill(Random random, int length) => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PackedOnceEqualsPackedPerCall(bool transB)
    {
        var random = new Random(transB ? 2 : 3);
        GemmTests.OnEveryKernel(() =>
        {
            foreach (var (m, n, k) in new[] { (37, 10, 256), (129, 257, 300), (9, 2100, 77), (128, 512, 784), (3, 5, 7) })
            {
                int ldb = (transB ? k : n) + 2, lda = k + 1;
                float[] a = Fill(random, m * lda), b = Fill(random, (transB ? n : k) * ldb);
                float[] shift = Fill(random, n), start = Fill(random, m * n);
                var packed = Gemm.Pack(transB, n, k, b, ldb);
                foreach (int threads in new[] { 1, 2 })
                    ThreadCount.With(threads, () =>
                    {
                        foreach (bool accumulate in new[] { false, true })
                        {
                            var epilogue = accumulate ? default : new GemmEpilogue([], shift, relu: true);
                            float[] expected = (float[])start.Clone(), actual = (float[])start.Clone();
                            Gemm.Sgemm(false, transB, m, n, k, a, lda, b, ldb, expected, n, accumulate, epilogue);
                            Gemm.Sgemm(false, transB, m, n, k, a, lda, b, ldb, actual, n, accumulate, epilogue, packed);
                            Assert.Equal(expected, actual);
                        }
                    });
            }
        });
    }

    [Fact]
    public void APackOfOtherSizesIsRejected()
    {
        var packed = Gemm.Pack(transB: true, 64, 80, new float[64 * 80], 80);
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, true, 64, 64, 81, new float[64 * 81], 81, new float[64 * 81], 81, new float[64 * 64], 64, false, default, packed));
        Assert.Contains("B was packed as 80×64", e.Message);
        Assert.Contains("needs 81×64", e.Message);
        var saved = Gemm.Kernel;
        try
        {
            Gemm.Kernel = saved == Gemm.KernelKind.Scalar ? Gemm.KernelKind.Vector256 : Gemm.KernelKind.Scalar;
            e = Assert.Throws<ArgumentException>(() =>
                Gemm.Sgemm(false, true, 64, 64, 80, new float[64 * 80], 80, new float[64 * 80], 80, new float[64 * 64], 64, false, default, packed));
            Assert.Contains($"for the {saved} kernel", e.Message);
        }
        finally { Gemm.Kernel = saved; }
        Assert.Contains("n=0", Assert.Throws<ArgumentException>(() => Gemm.Pack(false, 0, 3, [], 0)).Message);
        Assert.Contains("ldb", Assert.Throws<ArgumentException>(() => Gemm.Pack(false, 4, 3, new float[12], 3)).Message);
    }
}

/// <summary>Skinny A·Bᵀ products run as dot products of rows (<c>Gemm.DotRows</c>, on the 8×32 kernel's machines): which
/// shapes go there, and their results against a double reference, with accumulate and an epilogue, bit-identical at 1,
/// 2 and 3 threads (the 1000×10 product splits its rows).</summary>
[Collection(nameof(ThreadsCollection))]
public class GemmDotRowsTests
{
    [Fact]
    public void TakesTheShapesThatWouldLeaveTheTileMostlyEmpty()
    {
        var blocking = new Gemm.Blocking(Gemm.KernelKind.Vector512, 8, 32, 256, 128, 2048);
        Assert.True(Gemm.DotRows.Fits(blocking, 9, 32, 784));    // a first conv layer's weight gradient
        Assert.True(Gemm.DotRows.Fits(blocking, 128, 10, 256));  // a 10-class output layer
        Assert.False(Gemm.DotRows.Fits(blocking, 128, 512, 784)); // a full tile
        Assert.False(Gemm.DotRows.Fits(blocking, 128, 10, 31));  // k too short for the accumulators
        Assert.False(Gemm.DotRows.Fits(blocking with { Kind = Gemm.KernelKind.Vector256 }, 9, 32, 784));
    }

    [Fact]
    public void MatchesTheReferenceAndTheThreadCountDoesNotMatter()
    {
        var random = new Random(31);
        foreach (var (m, n, k) in new[] { (9, 32, 784), (128, 10, 256), (37, 10, 33), (4, 1, 100), (10, 7, 47), (1000, 10, 512) })
        {
            int lda = k + 3, ldb = k + 1, ldc = n + 2;
            float[] a = [.. Enumerable.Range(0, m * lda).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            float[] b = [.. Enumerable.Range(0, n * ldb).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            float[] start = [.. Enumerable.Range(0, m * ldc).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            float[] shift = [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5))];
            foreach (bool accumulate in new[] { false, true })
            {
                float[]? first = null;
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    var c = (float[])start.Clone();
                    ThreadCount.With(threads, () => Gemm.Sgemm(false, true, m, n, k, a, lda, b, ldb, c, ldc, accumulate,
                        accumulate ? default : new GemmEpilogue([], shift, relu: true)));
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < ldc; j++)
                        {
                            if (j >= n) { Assert.Equal(start[i * ldc + j], c[i * ldc + j]); continue; }
                            double sum = accumulate ? start[i * ldc + j] : 0, scale = Math.Abs(sum);
                            for (int p = 0; p < k; p++) { sum += (double)a[i * lda + p] * b[j * ldb + p]; scale += Math.Abs((double)a[i * lda + p] * b[j * ldb + p]); }
                            if (!accumulate) sum = Math.Max(sum + shift[j], 0);
                            Assert.True(Math.Abs(c[i * ldc + j] - sum) <= 1e-5 * (scale + 1) , $"{m}×{n}×{k} acc={accumulate} threads={threads}: C[{i},{j}] = {c[i * ldc + j]}, expected {sum}");
                        }
                    if (first == null) first = c;
                    else Assert.Equal(first, c);
                }
            }
        }
    }
}
