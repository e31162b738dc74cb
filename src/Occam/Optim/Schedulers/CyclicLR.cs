namespace Occam.Optim.Schedulers;

/// <summary>How <see cref="CyclicLR"/> scales each cycle's amplitude.</summary>
public enum CyclicMode
{
    /// <summary>The same triangle every cycle.</summary>
    Triangular,

    /// <summary>The amplitude halves every cycle: 1/2^(cycle − 1).</summary>
    Triangular2,

    /// <summary>The amplitude decays by γ every step: γ^step.</summary>
    ExpRange,
}

/// <summary>
/// Cyclical learning rates (Smith 2017), as torch.optim.lr_scheduler.CyclicLR; step it once per batch. The lr moves
/// linearly from baseLr up to maxLr over stepSizeUp steps and back down over stepSizeDown (default: as many), its
/// amplitude scaled by the mode: lr = base + (max − base)·s(x)·scale, with cycle = ⌊1 + t/(up + down)⌋,
/// x = 1 + t/(up + down) − cycle, and s rising 0 → 1 over the first up/(up + down) of the cycle, then falling.
/// With cycleMomentum the momentum moves the other way, maxMomentum − (maxMomentum − baseMomentum)·s(x)·scale (PyTorch
/// 1.13 cycles the momentum of SGD and RMSprop only). Construction sets each group's lr to baseLr before the scheduler
/// takes it as the initial lr, so baseLr is what a SequentialLR restarts from, as in PyTorch.
/// </summary>
public sealed class CyclicLR : LRScheduler
{
    const string Name = "CyclicLR";
    readonly double _stepRatio, _totalSize;

    public CyclicLR(Optimizer optimizer, double baseLr, double maxLr, int stepSizeUp = 2000, int? stepSizeDown = null, CyclicMode mode = CyclicMode.Triangular,
        double gamma = 1.0, bool cycleMomentum = true, double baseMomentum = 0.8, double maxMomentum = 0.9)
        : base(StartAt(optimizer, baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma, cycleMomentum, baseMomentum, maxMomentum))
    {
        (BaseLr, MaxLr, StepSizeUp, StepSizeDown, Mode, Gamma, CycleMomentum, BaseMomentum, MaxMomentum) =
            (baseLr, maxLr, stepSizeUp, stepSizeDown ?? stepSizeUp, mode, gamma, cycleMomentum, baseMomentum, maxMomentum);
        _totalSize = (double)StepSizeUp + StepSizeDown;
        _stepRatio = StepSizeUp / _totalSize;
        // PyTorch's initial step reads base_lrs before its constructor sets them to baseLr: the groups' initial lr, which
        // is baseLr unless an earlier scheduler on this optimizer fixed it.
        Apply();
        BaseLrs = [.. optimizer.Groups.Select(_ => baseLr)];
    }

    /// <summary>Checks the arguments, then sets every group's lr to <paramref name="baseLr"/> before the base constructor
    /// takes the initial lr (PyTorch sets group['lr'] ahead of its scheduler's initialization).</summary>
    static Optimizer StartAt(Optimizer optimizer, double baseLr, double maxLr, int stepSizeUp, int? stepSizeDown, CyclicMode mode,
        double gamma, bool cycleMomentum, double baseMomentum, double maxMomentum)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        CheckNonNegative(Name, "baseLr", baseLr);
        CheckNonNegative(Name, "maxLr", maxLr);
        if (stepSizeUp < 1) throw new ArgumentException($"{Name}: stepSizeUp must be positive, got {stepSizeUp}");
        if (stepSizeDown is < 1) throw new ArgumentException($"{Name}: stepSizeDown must be positive, got {stepSizeDown}");
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"{Name}: mode must be Triangular, Triangular2 or ExpRange, got {mode}");
        CheckPositive(Name, "gamma", gamma);
        if (cycleMomentum)
        {
            if (!(baseMomentum >= 0 && maxMomentum >= 0 && double.IsFinite(baseMomentum) && double.IsFinite(maxMomentum)))
                throw new ArgumentException($"{Name}: baseMomentum and maxMomentum must be finite and non-negative, got {baseMomentum}, {maxMomentum}");
            foreach (var g in optimizer.Groups)
                if (g.Momentum == null)
                    throw new ArgumentException($"{Name}: cycleMomentum needs an optimizer with momentum (SGD, RMSprop), group '{g.Name}' has none; pass cycleMomentum: false");
        }
        foreach (var g in optimizer.Groups) g.Lr = baseLr;
        return optimizer;
    }

    public double BaseLr { get; }
    public double MaxLr { get; }
    public int StepSizeUp { get; }
    public int StepSizeDown { get; }
    public CyclicMode Mode { get; }
    public double Gamma { get; }
    public bool CycleMomentum { get; }
    public double BaseMomentum { get; }
    public double MaxMomentum { get; }

    // As PyTorch's get_lr, it also sets the group's momentum for this step.
    private protected override double LrAt(int epoch, int group, double lr)
    {
        double cycle = Math.Floor(1 + epoch / _totalSize), x = 1.0 + epoch / _totalSize - cycle;
        double rise = x <= _stepRatio ? x / _stepRatio : (x - 1) / (_stepRatio - 1);
        double scale = Mode switch
        {
            CyclicMode.Triangular => 1.0,
            CyclicMode.Triangular2 => 1 / Math.Pow(2.0, cycle - 1),
            _ => Math.Pow(Gamma, epoch),
        };
        if (CycleMomentum) Optimizer.Groups[group].Momentum = MaxMomentum - (MaxMomentum - BaseMomentum) * rise * scale;
        return BaseLrs[group] + (MaxLr - BaseLrs[group]) * rise * scale;
    }
}
