using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Occam.Kernels;

namespace Occam.Cli.Commands;

/// <summary>
/// `occam bench ...`: engine benchmarks, one private method per subcommand. Each prints a human
/// line or two and, as its LAST line, one JSON object that bench/ scripts parse.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks of the engine; the last line printed is JSON.");
        command.Subcommands.Add(CreateGemm());
        return command;
    }

    static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "Threads to use (default: processor count).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    /// <summary>
    /// Seconds per run of action: after a warm-up, five batches of at least 0.2 s each; the fastest
    /// batch counts, so a burst of load from other processes does not decide the result.
    /// </summary>
    static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        do action(); while (watch.Elapsed.TotalSeconds < 0.2);
        int reps = 1;
        double best = double.MaxValue;
        for (int batch = 0; batch < 5;)
        {
            watch.Restart();
            for (int r = 0; r < reps; r++) action();
            double seconds = watch.Elapsed.TotalSeconds;
            if (seconds < 0.2)
            {
                reps = (int)Math.Min(reps * 4L, Math.Max(reps + 1, (long)(reps * 0.25 / Math.Max(seconds, 1e-6))));
                continue;
            }
            best = Math.Min(best, seconds / reps);
            batch++;
        }
        return best;
    }

    static string Json(params (string Key, object Value)[] fields) =>
        "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":" + (f.Value switch
        {
            string s => $"\"{s}\"",
            double d => d.ToString("0.###", CultureInfo.InvariantCulture),
            _ => Convert.ToString(f.Value, CultureInfo.InvariantCulture),
        }))) + "}";

    static Command CreateGemm()
    {
        var n = new Option<int>("--n") { Description = "Columns of C (and rows/inner size when --m/--k are not given).", DefaultValueFactory = _ => 1024 };
        var m = new Option<int?>("--m") { Description = "Rows of C (default: n)." };
        var k = new Option<int?>("--k") { Description = "Inner dimension (default: n)." };
        var variant = new Option<string>("--variant")
        {
            Description = "nn: A·B, tn: Aᵀ·B (A stored k×m), nt: A·Bᵀ (B stored n×k).",
            DefaultValueFactory = _ => "nn",
        };
        variant.AcceptOnlyFromAmong("nn", "tn", "nt");
        var threads = ThreadsOption();
        var command = new Command("gemm",
            "Times SGEMM C[m×n] = op(A)·op(B) in GFLOP/s (best of five batches of at least 0.2 s). Example: occam bench gemm --n 1024 --threads 2; " +
            "occam bench gemm --m 512 --n 784 --k 128 --variant tn");
        command.Options.Add(n);
        command.Options.Add(m);
        command.Options.Add(k);
        command.Options.Add(variant);
        command.Options.Add(threads);
        command.SetAction(parse =>
        {
            int nv = parse.GetValue(n);
            return Gemm(parse.GetValue(m) ?? nv, nv, parse.GetValue(k) ?? nv, parse.GetValue(variant)!, parse.GetValue(threads),
                square: parse.GetValue(m) is null && parse.GetValue(k) is null && parse.GetValue(variant) == "nn");
        });
        return command;
    }

    static int Gemm(int m, int n, int k, string variant, int threads, bool square)
    {
        if (m < 1 || n < 1 || k < 1)
        {
            Console.Error.WriteLine($"bench gemm: sizes must be positive, got m={m}, n={n}, k={k}");
            return 1;
        }
        if (threads < 1)
        {
            Console.Error.WriteLine($"bench gemm: --threads must be at least 1, got {threads}");
            return 1;
        }
        Threads.Count = threads;
        bool transA = variant == "tn", transB = variant == "nt";
        var random = new Random(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(random.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(random.NextDouble() - 0.5);
        int lda = transA ? m : k, ldb = transB ? k : n;

        double seconds = Time(() => Kernels.Gemm.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, n, accumulate: false));
        double gflops = 2.0 * m * n * k / seconds / 1e9;
        Console.WriteLine($"sgemm {variant} m={m} n={n} k={k} threads={threads}: {seconds * 1e3:0.000} ms, {gflops:0.0} GFLOP/s");
        Console.WriteLine(square
            ? Json(("bench", "gemm"), ("n", n), ("threads", threads), ("gflops", gflops))
            : Json(("bench", "gemm"), ("m", m), ("n", n), ("k", k), ("variant", variant), ("threads", threads), ("gflops", gflops)));
        return 0;
    }
}
