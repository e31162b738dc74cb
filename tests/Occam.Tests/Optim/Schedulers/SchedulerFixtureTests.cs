using System.Text.Json;
using Occam.Tests.Support;
using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;

namespace Occam.Tests.Optim.Schedulers;

/// <summary>Learning-rate trajectories of every scheduler against PyTorch 1.13 (tests/fixtures/schedulers.json, made by
/// tools/fixtures/torch_sched_fixtures.py): two groups with different base lrs, the lr of each group (and for OneCycleLR its
/// momentum or β₁) after construction and after each step, to 1e-9 relative.</summary>
public class SchedulerFixtureTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Fixtures.Cases("schedulers.json"));

    public static TheoryData<string> Names() => [.. Cases.Value.Keys];

    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    /// <summary>The functions the fixtures' LambdaLR and MultiplicativeLR specs name (the script's LAMBDAS).</summary>
    static readonly Dictionary<string, Func<int, double>> Lambdas = new()
    {
        ["warmup5_inverse_sqrt"] = e => e < 5 ? (e + 1) / 5.0 : Math.Pow(5.0 / (e + 1), 0.5),
        ["warmup4_linear_to_30"] = e => Math.Min((e + 1) / 4.0, Math.Max(0.0, (30 - e) / 26.0)),
        ["constant_095"] = _ => 0.95,
        ["half_every_4"] = e => e % 4 == 0 ? 0.5 : 1.0,
    };

    /// <summary>Builds the scheduler a fixture spec describes (PyTorch argument names, PyTorch defaults where absent).</summary>
    internal static LRScheduler Build(Optimizer opt, JsonElement spec)
    {
        string type = spec.GetProperty("type").GetString()!;
        var a = spec.TryGetProperty("args", out var args) ? args : default;
        bool Has(string key) => a.ValueKind == JsonValueKind.Object && a.TryGetProperty(key, out _);
        double D(string key, double fallback) => Has(key) ? a.GetProperty(key).GetDouble() : fallback;
        int I(string key, int fallback) => Has(key) ? a.GetProperty(key).GetInt32() : fallback;
        string S(string key, string fallback) => Has(key) ? a.GetProperty(key).GetString()! : fallback;
        bool B(string key, bool fallback) => Has(key) ? a.GetProperty(key).GetBoolean() : fallback;
        bool IsList(string key) => Has(key) && a.GetProperty(key).ValueKind == JsonValueKind.Array;
        double[] List(string key) => a.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Func<int, double> Lambda() => Lambdas[a.GetProperty("lambda").GetString()!];
        Func<int, double>[] PerGroup() => a.GetProperty("lambdas").EnumerateArray().Select(n => Lambdas[n.GetString()!]).ToArray();
        LRScheduler[] Children() => spec.GetProperty("schedulers").EnumerateArray().Select(s => Build(opt, s)).ToArray();
        return type switch
        {
            "StepLR" => new StepLR(opt, I("step_size", 0), D("gamma", 0.1)),
            "MultiStepLR" => new MultiStepLR(opt, Ints(a.GetProperty("milestones")), D("gamma", 0.1)),
            "ExponentialLR" => new ExponentialLR(opt, D("gamma", 0)),
            "CosineAnnealingLR" => new CosineAnnealingLR(opt, I("T_max", 0), D("eta_min", 0)),
            "CosineAnnealingWarmRestarts" => new CosineAnnealingWarmRestarts(opt, I("T_0", 0), I("T_mult", 1), D("eta_min", 0)),
            "LambdaLR" => Has("lambda") ? new LambdaLR(opt, Lambda()) : new LambdaLR(opt, PerGroup()),
            "MultiplicativeLR" => Has("lambda") ? new MultiplicativeLR(opt, Lambda()) : new MultiplicativeLR(opt, PerGroup()),
            "CyclicLR" => new CyclicLR(opt, D("base_lr", 0), D("max_lr", 0), I("step_size_up", 2000), Has("step_size_down") ? I("step_size_down", 0) : null,
                S("mode", "triangular") switch { "triangular" => CyclicMode.Triangular, "triangular2" => CyclicMode.Triangular2, _ => CyclicMode.ExpRange },
                D("gamma", 1.0), B("cycle_momentum", true), D("base_momentum", 0.8), D("max_momentum", 0.9)),
            "ConstantLR" => new ConstantLR(opt, D("factor", 1.0 / 3), I("total_iters", 5)),
            "PolynomialLR" => new PolynomialLR(opt, I("total_iters", 5), D("power", 1.0)),
            "LinearLR" => new LinearLR(opt, D("start_factor", 1.0 / 3), D("end_factor", 1.0), I("total_iters", 5)),
            "OneCycleLR" when IsList("max_lr") => new OneCycleLR(opt, List("max_lr"), I("total_steps", 0), D("pct_start", 0.3),
                S("anneal_strategy", "cos") == "cos" ? AnnealStrategy.Cos : AnnealStrategy.Linear, B("cycle_momentum", true),
                D("base_momentum", 0.85), D("max_momentum", 0.95), D("div_factor", 25), D("final_div_factor", 1e4), B("three_phase", false)),
            "OneCycleLR" => new OneCycleLR(opt, D("max_lr", 0), I("total_steps", 0), D("pct_start", 0.3),
                S("anneal_strategy", "cos") == "cos" ? AnnealStrategy.Cos : AnnealStrategy.Linear, B("cycle_momentum", true),
                D("base_momentum", 0.85), D("max_momentum", 0.95), D("div_factor", 25), D("final_div_factor", 1e4), B("three_phase", false)),
            "ReduceLROnPlateau" => new ReduceLROnPlateau(opt, S("mode", "min") == "min" ? PlateauMode.Min : PlateauMode.Max, D("factor", 0.1),
                I("patience", 10), D("threshold", 1e-4), S("threshold_mode", "rel") == "rel" ? ThresholdMode.Rel : ThresholdMode.Abs,
                I("cooldown", 0), IsList("min_lr") ? 0 : D("min_lr", 0), D("eps", 1e-8)) { MinLrs = IsList("min_lr") ? List("min_lr") : null },
            "SWALR" => new SwaLR(opt, D("swa_lr", 0), I("anneal_epochs", 10), S("anneal_strategy", "cos") == "cos" ? AnnealStrategy.Cos : AnnealStrategy.Linear),
            "SequentialLR" => new SequentialLR(opt, Children(), Ints(spec.GetProperty("milestones"))),
            "ChainedScheduler" => new ChainedScheduler(Children()),
            _ => throw new NotSupportedException(type),
        };
    }

    static void Close(JsonElement expected, IReadOnlyList<double> actual, string what)
    {
        var e = expected.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(e.Length, actual.Count);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(actual[i] - e[i]) <= 1e-9 * Math.Abs(e[i]) + 1e-15, $"{what} group {i}: expected {e[i]:R}, got {actual[i]:R}");
    }

    [Theory, MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var lrs = c.GetProperty("lrs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var parameters = lrs.Select(_ => new Parameter(Tensor.FromArray(new float[1], 1))).ToArray();
        var groups = lrs.Select((lr, i) => new ParameterGroup([parameters[i]], $"g{i}", lr: lr)).ToArray();
        var kw = c.GetProperty("opt_kwargs");
        Optimizer opt = c.GetProperty("optimizer").GetString() == "sgd"
            ? new SGD(groups, lrs[0], momentum: kw.TryGetProperty("momentum", out var m) ? m.GetDouble() : 0)
            : new Adam(groups, lrs[0], betas: kw.TryGetProperty("betas", out var b) ? (b[0].GetDouble(), b[1].GetDouble()) : null);
        var sched = Build(opt, c.GetProperty("spec"));
        var expectedLr = c.GetProperty("lr").EnumerateArray().ToArray();
        JsonElement[]? expectedMomentum = c.TryGetProperty("momentum", out var em) ? em.EnumerateArray().ToArray() : null;
        double[]? metrics = c.TryGetProperty("metrics", out var ms) ? ms.EnumerateArray().Select(v => v.GetDouble()).ToArray() : null;
        // step(epoch) where the case gives one (null: a plain step)
        double?[]? epochs = c.TryGetProperty("epochs", out var es)
            ? es.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToArray() : null;
        IReadOnlyList<double> Momenta() => opt.Groups.Select(g => g.Betas?.Beta1 ?? g.Momentum!.Value).ToArray();

        for (int s = 0; s < expectedLr.Length; s++)
        {
            if (s > 0)
            {
                foreach (var p in parameters) p.Grad = Tensor.FromArray(new float[1], 1);
                opt.Step();
                if (metrics != null) ((ReduceLROnPlateau)sched).Step(metrics[s - 1]);
                else if (epochs?[s - 1] is double epoch) ((CosineAnnealingWarmRestarts)sched).Step(epoch);
                else sched.Step();
            }
            Close(expectedLr[s], sched.LastLr, $"{name} step {s} lr");
            if (expectedMomentum != null) Close(expectedMomentum[s], Momenta(), $"{name} step {s} momentum");
        }
    }
}
