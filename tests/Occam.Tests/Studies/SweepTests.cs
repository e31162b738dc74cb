using Occam.Studies;

namespace Occam.Tests.Studies;

public class SweepTests
{
    static SweepSettings Settings(string[] space, SweepMethod method = SweepMethod.Grid, int points = 3, int trials = 9, int repeats = 2, int epochs = 9) =>
        new(SweepSpace.Parse(space), method, points, trials, repeats, epochs);

    static ConfigSummary Config(int id, double value, double mean, double se, string name = "l2", int rung = 0) =>
        new(id, new Dictionary<string, double> { [name] = value }, rung, 1, mean, se, 3);

    [Fact]
    public void ParsesRangesLogRangesAndLists()
    {
        var range = SweepSpace.ParseParameter("dropout=0..0.5");
        Assert.Equal(("dropout", 0.0, 0.5, false, (IReadOnlyList<double>?)null), (range.Name, range.Low, range.High, range.Log, range.Values));
        var log = SweepSpace.ParseParameter("Weight-Decay = 1e-5..1e-1:log");
        Assert.Equal(("weight-decay", 1e-5, 1e-1, true), (log.Name, log.Low, log.High, log.Log));
        var list = SweepSpace.ParseParameter("l2=0.01,0,1e-3");
        Assert.Equal([0, 1e-3, 0.01], list.Values!);
        Assert.Equal("l2=0,0.001,0.01", list.ToString());
        Assert.Equal("weight-decay=1E-05..0.1:log", log.ToString());
    }

    [Theory]
    [InlineData("dropout", "no name=")]
    [InlineData("=0..1", "no name=")]
    [InlineData("dropout=", "no values")]
    [InlineData("dropout=0.5..0.1", "must exceed")]
    [InlineData("dropout=0.2..0.2", "must exceed")]
    [InlineData("l2=0..1e-1:log", "positive lower end")]
    [InlineData("l2=1e-5..abc", "'abc' is not a number")]
    [InlineData("l2=1e-5..", "missing")]
    [InlineData("l2=1e-5..1e-1:ln", "unknown scale")]
    [InlineData("l2=1,2:log", "not to lists")]
    [InlineData("l2=1,,2", "missing")]
    public void MalformedTextIsRejectedWithTheTextQuoted(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => SweepSpace.ParseParameter(text));
        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void UnknownNamesAndOutOfRangeValuesAreRejected()
    {
        Assert.Contains("unknown parameter 'momentum'", Assert.Throws<ArgumentException>(() => Settings(["momentum=0..1"]).Validate()).Message);
        Assert.Contains("dropout must lie in [0, 1)", Assert.Throws<ArgumentException>(() => Settings(["dropout=0..1"]).Validate()).Message);
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => Settings(["l2=0..1", "l2=1,2"])).Message);
    }

    [Fact]
    public void GridIsTheProductOfEvenlySpacedPoints()
    {
        var grid = SweepSpace.Parse(["l2=1e-4..1e-2:log", "dropout=0..0.5"]).Grid(3);
        Assert.Equal(9, grid.Count);
        var l2 = grid.Select(c => c["l2"]).Distinct().ToArray();
        Assert.Equal(3, l2.Length);
        Assert.Equal(1e-4, l2[0], 12);
        Assert.Equal(1e-3, l2[1], 12);
        Assert.Equal(1e-2, l2[2], 12);
        Assert.Equal([0, 0.25, 0.5], grid.Select(c => c["dropout"]).Distinct().Order().ToArray());
        Assert.Equal(4, SweepSpace.Parse(["l2=1,2,3,4"]).Grid(3).Count);  // a list ignores the point count
    }

    [Fact]
    public void RandomDrawsStayInRangeAreLogUniformAndSeeded()
    {
        var space = SweepSpace.Parse(["weight-decay=1e-5..1e-1:log", "dropout=0,0.3"]);
        var draws = space.Random(2000, new Generator(7));
        Assert.All(draws, d => Assert.InRange(d["weight-decay"], 1e-5, 1e-1));
        Assert.All(draws, d => Assert.Contains(d["dropout"], new[] { 0, 0.3 }));
        // Log-uniform: about a quarter of the draws fall in each of the four decades.
        Assert.InRange(draws.Count(d => d["weight-decay"] < 1e-4), 400, 600);
        Assert.Equal(draws.Select(d => d["weight-decay"]), space.Random(2000, new Generator(7)).Select(d => d["weight-decay"]));
    }

    [Fact]
    public void HalvingKeepsTheTopThirdAndTriplesTheEpochs()
    {
        var s = Settings(["l2=1e-5..1e-1:log"], SweepMethod.Halving, trials: 9, repeats: 2, epochs: 18);
        var first = Sweep.FirstRung(s);
        Assert.Equal(18, first.Count);
        Assert.Equal(3, Sweep.Rungs(s, 9));                       // 9 → 3 → 1
        Assert.All(first, t => Assert.Equal(2, t.Epochs));      // 18 / 3²
        // Configuration i scores i / 10 (repeat 1 a bit higher): the top three (6, 7, 8) go on with 6 epochs.
        var results = first.Select(t => new TrialResult(t, t.Config / 10.0 + t.Repeat * 0.01, [0])).ToList();
        var second = Sweep.NextRung(s, 9, results);
        Assert.Equal([6, 6, 7, 7, 8, 8], second.Select(t => t.Config).Order());
        Assert.All(second, t => { Assert.Equal(1, t.Rung); Assert.Equal(6, t.Epochs); });
        // In the second rung configuration 6 does best; it alone reaches the last rung, with the full 18 epochs.
        results.AddRange(second.Select(t => new TrialResult(t, t.Config == 6 ? 0.9 : 0.5, [0])));
        var third = Sweep.NextRung(s, 9, results);
        Assert.Equal([6, 6], third.Select(t => t.Config));
        Assert.All(third, t => Assert.Equal(18, t.Epochs));
        results.AddRange(third.Select(t => new TrialResult(t, 0.95, [0])));
        Assert.Empty(Sweep.NextRung(s, 9, results));
        var result = Sweep.Result(results, s.Space);
        Assert.Equal(6, result.Best.Config);
        Assert.Equal(2, result.Best.Rung);
        Assert.Equal(9, result.Configurations.Count);
    }

    [Theory]
    [InlineData(9, 2, 3, new[] { 2 }, new[] { 9 })]                  // was [1, 1, 2]: one rung is plain random search
    [InlineData(81, 20, 3, new[] { 2, 7, 20 }, new[] { 81, 27, 9 })] // was [1, 1, 2, 7, 20]
    [InlineData(9, 18, 3, new[] { 2, 6, 18 }, new[] { 9, 3, 1 })]    // room for every rung: halving down to one
    [InlineData(100, 10, 2, new[] { 1, 2, 5, 10 }, new[] { 100, 50, 25, 12 })]
    [InlineData(4, 100, 4, new[] { 25, 100 }, new[] { 4, 1 })]
    public void HalvingRungsTrainStrictlyLongerEachRung(int trials, int epochs, int eta, int[] budgets, int[] counts)
    {
        var s = Settings(["l2=1e-5..1e-1:log"], SweepMethod.Halving, trials: trials, repeats: 1, epochs: epochs) with { Eta = eta };
        var pending = Sweep.FirstRung(s);
        var results = new List<TrialResult>();
        var seen = new List<(int Epochs, int Count)>();
        while (pending.Count > 0)
        {
            Assert.Single(pending.Select(t => t.Epochs).Distinct());
            seen.Add((pending[0].Epochs, pending.Count));
            results.AddRange(pending.Select(t => new TrialResult(t, t.Config / 1000.0, [0])));
            pending = Sweep.NextRung(s, trials, results);
        }
        Assert.Equal(budgets, seen.Select(r => r.Epochs));
        Assert.Equal(counts, seen.Select(r => r.Count));
    }

    [Fact]
    public void HalvingBudgetsStrictlyIncreaseForEveryPlan()
    {
        // Hyperband's bound: at most ⌊log_η R⌋ + 1 rungs; fewer only when the configurations run out first.
        for (int eta = 2; eta <= 5; eta++)
            for (int epochs = 1; epochs <= 60; epochs++)
                for (int trials = 1; trials <= 100; trials++)
                {
                    var s = Settings(["l2=1e-5..1e-1:log"], SweepMethod.Halving, trials: trials, epochs: epochs) with { Eta = eta };
                    int rungs = Sweep.Rungs(s, trials);
                    var budgets = Enumerable.Range(0, rungs).Select(r => Sweep.RungEpochs(s, trials, r)).ToArray();
                    Assert.True(budgets[0] >= 1 && budgets[^1] == epochs, $"{trials} trials, {epochs} epochs, η {eta}: [{string.Join(", ", budgets)}]");
                    for (int r = 1; r < rungs; r++)
                        Assert.True(budgets[r] > budgets[r - 1], $"{trials} trials, {epochs} epochs, η {eta}: [{string.Join(", ", budgets)}]");
                    int sMax = (int)Math.Floor(Math.Log(epochs) / Math.Log(eta) + 1e-9);
                    int halvings = 1;
                    for (int n = trials; n > 1; n = Math.Max(1, n / eta)) halvings++;
                    Assert.Equal(Math.Min(halvings, sMax + 1), rungs);
                }
    }

    [Fact]
    public void GridAndRandomHaveOneRung()
    {
        var s = Settings(["dropout=0..0.5"], points: 4, repeats: 3, epochs: 5);
        var first = Sweep.FirstRung(s);
        Assert.Equal(12, first.Count);
        Assert.All(first, t => Assert.Equal(5, t.Epochs));
        Assert.Empty(Sweep.NextRung(s, 4, first.Select(t => new TrialResult(t, 0.5, [0.5]))));
    }

    [Fact]
    public void StandardErrorIsSampleSdOverRootN()
    {
        var (mean, se) = Sweep.MeanAndError([0.80, 0.82, 0.84]);
        Assert.Equal(0.82, mean, 12);
        Assert.Equal(0.02 / Math.Sqrt(3), se, 12);   // sd = 0.02
        Assert.Equal((0.5, 0.0), Sweep.MeanAndError([0.5]));
    }

    [Fact]
    public void OneStandardErrorRuleTakesTheMostRegularizedValueWithinOneSeOfTheBest()
    {
        var space = SweepSpace.Parse(["l2=1e-5..1e-1:log"]);
        ConfigSummary[] configs =
        [
            Config(0, 1e-5, 0.80, 0.01),
            Config(1, 1e-4, 0.82, 0.01),
            Config(2, 1e-3, 0.85, 0.02),   // best; floor 0.83
            Config(3, 1e-2, 0.835, 0.01),  // within one SE, more regularized: the choice
            Config(4, 1e-1, 0.70, 0.01),
        ];
        var (best, oneSe) = Sweep.Choose(configs, space);
        Assert.Equal(2, best.Config);
        Assert.Equal(3, oneSe.Config);
        var result = new SweepResult(configs, best, oneSe);
        var (over, under) = Sweep.Regions(result, space.Parameters[0]);
        Assert.Equal((1e-5, 1e-4), over);   // below the floor on the weak side
        Assert.Equal((1e-1, 1e-1), under);  // below the floor on the strong side
        // With a tiny SE nothing else qualifies and the choice is the best itself.
        var tight = configs.Select(c => c with { StandardError = 0.001 }).ToArray();
        Assert.Equal(2, Sweep.Choose(tight, space).OneStandardError.Config);
    }

    [Fact]
    public void RegionsCompareOnlyASliceThroughTheBest()
    {
        // A grid of weight decay × dropout whose score ignores weight decay; dropout 0.9 scores far lower. Only the
        // dropout = 0 slice through the best compares weight decays: no region at all.
        var space = SweepSpace.Parse(["weight-decay=1e-4,1e-3,1e-2", "dropout=0,0.9"]);
        var configs = space.Grid(2).Select((p, i) => new ConfigSummary(i, p, 0, 9, p["dropout"] > 0 ? 0.60 : 0.85 - 0.001 * i, 0.01, 3)).ToList();
        var result = new SweepResult(configs, configs.MaxBy(c => c.Mean)!, configs.MaxBy(c => c.Mean)!);
        Assert.Equal((null, null), Sweep.Regions(result, space.Parameters.Single(p => p.Name == "weight-decay")));
        var (_, under) = Sweep.Regions(result, space.Parameters.Single(p => p.Name == "dropout"));
        Assert.Equal((0.9, 0.9), under); // along dropout, with weight decay at the best's, 0.9 does underfit
        // a configuration trained for fewer epochs is not compared either
        var shorter = configs.Select(c => c.Parameters["dropout"] > 0 ? c with { Epochs = 3 } : c).ToList();
        Assert.Equal((null, null), Sweep.Regions(new SweepResult(shorter, result.Best, result.Best), space.Parameters.Single(p => p.Name == "dropout")));
    }

    [Fact]
    public void HalvingWithOneFinalistHasNoOneSeChoiceBeyondTheBest()
    {
        // 9 configurations, η = 3, 27 epochs: rungs of 9, 3 and 1. The rung of 3 (9 epochs) holds a more regularized
        // configuration within one SE of that rung's best, but its scores are not comparable with the 27-epoch best:
        // the one-SE choice stays the best.
        var settings = Settings(["l2=1e-5..1e-1:log"], SweepMethod.Halving, trials: 9, repeats: 2, epochs: 27);
        var first = Sweep.FirstRung(settings);
        var results = first.Select(t => new TrialResult(t, 0.5 + 0.01 * t.Config + 0.001 * t.Repeat, [0])).ToList();
        var second = Sweep.NextRung(settings, 9, results);
        Assert.Equal(6, second.Count);
        double Score(SweepTrial t) => 0.80 + (t.Repeat == 0 ? 0.01 : -0.01) - 0.005 * Sweep.Regularization(t.Parameters, settings.Space);
        results.AddRange(second.Select(t => new TrialResult(t, Score(t), [0])));
        var third = Sweep.NextRung(settings, 9, results);
        results.AddRange(third.Select(t => new TrialResult(t, 0.9, [0])));
        var result = Sweep.Result(results, settings.Space);
        Assert.Equal(2, result.Best.Rung);
        Assert.Equal(1, result.Finalists);
        Assert.False(result.HasOneStandardErrorChoice);
        Assert.Same(result.Best, result.OneStandardError);
    }

    [Fact]
    public void HalvingTakesItsOneSeChoiceAmongTheFinalistsOnly()
    {
        // 9 configurations, η = 3, 3 epochs: rungs of 9 (1 epoch) and 3 (3 epochs). In the first rung the most
        // regularized configuration ties the best; in the last it falls far below. The choice is a finalist within one SE
        // of the final best, never the first rung's 1-epoch score.
        var settings = Settings(["l2=1e-5..1e-1:log"], SweepMethod.Halving, trials: 9, repeats: 2, epochs: 3);
        var first = Sweep.FirstRung(settings);
        double strongest = first.Max(t => Sweep.Regularization(t.Parameters, settings.Space));
        var results = first.Select(t => new TrialResult(t, (Sweep.Regularization(t.Parameters, settings.Space) == strongest ? 0.95 : 0.5 + 0.01 * t.Config) + 0.001 * t.Repeat, [0])).ToList();
        var second = Sweep.NextRung(settings, 9, results);
        Assert.Equal(6, second.Count);
        Assert.All(second, t => Assert.Equal(3, t.Epochs));
        // At 3 epochs: the strongest scores 0.60, the other two 0.85 and 0.845 (± 0.01).
        var others = second.Select(t => t.Config).Distinct().Where(c => Sweep.Regularization(first.First(t => t.Config == c).Parameters, settings.Space) != strongest).Order().ToArray();
        double Final(SweepTrial t) => (t.Config == others[0] ? 0.85 : t.Config == others[1] ? 0.845 : 0.60) + (t.Repeat == 0 ? 0.01 : -0.01);
        results.AddRange(second.Select(t => new TrialResult(t, Final(t), [0])));
        Assert.Empty(Sweep.NextRung(settings, 9, results));
        var result = Sweep.Result(results, settings.Space);
        Assert.Equal(3, result.Finalists);
        Assert.True(result.HasOneStandardErrorChoice);
        Assert.Equal(1, result.OneStandardError.Rung);
        Assert.Equal(3, result.OneStandardError.Epochs);
        Assert.True(result.OneStandardError.Mean >= result.Best.Mean - result.Best.StandardError);
        Assert.Contains(result.OneStandardError.Config, others);
    }

    [Fact]
    public void OneStandardErrorRuleOnParallelLists()
    {
        // A regularization path from the strongest λ down: the best is index 3, its floor 0.80 − 0.02; index 1 is the
        // most regularized within it. Ties on the best go to the first.
        double[] lambdas = [1, 0.5, 0.25, 0.125, 0.0625];
        Assert.Equal((3, 1), Sweep.OneStandardErrorRule([0.60, 0.785, 0.79, 0.80, 0.80], [0.02, 0.02, 0.02, 0.02, 0.02], lambdas));
        Assert.Equal((3, 3), Sweep.OneStandardErrorRule([0.60, 0.70, 0.75, 0.80, 0.70], [0, 0, 0, 0, 0], lambdas));
        Assert.Throws<ArgumentException>(() => Sweep.OneStandardErrorRule([], [], []));
        Assert.Throws<ArgumentException>(() => Sweep.OneStandardErrorRule([0.5], [0.1, 0.2], [1]));
    }

    [Fact]
    public void ATighterMaxNormIsTheStrongerRegularization()
    {
        var space = SweepSpace.Parse(["max-norm=0.5..8:log"]);
        ConfigSummary[] configs =
        [
            Config(0, 0.5, 0.70, 0.01, "max-norm"),   // too tight: underfitting
            Config(1, 1, 0.835, 0.01, "max-norm"),    // within one SE of the best, tighter: the choice
            Config(2, 2, 0.85, 0.02, "max-norm"),     // best; floor 0.83
            Config(3, 4, 0.82, 0.01, "max-norm"),     // too loose: overfitting
            Config(4, 8, 0.80, 0.01, "max-norm"),
        ];
        Assert.True(Sweep.Regularization(configs[0].Parameters, space) > Sweep.Regularization(configs[4].Parameters, space));
        var (best, oneSe) = Sweep.Choose(configs, space);
        Assert.Equal(2, best.Config);
        Assert.Equal(1, oneSe.Config);
        var (over, under) = Sweep.Regions(new SweepResult(configs, best, oneSe), space.Parameters[0]);
        Assert.Equal((4.0, 8.0), over);
        Assert.Equal((0.5, 0.5), under);
        Assert.Contains("max-norm must lie in (0, ∞)", Assert.Throws<ArgumentException>(() => new SweepSettings(SweepSpace.Parse(["max-norm=0..3"])).Validate()).Message);
    }

    [Fact]
    public void LearningRateIsNeitherSideOfRegularization()
    {
        var space = SweepSpace.Parse(["lr=1e-4..1e-2:log"]);
        ConfigSummary[] configs = [Config(0, 1e-4, 0.80, 0.05, "lr"), Config(1, 1e-3, 0.82, 0.05, "lr"), Config(2, 1e-2, 0.60, 0.05, "lr")];
        var (best, oneSe) = Sweep.Choose(configs, space);
        Assert.Equal(1, best.Config);
        Assert.Equal(1, oneSe.Config);   // no regularization order: ties go to the higher mean
        Assert.Equal((null, null), Sweep.Regions(new SweepResult(configs, best, oneSe), space.Parameters[0]));
    }

    [Fact]
    public void SpecHashChangesWithTheSweepOnly()
    {
        var a = Settings(["l2=1e-5..1e-1:log"]);
        Assert.Equal(a.SpecHash(), Settings(["l2 = 1e-5..0.1:log"]).SpecHash());
        Assert.NotEqual(a.SpecHash(), Settings(["l2=1e-5..1e-2:log"]).SpecHash());
        Assert.NotEqual(a.SpecHash(), (a with { Epochs = 3 }).SpecHash());
    }

    [Fact]
    public void TinyTrialTrainsAndReportsACurve()
    {
        var s = new SweepSettings(SweepSpace.Parse(["dropout=0,0.2"]), Repeats: 1, Epochs: 2, TrainSize: 200, ValidationSize: 100);
        var trial = Sweep.FirstRung(s)[1];
        var epochs = new List<int>();
        var result = Sweep.RunTrial(s, trial, (e, _) => epochs.Add(e));
        Assert.Equal([0, 1], epochs);
        Assert.Equal(2, result.Curve.Length);
        Assert.InRange(result.Metric, 0.3, 1.0);
        Assert.Equal(result.Metric, Sweep.RunTrial(s, trial).Metric);   // seeded: the same trial gives the same number
    }

    [Fact]
    public void SamIsASweepableStrengthThatChangesTheRun()
    {
        var s = new SweepSettings(SweepSpace.Parse(["sam=0,0.1"]), Repeats: 1, Epochs: 2, TrainSize: 300, ValidationSize: 500);
        Assert.Equal(1, Sweep.Directions["sam"]);
        var trials = Sweep.FirstRung(s);
        var plain = Sweep.RunTrial(s, trials[0]);
        var sam = Sweep.RunTrial(s, trials[1]);
        Assert.Equal(0.1, trials[1].Parameters["sam"]);
        Assert.True(sam.Metric > 0.3, $"sam {sam.Metric}, plain {plain.Metric}");
        Assert.NotEqual(plain.Curve, sam.Curve);
        Assert.Throws<ArgumentException>(() => new SweepSettings(SweepSpace.Parse(["sam=-1..1"])).Validate());
    }
    [Theory]
    [InlineData("l1-proximal=0,1")]
    [InlineData("mixup=0,0.4")]
    [InlineData("max-norm=100,0.2")]
    public void ProximalL1MixUpAndMaxNormAreSweepableStrengthsThatChangeTheRun(string param)
    {
        var s = new SweepSettings(SweepSpace.Parse([param]), Repeats: 1, Epochs: 2, TrainSize: 300, ValidationSize: 500);
        var trials = Sweep.FirstRung(s);
        Assert.NotEqual(0, Sweep.Directions[trials[1].Parameters.Keys.Single()]);
        var plain = Sweep.RunTrial(s, trials[0]);
        var regularized = Sweep.RunTrial(s, trials[1]);
        Assert.True(regularized.Metric > 0.3, $"{param}: {regularized.Metric}, plain {plain.Metric}");
        Assert.NotEqual(plain.Curve, regularized.Curve);
    }
}
