namespace Occam.Optim.Schedulers;

/// <summary>How <see cref="OneCycleLR"/> moves between its phase end points.</summary>
public enum AnnealStrategy { Cos, Linear }

/// <summary>
/// The 1cycle policy (Smith &amp; Topin 2017, "Super-Convergence"), as torch.optim.lr_scheduler.OneCycleLR; step it
/// once per batch. The lr rises from initial = maxLr/divFactor to maxLr over the first pctStart of totalSteps,
/// then falls to min = initial/finalDivFactor (threePhase: back down to initial over as many steps, then to min).
/// Within a phase from a to b, at fraction p of it: cos: b + (a − b)·(1 + cos(π·p))/2; linear: a + (b − a)·p.
/// With cycleMomentum the momentum (SGD, RMSprop) or β₁ (Adam family) moves inversely, maxMomentum → baseMomentum →
/// maxMomentum. Like PyTorch it sets each group's initial lr to maxLr/divFactor. With one maxLr per group (layer-wise
/// learning rates, as fastai's discriminative fine-tuning) each group cycles between its own end points.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    const string Name = "OneCycleLR";
    readonly (double EndStep, int StartLr, int EndLr, int StartMomentum, int EndMomentum)[] _phases;
    readonly double[][] _lrs; // per group (one for all with a single maxLr): initial, max, min (indices used by the phases)
    readonly double[] _momenta; // base, max
    readonly bool _perGroup;

    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4,
        bool threePhase = false)
        : this(optimizer, [maxLr], perGroup: false, totalSteps, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase) { }

    /// <summary>One maxLr per parameter group, in order (PyTorch's max_lr given as a list).</summary>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4,
        bool threePhase = false)
        : this(optimizer, maxLrs, perGroup: true, totalSteps, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase) { }

    OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, bool perGroup, int totalSteps, double pctStart, AnnealStrategy annealStrategy,
        bool cycleMomentum, double baseMomentum, double maxMomentum, double divFactor, double finalDivFactor, bool threePhase) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(maxLrs);
        if (perGroup && maxLrs.Count != optimizer.Groups.Count)
            throw new ArgumentException($"{Name}: expected {optimizer.Groups.Count} maxLrs, one per parameter group, got {maxLrs.Count}");
        for (int i = 0; i < maxLrs.Count; i++) CheckPositive(Name, perGroup ? $"maxLr of group {i}" : "maxLr", maxLrs[i]);
        if (totalSteps < 1) throw new ArgumentException($"{Name}: totalSteps must be positive, got {totalSteps}");
        if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentException($"{Name}: pctStart must be in [0, 1], got {pctStart}");
        if (!Enum.IsDefined(annealStrategy)) throw new ArgumentException($"{Name}: annealStrategy must be Cos or Linear, got {annealStrategy}");
        CheckPositive(Name, "divFactor", divFactor);
        CheckPositive(Name, "finalDivFactor", finalDivFactor);
        (_perGroup, TotalSteps, PctStart, AnnealStrategy, CycleMomentum, BaseMomentum, MaxMomentum, DivFactor, FinalDivFactor, ThreePhase) =
            (perGroup, totalSteps, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase);

        const int initial = 0, max = 1, min = 2, lo = 0, hi = 1; // lo/hi index (baseMomentum, maxMomentum)
        _phases = threePhase
            ? [(pctStart * totalSteps - 1, initial, max, hi, lo), (2 * pctStart * totalSteps - 2, max, initial, lo, hi), (totalSteps - 1, initial, min, hi, hi)]
            : [(pctStart * totalSteps - 1, initial, max, hi, lo), (totalSteps - 1, max, min, lo, hi)];
        double start = 0;
        foreach (var phase in _phases)
        {
            // A phase of zero length would divide by zero (PyTorch raises ZeroDivisionError there).
            if (phase.EndStep == start) throw new ArgumentException($"{Name}: pctStart {pctStart} with totalSteps {totalSteps} leaves a phase of zero steps");
            start = phase.EndStep;
        }

        if (cycleMomentum)
        {
            if (!(baseMomentum >= 0 && baseMomentum <= maxMomentum && maxMomentum < 1))
                throw new ArgumentException($"{Name}: need 0 <= baseMomentum <= maxMomentum < 1, got baseMomentum {baseMomentum}, maxMomentum {maxMomentum}");
            foreach (var g in optimizer.Groups)
                if (g.Betas == null && g.Momentum == null)
                    throw new ArgumentException($"{Name}: cycleMomentum needs an optimizer with momentum or betas, group '{g.Name}' has neither");
        }

        _lrs = [.. maxLrs.Select(max => new[] { max / divFactor, max, max / divFactor / finalDivFactor })];
        _momenta = [baseMomentum, maxMomentum];
        for (int i = 0; i < optimizer.Groups.Count; i++) optimizer.Groups[i].InitialLr = LrsOf(i)![initial];
        BaseLrs = optimizer.Groups.Select(g => g.InitialLr).ToArray();
        Apply();
    }

    /// <summary>The peak lr (of the first group, when each has its own).</summary>
    public double MaxLr => _lrs[0][1];
    public int TotalSteps { get; }
    public double PctStart { get; }
    public AnnealStrategy AnnealStrategy { get; }
    public bool CycleMomentum { get; }
    public double BaseMomentum { get; }
    public double MaxMomentum { get; }
    public double DivFactor { get; }
    public double FinalDivFactor { get; }
    public bool ThreePhase { get; }

    /// <summary>Advances one batch; throws once past <see cref="TotalSteps"/>, as PyTorch does.</summary>
    public override void Step()
    {
        if (LastEpoch + 1 > TotalSteps)
            throw new InvalidOperationException($"{Name}: tried to step {LastEpoch + 2} times, but totalSteps is {TotalSteps}");
        base.Step();
    }

    double Anneal(double start, double end, double pct) => AnnealStrategy == AnnealStrategy.Cos
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : (end - start) * pct + start;

    /// <summary>The end points of <paramref name="group"/>; null for a group added after a per-group schedule was set up.</summary>
    double[]? LrsOf(int group) => !_perGroup ? _lrs[0] : group < _lrs.Length ? _lrs[group] : null;

    // As PyTorch's get_lr, it also sets the group's momentum (or β₁) for this step.
    private protected override double LrAt(int epoch, int group, double lr)
    {
        if (LrsOf(group) is not { } lrs) return lr;
        double startStep = 0;
        for (int i = 0; ; i++)
        {
            var phase = _phases[i];
            if (epoch <= phase.EndStep || i == _phases.Length - 1)
            {
                double pct = (epoch - startStep) / (phase.EndStep - startStep);
                if (CycleMomentum)
                {
                    double m = Anneal(_momenta[phase.StartMomentum], _momenta[phase.EndMomentum], pct);
                    var g = Optimizer.Groups[group];
                    if (g.Betas is { } betas) g.Betas = (m, betas.Beta2);
                    else g.Momentum = m;
                }
                return Anneal(lrs[phase.StartLr], lrs[phase.EndLr], pct);
            }
            startStep = phase.EndStep;
        }
    }
}
