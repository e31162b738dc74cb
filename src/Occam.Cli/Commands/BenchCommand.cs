using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
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
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks of the engine; the last line printed is JSON.");
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
        command.SetAction(parse => Model(name, parse.GetValue(threads), parse.GetValue(samples), parse.GetValue(warmup), parse.GetValue(profile)));
        return command;
    }

    /// <summary>
    /// `occam bench mlp|cnn`: the training and inference benchmark that bench/compare_models.sh runs beside
    /// bench/peer_models.py. The batches are built before timing (distinct synthetic inputs, fixed random labels),
    /// so only the engine is timed. The epoch is samples / 128 full batches (drop_last, as the peer).
    /// </summary>
    static int Model(string name, int threads, int samples, int warmup, bool profile)
    {
        if (threads < 1) { Console.Error.WriteLine($"bench {name}: --threads must be at least 1, got {threads}"); return 1; }
        if (samples < BatchSize) { Console.Error.WriteLine($"bench {name}: --samples must be at least {BatchSize}, got {samples}"); return 1; }
        if (warmup < 0) { Console.Error.WriteLine($"bench {name}: --warmup must be non-negative, got {warmup}"); return 1; }
        Threads.Count = threads;
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
