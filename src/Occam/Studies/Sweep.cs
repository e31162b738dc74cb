using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Occam.Data;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Regularizers;
using Occam.Training;
using Occam.Training.Callbacks;

namespace Occam.Studies;

/// <summary>How a sweep picks configurations: every grid point, random draws, or random draws pruned by successive
/// halving (Jamieson &amp; Talwalkar 2016; Li et al. 2018, Hyperband's inner loop).</summary>
public enum SweepMethod { Grid, Random, Halving }

/// <summary>Everything that defines a sweep (and so its identity in a store: see <see cref="Spec"/>).</summary>
/// <param name="Points">Grid points per range parameter (grid).</param>
/// <param name="Trials">Configurations drawn (random, halving).</param>
/// <param name="Repeats">Runs per configuration with different seeds (data split and initialization); the standard
/// error of the one-SE rule is sd / √repeats.</param>
/// <param name="Epochs">Epochs per run (halving: of the last rung; earlier rungs get Epochs / η, / η², …, never
/// fewer than 1, which caps the rungs at ⌊log_η Epochs⌋ + 1).</param>
public sealed record SweepSettings(SweepSpace Space, SweepMethod Method = SweepMethod.Grid, int Points = 6, int Trials = 12,
    int Repeats = 3, int Epochs = 20, int TrainSize = 1000, int ValidationSize = 1000, string Model = "mlp", double Lr = 1e-3,
    int BatchSize = 64, int Eta = 3, int Seed = 1)
{
    /// <summary>Checks every value; the message names the bad one.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Space);
        foreach (var p in Space.Parameters) Sweep.CheckParameter(p);
        Positive(Points, "points"); Positive(Trials, "trials"); Positive(Repeats, "repeats"); Positive(Epochs, "epochs");
        Positive(TrainSize, "train size"); Positive(ValidationSize, "validation size"); Positive(BatchSize, "batch size");
        if (TrainSize + ValidationSize > 6000)
            throw new ArgumentException($"Sweep: train size {TrainSize} + validation size {ValidationSize} exceeds the 6000 examples of the embedded Fashion-MNIST training subset");
        if (Model is not ("mlp" or "cnn")) throw new ArgumentException($"Sweep: model must be mlp or cnn, got '{Model}'");
        if (!(Lr > 0)) throw new ArgumentException($"Sweep: lr must be positive, got {Lr}");
        if (Eta < 2) throw new ArgumentException($"Sweep: eta must be at least 2, got {Eta}");
    }

    static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentException($"Sweep: {name} must be at least 1, got {value}");
    }

    /// <summary>Canonical JSON of the settings: two sweeps with the same spec run the same trials.</summary>
    public string Spec()
    {
        var spec = new SortedDictionary<string, object>
        {
            ["space"] = Space.Parameters.Select(p => p.ToString()).ToArray(),
            ["method"] = Method.ToString().ToLowerInvariant(),
            ["points"] = Method == SweepMethod.Grid ? Points : 0,
            ["trials"] = Method == SweepMethod.Grid ? 0 : Trials,
            ["repeats"] = Repeats, ["epochs"] = Epochs, ["train_size"] = TrainSize, ["validation_size"] = ValidationSize,
            ["model"] = Model, ["lr"] = Lr, ["batch_size"] = BatchSize, ["eta"] = Method == SweepMethod.Halving ? Eta : 0, ["seed"] = Seed,
        };
        // The rung plan is part of the sweep: a store begun under another plan (earlier versions ran rungs of
        // repeated epochs) is refused rather than continued with mixed budgets.
        if (Method == SweepMethod.Halving)
            spec["rung_epochs"] = Enumerable.Range(0, Sweep.Rungs(this, Trials)).Select(r => Sweep.RungEpochs(this, Trials, r)).ToArray();
        return JsonSerializer.Serialize(spec);
    }

    /// <summary>SHA-256 of <see cref="Spec"/>, hex.</summary>
    public string SpecHash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Spec())));
}

/// <summary>One unit of work: configuration <paramref name="Config"/> run with seed index <paramref name="Repeat"/> for
/// <paramref name="Epochs"/> epochs, in halving rung <paramref name="Rung"/> (0 for grid and random).</summary>
public sealed record SweepTrial(int Config, int Repeat, int Rung, int Epochs, IReadOnlyDictionary<string, double> Parameters);

/// <summary>A finished trial: the validation accuracy after the last epoch and its value after each epoch.</summary>
public sealed record TrialResult(SweepTrial Trial, double Metric, double[] Curve);

/// <summary>A configuration's mean validation accuracy over its repeats in one rung, with its standard error sd/√k.</summary>
public sealed record ConfigSummary(int Config, IReadOnlyDictionary<string, double> Parameters, int Rung, int Epochs,
    double Mean, double StandardError, int Repeats);

/// <summary>The outcome: every configuration (at the highest rung it reached), the best, and the one-standard-error
/// choice, both among the configurations trained at the full budget (the last rung).</summary>
public sealed record SweepResult(IReadOnlyList<ConfigSummary> Configurations, ConfigSummary Best, ConfigSummary OneStandardError)
{
    /// <summary>How many configurations the last rung trained at the full budget: the one-SE rule chooses among them,
    /// so with one (halving that ran down to a single configuration) there is no choice beyond the best.</summary>
    public int Finalists => Configurations.Count(c => c.Rung == Best.Rung);

    /// <summary>Whether the one-SE rule had something to choose: a standard error (two or more repeats) and two or more
    /// configurations at the full budget. Otherwise <see cref="OneStandardError"/> is the best itself.</summary>
    public bool HasOneStandardErrorChoice => Best.Repeats > 1 && Finalists > 1;
}

/// <summary>
/// Tunes regularization strength on validation data. Parameters: weight-decay (AdamW, decoupled), l2 and l1 (Keras
/// kernel penalties; both → elastic net), dropout, label-smoothing, lr. Each trial trains a model on a seeded,
/// stratified train/validation draw from the embedded Fashion-MNIST subset and scores its validation accuracy.
/// The one-SE choice is the most regularized configuration whose mean lies within one standard error of the best
/// (Breiman et al. 1984; glmnet's <c>lambda.1se</c>). This class plans and scores; storage and scheduling across
/// processes belong to the caller (see <see cref="Run"/> for the in-memory loop).
/// </summary>
public static class Sweep
{
    /// <summary>The metric every trial reports (higher is better).</summary>
    public const string Metric = "val_accuracy";

    /// <summary>The parameters a sweep can vary, and which way is "more regularization": +1 where a higher value
    /// regularizes more, −1 for max-norm (a tighter bound), 0 for lr (neither).</summary>
    public static IReadOnlyDictionary<string, int> Directions { get; } = new Dictionary<string, int>
    {
        ["weight-decay"] = 1, ["l2"] = 1, ["l1"] = 1, ["l1-proximal"] = 1, ["dropout"] = 1, ["label-smoothing"] = 1, ["mixup"] = 1, ["sam"] = 1,
        ["max-norm"] = -1, ["lr"] = 0,
    };

    internal static void CheckParameter(SweepParameter p)
    {
        if (!Directions.ContainsKey(p.Name))
            throw new ArgumentException($"--param '{p}': unknown parameter '{p.Name}'; choose from {string.Join(", ", Directions.Keys)}");
        double max = p.Name is "dropout" or "label-smoothing" ? 1 : double.PositiveInfinity;
        bool positive = p.Name is "lr" or "max-norm"; // max-norm 0 would mean off, not the tightest bound
        bool ok = positive ? p.Low > 0 : p.Low >= 0;
        if (!ok || !(p.High < max))
            throw new ArgumentException($"--param '{p}': {p.Name} must lie in {(positive ? "(0" : "[0")}, {(max == 1 ? "1)" : "∞)")}");
    }

    /// <summary>The configurations of the sweep, in order: the grid, or <see cref="SweepSettings.Trials"/> random draws.</summary>
    public static List<Dictionary<string, double>> Configurations(SweepSettings settings)
    {
        settings.Validate();
        return settings.Method == SweepMethod.Grid
            ? settings.Space.Grid(settings.Points)
            : settings.Space.Random(settings.Trials, new Generator(DataLoader.Mix((ulong)settings.Seed, 0x5EE9UL)));
    }

    /// <summary>The first rung: every configuration × every repeat.</summary>
    public static List<SweepTrial> FirstRung(SweepSettings settings)
    {
        var configs = Configurations(settings);
        int epochs = RungEpochs(settings, configs.Count, 0);
        return configs.SelectMany((c, i) => Enumerable.Range(0, settings.Repeats).Select(r => new SweepTrial(i, r, 0, epochs, c))).ToList();
    }

    /// <summary>Rungs of successive halving for <paramref name="configurations"/> configurations: each keeps the top
    /// ⌊n/η⌋ (at least one) until one is left, but at most ⌊log_η Epochs⌋ + 1 rungs (Hyperband's s_max + 1, Li et al.
    /// 2018), so every rung trains longer than the one before; the configurations left over then meet at the full
    /// budget instead of in rungs of repeated epochs. 1 for grid and random.</summary>
    public static int Rungs(SweepSettings settings, int configurations)
    {
        if (settings.Method != SweepMethod.Halving) return 1;
        settings.Validate();
        int rungs = 1;
        for (int n = configurations; n > 1; n = Math.Max(1, n / settings.Eta)) rungs++;
        int sMax = 0;
        for (long budget = settings.Eta; budget <= settings.Epochs; budget *= settings.Eta) sMax++;
        return Math.Min(rungs, sMax + 1);
    }

    /// <summary>Epochs of rung <paramref name="rung"/>: the full budget at the last rung, divided by η per rung before it
    /// (rounded; at least 1 because rungs never outnumber ⌊log_η Epochs⌋ + 1).</summary>
    public static int RungEpochs(SweepSettings settings, int configurations, int rung)
    {
        int below = Rungs(settings, configurations) - 1 - rung;
        return Math.Max(1, (int)Math.Round(settings.Epochs / Math.Pow(settings.Eta, below)));
    }

    /// <summary>The configurations promoted from a finished rung: the top ⌊n/η⌋ (at least one) by mean, or none when
    /// only one was left.</summary>
    public static List<ConfigSummary> Promote(IReadOnlyList<ConfigSummary> rung, int eta)
    {
        if (rung.Count <= 1) return [];
        return rung.OrderByDescending(c => c.Mean).ThenBy(c => c.Config).Take(Math.Max(1, rung.Count / eta)).ToList();
    }

    /// <summary>The trials of the rung after the one that <paramref name="finished"/> completes (empty when the sweep is
    /// done). <paramref name="configurations"/> is the size of the first rung.</summary>
    public static List<SweepTrial> NextRung(SweepSettings settings, int configurations, IEnumerable<TrialResult> finished)
    {
        if (settings.Method != SweepMethod.Halving) return [];
        var summaries = Summarize(finished);
        if (summaries.Count == 0) return [];
        int rung = summaries.Max(s => s.Rung);
        int next = rung + 1;
        if (next >= Rungs(settings, configurations)) return [];
        int epochs = RungEpochs(settings, configurations, next);
        return Promote(summaries.Where(s => s.Rung == rung).ToList(), settings.Eta)
            .SelectMany(c => Enumerable.Range(0, settings.Repeats).Select(r => new SweepTrial(c.Config, r, next, epochs, c.Parameters))).ToList();
    }

    /// <summary>Mean and standard error (sample sd / √k) of each configuration at the highest rung it reached, or at
    /// <paramref name="atRung"/> (the configurations that ran it).</summary>
    public static List<ConfigSummary> Summarize(IEnumerable<TrialResult> results, int? atRung = null) => results
        .Where(r => atRung == null || r.Trial.Rung == atRung)
        .GroupBy(r => r.Trial.Config)
        .Select(g =>
        {
            int rung = g.Max(r => r.Trial.Rung);
            var top = g.Where(r => r.Trial.Rung == rung).ToList();
            var (mean, se) = MeanAndError(top.Select(r => r.Metric).ToArray());
            return new ConfigSummary(g.Key, top[0].Trial.Parameters, rung, top[0].Trial.Epochs, mean, se, top.Count);
        })
        .OrderBy(c => c.Config).ToList();

    /// <summary>Mean and standard error sd/√k (sample sd; 0 for a single value).</summary>
    public static (double Mean, double StandardError) MeanAndError(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        double mean = values.Average();
        if (values.Count == 1) return (mean, 0);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return (mean, Math.Sqrt(variance / values.Count));
    }

    /// <summary>The best configuration (highest mean) among those at the highest rung, and the one-SE choice: among
    /// them, the most regularized whose mean is at least best − SE(best). "Most regularized" sums, over the
    /// regularizing parameters, each value's position in its range (log space for log ranges).</summary>
    public static (ConfigSummary Best, ConfigSummary OneStandardError) Choose(IReadOnlyList<ConfigSummary> configurations, SweepSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        if (configurations.Count == 0) throw new ArgumentException("Sweep.Choose: no finished configurations");
        int rung = configurations.Max(c => c.Rung);
        var finalists = configurations.Where(c => c.Rung == rung).OrderBy(c => c.Config).ToList();
        var (best, oneSe) = OneStandardErrorRule(finalists.Select(c => c.Mean).ToArray(), finalists.Select(c => c.StandardError).ToArray(),
            finalists.Select(c => Regularization(c.Parameters, space)).ToArray());
        return (finalists[best], finalists[oneSe]);
    }

    /// <summary>The one-SE rule on parallel lists (higher mean is better): the index of the best mean (the first on a
    /// tie) and of the most regularized candidate (highest <paramref name="strength"/>, then the higher mean, then the
    /// first) whose mean is at least best − SE(best).</summary>
    public static (int Best, int OneStandardError) OneStandardErrorRule(IReadOnlyList<double> means, IReadOnlyList<double> errors, IReadOnlyList<double> strength)
    {
        if (means.Count == 0 || errors.Count != means.Count || strength.Count != means.Count)
            throw new ArgumentException($"Sweep.OneStandardErrorRule: needs equally long, non-empty lists, got {means.Count} means, {errors.Count} errors, {strength.Count} strengths");
        int best = 0;
        for (int i = 1; i < means.Count; i++) if (means[i] > means[best]) best = i;
        double floor = means[best] - errors[best];
        int oneSe = -1;
        for (int i = 0; i < means.Count; i++)
            if (means[i] >= floor && (oneSe < 0 || strength[i] > strength[oneSe] || (strength[i] == strength[oneSe] && means[i] > means[oneSe])))
                oneSe = i;
        return (best, oneSe);
    }

    /// <summary>How strongly a configuration regularizes: Σ over regularizing parameters of their position in range
    /// (counted from the top of the range for max-norm, where lower is stronger).</summary>
    public static double Regularization(IReadOnlyDictionary<string, double> parameters, SweepSpace space) =>
        space.Parameters.Where(p => Directions.GetValueOrDefault(p.Name) != 0 && parameters.ContainsKey(p.Name))
            .Sum(p => Directions[p.Name] > 0 ? p.Position(parameters[p.Name]) : 1 - p.Position(parameters[p.Name]));

    /// <summary>The ranges of a regularizing parameter where the mean falls below best − SE(best): on the weak side of
    /// the best value, too little regularization (overfitting; the values below the best, or above it for max-norm,
    /// out to the end of the range tried); on the strong side, too much (underfitting). Only
    /// configurations comparable with the best count: trained for as many epochs, with every other parameter at the
    /// best's value (a slice through the best, which a grid has and random draws do not). Null where no value falls
    /// below, and both null for lr (neither side regularizes).</summary>
    public static ((double Low, double High)? Overfitting, (double Low, double High)? Underfitting) Regions(SweepResult result, SweepParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(parameter);
        int direction = Directions.GetValueOrDefault(parameter.Name);
        if (direction == 0 || !result.Best.Parameters.TryGetValue(parameter.Name, out double at)) return (null, null);
        double floor = result.Best.Mean - result.Best.StandardError;
        var best = result.Best;
        bool Comparable(ConfigSummary c) => c.Epochs == best.Epochs && c.Parameters.ContainsKey(parameter.Name)
            && best.Parameters.All(kv => kv.Key == parameter.Name || (c.Parameters.TryGetValue(kv.Key, out var v) && v == kv.Value));
        var xs = result.Configurations.Where(Comparable).Select(c => (X: c.Parameters[parameter.Name], c.Mean)).ToList();
        double lo = xs.Min(p => p.X), hi = xs.Max(p => p.X);
        var below = xs.Where(p => p.X < at && p.Mean < floor).Select(p => p.X).ToList();
        var above = xs.Where(p => p.X > at && p.Mean < floor).Select(p => p.X).ToList();
        (double, double)? low = below.Count > 0 ? (lo, below.Max()) : null, high = above.Count > 0 ? (above.Min(), hi) : null;
        return direction > 0 ? (low, high) : (high, low); // max-norm: the weak side is the loose bounds above
    }

    /// <summary>Summarizes finished trials into the result. The best and the one-SE choice come from the configurations
    /// trained at the full budget only: a shorter rung's scores are not comparable with them. Where successive halving
    /// ends with one configuration, the one-SE choice is the best (see <see cref="SweepResult.HasOneStandardErrorChoice"/>).</summary>
    public static SweepResult Result(IEnumerable<TrialResult> results, SweepSpace space)
    {
        var summaries = Summarize(results);
        var (best, oneSe) = Choose(summaries, space);
        return new SweepResult(summaries, best, oneSe);
    }

    /// <summary>Runs a whole sweep in this process (rung after rung) and returns its result.</summary>
    public static SweepResult Run(SweepSettings settings, Action<TrialResult>? progress = null)
    {
        var pending = FirstRung(settings);
        int configurations = pending.Count / settings.Repeats;
        var done = new List<TrialResult>();
        while (pending.Count > 0)
        {
            var rung = new List<TrialResult>();
            foreach (var trial in pending)
            {
                var result = RunTrial(settings, trial);
                rung.Add(result);
                progress?.Invoke(result);
            }
            done.AddRange(rung);
            pending = NextRung(settings, configurations, done);
        }
        return Result(done, settings.Space);
    }

    /// <summary>Trains one trial and returns its validation accuracy per epoch. The data draw and the initialization
    /// depend only on the seed and the repeat, so every configuration sees the same draws (paired comparisons).
    /// <paramref name="onEpoch"/> sees (epoch, validation accuracy) after each epoch.</summary>
    public static TrialResult RunTrial(SweepSettings settings, SweepTrial trial, Action<int, double>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(trial);
        settings.Validate();
        var values = trial.Parameters;
        foreach (var name in values.Keys)
            if (!Directions.ContainsKey(name)) throw new ArgumentException($"Sweep.RunTrial: unknown parameter '{name}'");
        double Get(string name, double fallback) => values.TryGetValue(name, out double v) ? v : fallback;

        var g = new Generator(DataLoader.Mix((ulong)settings.Seed, (ulong)trial.Repeat));
        var (trainSet, validationSet) = Draw(settings, g);
        double l1 = Get("l1", 0), l2 = Get("l2", 0);
        Regularizer? penalty = l1 > 0 && l2 > 0 ? new ElasticNet(l1, l2) : l1 > 0 ? new L1(l1) : l2 > 0 ? new L2(l2) : null;
        float dropout = (float)Get("dropout", 0);
        double maxNorm = Get("max-norm", 0);
        var constraint = maxNorm > 0 ? new MaxNorm(maxNorm) : null;
        var model = settings.Model == "cnn"
            ? Architectures.Cnn(g, dropout: dropout, kernelRegularizer: penalty, kernelConstraint: constraint)
            : Architectures.Mlp(g, dropout: dropout, kernelRegularizer: penalty, kernelConstraint: constraint);
        double decay = Get("weight-decay", 0);
        var optimizer = new AdamW(model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm, decay), lr: Get("lr", settings.Lr), weightDecay: decay,
            l1Proximal: Get("l1-proximal", 0));
        var callbacks = new List<Callback> { new TerminateOnNaN() };
        if (onEpoch != null)
            callbacks.Add(new ProgressCallback(p => { if (p.EpochEnded) onEpoch(p.Epoch, p.Logs.GetValueOrDefault(Metric, double.NaN)); }));
        double rho = Get("sam", 0);
        var trainer = new Trainer(model, optimizer, new CrossEntropyLoss((float)Get("label-smoothing", 0)), callbacks,
            sam: rho > 0 ? new Sam(optimizer, rho) : null);
        float mixup = (float)Get("mixup", 0);
        var history = trainer.Fit(new DataLoader(trainSet, settings.BatchSize, shuffle: true, generator: g,
            batchTransform: mixup > 0 ? new Data.Augment.MixUp(mixup, FashionMnist.ClassNames.Count) : null), new DataLoader(validationSet, 500), trial.Epochs);
        var curve = history[Metric];
        // A run that diverged (NaN loss) stops early; it scores as chance rather than as a missing value.
        double metric = curve.Length == trial.Epochs && double.IsFinite(curve[^1]) ? curve[^1] : 0.1;
        return new TrialResult(trial, metric, curve);
    }

    // A stratified draw of TrainSize + ValidationSize examples, split stratified again.
    static (IDataset Train, IDataset Validation) Draw(SweepSettings s, Generator g)
    {
        var (all, _) = FashionMnist.LoadEmbedded();
        int total = s.TrainSize + s.ValidationSize;
        IDataset pool = total < all.Count ? Splits.TrainValidation(all, total / (double)all.Count, g).Validation : all;
        return Splits.TrainValidation(pool, s.ValidationSize / (double)pool.Count, g);
    }
}
