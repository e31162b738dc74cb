namespace Occam.Optim.Schedulers;

/// <summary>Whether the monitored metric should go down (a loss) or up (an accuracy).</summary>
public enum PlateauMode { Min, Max }

/// <summary>How <see cref="ReduceLROnPlateau"/> measures a significant improvement: relative to the best value or absolute.</summary>
public enum ThresholdMode { Rel, Abs }

/// <summary>
/// Reduces the lr when a metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau. A metric improves
/// when it beats best·(1 − threshold) (min, rel), best − threshold (min, abs), best·(1 + threshold) (max, rel) or
/// best + threshold (max, abs). After more than <c>patience</c> epochs without improvement each group's lr becomes
/// max(lr·factor, minLr), unless that changes it by no more than eps; then <c>cooldown</c> epochs pass during
/// which bad epochs are not counted. Step with <see cref="Step(double)"/>.
/// </summary>
public sealed class ReduceLROnPlateau : LRScheduler
{
    const string Name = "ReduceLROnPlateau";

    public ReduceLROnPlateau(Optimizer optimizer, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : base(optimizer)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"{Name}: mode must be Min or Max, got {mode}");
        if (!Enum.IsDefined(thresholdMode)) throw new ArgumentException($"{Name}: thresholdMode must be Rel or Abs, got {thresholdMode}");
        if (!(factor >= 0 && factor < 1)) throw new ArgumentException($"{Name}: factor must be in [0, 1), got {factor}");
        if (patience < 0) throw new ArgumentException($"{Name}: patience must be non-negative, got {patience}");
        CheckNonNegative(Name, "threshold", threshold);
        if (cooldown < 0) throw new ArgumentException($"{Name}: cooldown must be non-negative, got {cooldown}");
        CheckNonNegative(Name, "minLr", minLr);
        CheckNonNegative(Name, "eps", eps);
        (Mode, Factor, Patience, Threshold, ThresholdMode, Cooldown, MinLr, Eps) = (mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public PlateauMode Mode { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public ThresholdMode ThresholdMode { get; }
    public int Cooldown { get; }
    public double MinLr { get; }
    public double Eps { get; }

    /// <summary>Each group's floor, in place of <see cref="MinLr"/> (PyTorch's min_lr given as a list; groups added
    /// later take MinLr): <c>new ReduceLROnPlateau(opt) { MinLrs = [1e-6, 1e-5] }</c>.</summary>
    public IReadOnlyList<double>? MinLrs
    {
        get => _minLrs;
        init
        {
            if (value != null && value.Count != Optimizer.Groups.Count)
                throw new ArgumentException($"{Name}: expected {Optimizer.Groups.Count} minLrs, one per parameter group, got {value.Count}");
            for (int i = 0; i < (value?.Count ?? 0); i++) CheckNonNegative(Name, $"minLr of group {i}", value![i]);
            _minLrs = value?.ToArray();
        }
    }

    readonly double[]? _minLrs;

    /// <summary>The best metric so far (±∞ before the first step).</summary>
    public double Best { get; internal set; }

    /// <summary>Consecutive epochs without improvement, outside cooldown.</summary>
    public int NumBadEpochs { get; internal set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownCounter { get; internal set; }

    /// <summary>Not available: this scheduler steps on the monitored metric.</summary>
    public override void Step() => throw new InvalidOperationException($"{Name}: Step needs the monitored metric, call Step(metric)");

    /// <summary>Records one epoch's <paramref name="metric"/> and reduces the lr after a plateau.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric)) (Best, NumBadEpochs) = (metric, 0);
        else NumBadEpochs++;
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }
        if (NumBadEpochs > Patience)
        {
            var groups = Optimizer.Groups;
            for (int i = 0; i < groups.Count; i++)
            {
                var g = groups[i];
                double old = g.LrValue, lr = Math.Max(old * Factor, _minLrs != null && i < _minLrs.Length ? _minLrs[i] : MinLr);
                if (old - lr > Eps) g.Lr = lr;
            }
            (CooldownCounter, NumBadEpochs) = (Cooldown, 0);
        }
    }

    bool IsBetter(double a) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => a < Best * (1.0 - Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => a < Best - Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => a > Best * (Threshold + 1.0),
        _ => a > Best + Threshold,
    };

    internal override void SaveState(string prefix, Dictionary<string, double> d)
    {
        base.SaveState(prefix, d);
        (d[prefix + "best"], d[prefix + "num_bad_epochs"], d[prefix + "cooldown_counter"]) = (Best, NumBadEpochs, CooldownCounter);
    }

    internal override void LoadState(string prefix, IReadOnlyDictionary<string, double> d, string where, bool apply)
    {
        base.LoadState(prefix, d, where, apply);
        var (best, bad, cooldown) = (Saved(prefix, d, "best", where), SavedCount(prefix, d, "num_bad_epochs", where), SavedCount(prefix, d, "cooldown_counter", where));
        if (apply) (Best, NumBadEpochs, CooldownCounter) = (best, bad, cooldown);
    }

    internal override void Restart() => throw new InvalidOperationException($"{Name}: cannot be restarted at a milestone");

    // The lr changes only through Step(metric).
    private protected override double LrAt(int epoch, int group, double lr) => lr;
}
