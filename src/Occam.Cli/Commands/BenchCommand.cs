using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using Occam.Kernels;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Studies;
using Occam.Training;

namespace Occam.Cli.Commands;

/// <summary>
/// `occam bench ...`: engine benchmarks, one private method per subcommand. Each prints a human
/// line or two and, as its LAST line, one JSON object that bench/ scripts parse.
/// </summary>
internal static partial class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks of the engine; the last line printed is JSON.");
        command.Subcommands.Add(CreatePeak());
        command.Subcommands.Add(CreateCores());
        command.Subcommands.Add(CreateGemm());
        command.Subcommands.Add(CreateModel("mlp"));
        command.Subcommands.Add(CreateModel("cnn"));
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

    static Command CreatePeak()
    {
        var threads = ThreadsOption();
        var command = new Command("peak",
            "Measures the machine's float32 multiply-add peak in GFLOP/s: independent FMA chains held in registers on each thread " +
            "(the widest vectors the CPU runs), no memory traffic; best of five batches of at least 0.2 s. The ceiling for any " +
            "float32 engine on this machine: bench/compare_models.sh prints what it allows against PyTorch. Example: occam bench peak --threads 2");
        command.Options.Add(threads);
        Cli.SetAction(command, parse => Peak(parse.GetValue(threads)), threads);
        return command;
    }

    static int Peak(int threads)
    {
        const int Iterations = 1 << 26;
        int lanes = Vector512.IsHardwareAccelerated ? 16 : Vector<float>.Count;
        var sink = new float[threads];
        // One task per thread, on threads of its own: the engine's pool runs a task inline on a busy thread.
        double seconds = Time(() =>
        {
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int index = t;
                workers[t] = new Thread(() => sink[index] = FmaChains(Iterations, lanes));
                workers[t].Start();
            }
            foreach (var worker in workers) worker.Join();
        });
        double gflops = 2.0 * Chains * lanes * (double)Iterations * threads / seconds / 1e9;
        Console.WriteLine($"fma peak threads={threads}: {Chains} chains of {lanes}-lane float32 multiply-adds, {gflops:0.0} GFLOP/s ({gflops / threads:0.0} per thread)");
        Console.WriteLine(Json(("bench", "peak"), ("threads", threads), ("lanes", lanes), ("gflops", gflops)));
        return 0;
    }

    // Enough independent accumulators to cover the multiply-add latency on every pipe.
    const int Chains = 16;

    /// <summary>Chains × iterations multiply-adds of lanes-wide vectors (16: Vector512, else Vector&lt;float&gt;), every
    /// accumulator in a register.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float FmaChains(int iterations, int lanes)
    {
        if (lanes == 16)
        {
            Vector512<float> f = Vector512.Create(0.9999999f), t = Vector512.Create(1e-7f), a0 = Vector512<float>.One, a1 = a0, a2 = a0,
                a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < iterations; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, f, t); a1 = Vector512.FusedMultiplyAdd(a1, f, t); a2 = Vector512.FusedMultiplyAdd(a2, f, t);
                a3 = Vector512.FusedMultiplyAdd(a3, f, t); a4 = Vector512.FusedMultiplyAdd(a4, f, t); a5 = Vector512.FusedMultiplyAdd(a5, f, t);
                a6 = Vector512.FusedMultiplyAdd(a6, f, t); a7 = Vector512.FusedMultiplyAdd(a7, f, t); a8 = Vector512.FusedMultiplyAdd(a8, f, t);
                a9 = Vector512.FusedMultiplyAdd(a9, f, t); a10 = Vector512.FusedMultiplyAdd(a10, f, t); a11 = Vector512.FusedMultiplyAdd(a11, f, t);
                a12 = Vector512.FusedMultiplyAdd(a12, f, t); a13 = Vector512.FusedMultiplyAdd(a13, f, t); a14 = Vector512.FusedMultiplyAdd(a14, f, t);
                a15 = Vector512.FusedMultiplyAdd(a15, f, t);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
        else
        {
            Vector<float> f = new(0.9999999f), t = new(1e-7f), a0 = Vector<float>.One, a1 = a0, a2 = a0,
                a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < iterations; i++)
            {
                a0 = Vector.FusedMultiplyAdd(a0, f, t); a1 = Vector.FusedMultiplyAdd(a1, f, t); a2 = Vector.FusedMultiplyAdd(a2, f, t);
                a3 = Vector.FusedMultiplyAdd(a3, f, t); a4 = Vector.FusedMultiplyAdd(a4, f, t); a5 = Vector.FusedMultiplyAdd(a5, f, t);
                a6 = Vector.FusedMultiplyAdd(a6, f, t); a7 = Vector.FusedMultiplyAdd(a7, f, t); a8 = Vector.FusedMultiplyAdd(a8, f, t);
                a9 = Vector.FusedMultiplyAdd(a9, f, t); a10 = Vector.FusedMultiplyAdd(a10, f, t); a11 = Vector.FusedMultiplyAdd(a11, f, t);
                a12 = Vector.FusedMultiplyAdd(a12, f, t); a13 = Vector.FusedMultiplyAdd(a13, f, t); a14 = Vector.FusedMultiplyAdd(a14, f, t);
                a15 = Vector.FusedMultiplyAdd(a15, f, t);
            }
            return Vector.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
    }

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
        Cli.SetAction(command, parse =>
        {
            int nv = parse.GetValue(n);
            return Gemm(parse.GetValue(m) ?? nv, nv, parse.GetValue(k) ?? nv, parse.GetValue(variant)!, parse.GetValue(threads),
                square: parse.GetValue(m) is null && parse.GetValue(k) is null && parse.GetValue(variant) == "nn");
        }, threads);
        return command;
    }

    static int Gemm(int m, int n, int k, string variant, int threads, bool square)
    {
        if (m < 1 || n < 1 || k < 1) throw new ArgumentException($"sizes must be positive, got m={m}, n={n}, k={k}");
        const long MaxElements = 1L << 28; // 1 GiB of floats a matrix
        foreach (var (name, size) in new[] { ("m·k", (long)m * k), ("k·n", (long)k * n), ("m·n", (long)m * n) })
            if (size > MaxElements)
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{name} = {size:N0} elements is more than a matrix may hold here ({MaxElements:N0}, 1 GiB), with m={m}, n={n}, k={k}"));
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

    const int BatchSize = 128;

    static Command CreateModel(string name)
    {
        var threads = ThreadsOption();
        var samples = new Option<int>("--samples") { Description = "Samples in the timed epoch (full batches of 128; default 60000).", DefaultValueFactory = _ => 60000 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed training steps first (default 50).", DefaultValueFactory = _ => 50 };
        var profile = new Option<bool>("--profile") { Description = "Also print a per-op time breakdown of the training steps (slows them down)." };
        var command = new Command(name,
            $"Times one epoch of full training steps of Architectures.Bench{(name == "mlp" ? "Mlp" : "Cnn")} (batch 128, AdamW lr 1e-3 wd 0.01, " +
            "cross-entropy with label smoothing 0.1, synthetic inputs) after a warm-up, then eval-mode inference over the same samples " +
            "(Predict, which runs whole batches side by side at 2+ threads; a plain one-batch-at-a-time loop is printed beside it). " +
            $"Example: occam bench {name} --threads 2");
        command.Options.Add(threads);
        command.Options.Add(samples);
        command.Options.Add(warmup);
        command.Options.Add(profile);
        Cli.SetAction(command, parse => Model(name, parse.GetValue(threads), parse.GetValue(samples), parse.GetValue(warmup), parse.GetValue(profile)), threads);
        return command;
    }

    /// <summary>
    /// `occam bench mlp|cnn`: the training and inference benchmark that bench/compare_models.sh runs beside
    /// bench/peer_models.py. The batches are built before timing (distinct synthetic inputs, fixed random labels),
    /// so only the engine is timed. The epoch is samples / 128 full batches (drop_last, as the peer).
    /// </summary>
    static int Model(string name, int threads, int samples, int warmup, bool profile)
    {
        if (samples < BatchSize) throw new ArgumentException($"--samples must be at least {BatchSize}, got {samples}");
        if (warmup < 0) throw new ArgumentException($"--warmup must be non-negative, got {warmup}");
        var generator = new Generator(0);
        var model = name == "mlp" ? Architectures.BenchMlp(generator) : Architectures.BenchCnn(generator);
        var optimizer = new AdamW(model.Parameters(), lr: 1e-3, weightDecay: 0.01);
        var lossFn = new CrossEntropyLoss(labelSmoothing: 0.1f);

        // Distinct synthetic batches (inputs ~ U(0, 1) like scaled pixels), cycled; labels fixed.
        int steps = samples / BatchSize;
        int distinct = Math.Min(steps, 64);
        var data = new Random(1);
        var inputs = new Tensor[distinct];
        var labels = new Tensor[distinct];
        for (int b = 0; b < distinct; b++)
        {
            var x = new float[BatchSize * 784];
            for (int i = 0; i < x.Length; i++) x[i] = (float)data.NextDouble();
            var y = new float[BatchSize];
            for (int i = 0; i < y.Length; i++) y[i] = data.Next(10);
            inputs[b] = Tensor.FromArray(x, BatchSize, 1, 28, 28);
            labels[b] = Tensor.FromArray(y, BatchSize);
        }

        float lastLoss = 0;
        void TrainStep(int step)
        {
            if (OpProfiler.Enabled) { ProfiledStep(step); return; }
            optimizer.ZeroGrad();
            var loss = lossFn.Forward(model.Forward(inputs[step % distinct]), labels[step % distinct]);
            loss.Backward();
            optimizer.Step();
            lastLoss = loss.Span[0];
        }

        void ProfiledStep(int step)
        {
            OpProfiler.Mark();
            optimizer.ZeroGrad();
            OpProfiler.Lap("ZeroGrad");
            var loss = lossFn.Forward(model.Forward(inputs[step % distinct]), labels[step % distinct]);
            OpProfiler.Lap("loss tail fwd");
            long t1 = Stopwatch.GetTimestamp();
            loss.Backward();
            OpProfiler.Mark();
            OpProfiler.Add("(Backward total, incl. the bwd rows)", Stopwatch.GetTimestamp() - t1);
            optimizer.Step();
            OpProfiler.Lap("AdamW.Step");
            lastLoss = loss.Span[0];
        }

        model.Train();
        for (int s = 0; s < warmup; s++) TrainStep(s);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int gen2 = GC.CollectionCount(2);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) TrainStep(s);
        double trainSeconds = watch.Elapsed.TotalSeconds;
        long allocPerStep = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / steps;
        int gen2Count = GC.CollectionCount(2) - gen2;
        if (!float.IsFinite(lastLoss)) { Console.Error.WriteLine($"bench {name}: the loss diverged ({lastLoss})"); return 1; }

        if (profile)
        {
            OpProfiler.Enabled = true;
            OpProfiler.Reset();
            int profiled = Math.Min(steps, 100);
            var pw = Stopwatch.StartNew();
            for (int s = 0; s < profiled; s++) TrainStep(s);
            double perStep = pw.Elapsed.TotalSeconds / profiled;
            OpProfiler.Enabled = false;
            Console.WriteLine($"per-op time of one training step ({profiled} steps averaged, {perStep * 1e3:0.00} ms/step with the profiler on):");
            foreach (var (op, seconds, calls, bytes) in OpProfiler.Report())
                Console.WriteLine($"  {op,-38} {seconds / profiled * 1e3,8:0.000} ms  {seconds / profiled / perStep * 100,5:0.0} %  {calls / profiled,3} calls  {bytes / profiled,8} B");
        }

        // Inference as a user runs it, Predict over the epoch's batches (batches side by side at 2+ threads), then one
        // batch at a time in a plain eval-mode loop (each kernel split across the threads) for comparison.
        var epoch = Enumerable.Range(0, steps).Select(s => inputs[s % distinct]).ToArray();
        model.Predict(epoch.AsSpan(0, Math.Min(10, steps)).ToArray());
        watch.Restart();
        model.Predict(epoch);
        double inferSeconds = watch.Elapsed.TotalSeconds;
        model.Eval();
        double loopSeconds;
        using (Autograd.NoGrad())
        {
            for (int s = 0; s < Math.Min(10, steps); s++) model.Forward(epoch[s]);
            watch.Restart();
            for (int s = 0; s < steps; s++) model.Forward(epoch[s]);
            loopSeconds = watch.Elapsed.TotalSeconds;
        }

        double trainRate = steps * BatchSize / trainSeconds, inferRate = steps * BatchSize / inferSeconds, loopRate = steps * BatchSize / loopSeconds;
        Console.WriteLine($"bench {name} threads={threads}: {steps} steps of {BatchSize}, training {trainRate:0} samples/s " +
                          $"({trainSeconds / steps * 1e3:0.00} ms/step, last loss {lastLoss:0.0000}), inference {inferRate:0} samples/s " +
                          $"(Predict; {loopRate:0} one batch at a time), {allocPerStep} B allocated per step, {gen2Count} gen-2 collections");
        Console.WriteLine(Json(("bench", name), ("threads", threads), ("samples_per_s", Math.Round(trainRate, 1)),
            ("inference_samples_per_s", Math.Round(inferRate, 1)), ("alloc_bytes_per_step", allocPerStep), ("gen2_collections", gen2Count)));
        return 0;
    }
}
