namespace Occam.Optim.Schedulers;

/// <summary>
/// Steps several schedulers of one optimizer together, as torch.optim.lr_scheduler.ChainedScheduler: each applies
/// its chainable update to the lr the previous one left, so factors multiply
/// (e.g. LinearLR warm-up × ExponentialLR decay: lr_t = base·f_linear(t)·γ^t).
/// </summary>
public sealed class ChainedScheduler : LRScheduler
{
    readonly LRScheduler[] _schedulers;

    public ChainedScheduler(LRScheduler[] schedulers) : base(FirstOptimizer(schedulers))
    {
        for (int i = 0; i < schedulers.Length; i++)
        {
            var s = schedulers[i] ?? throw new ArgumentException($"ChainedScheduler: scheduler {i} is null");
            if (!ReferenceEquals(s.Optimizer, Optimizer))
                throw new ArgumentException($"ChainedScheduler: schedulers 0 and {i} belong to different optimizers");
            if (s is ReduceLROnPlateau)
                throw new ArgumentException($"ChainedScheduler: scheduler {i} is a ReduceLROnPlateau, which steps on a metric");
        }
        _schedulers = (LRScheduler[])schedulers.Clone();
    }

    static Optimizer FirstOptimizer(LRScheduler[] schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Length == 0) throw new ArgumentException("ChainedScheduler: schedulers must not be empty");
        return (schedulers[0] ?? throw new ArgumentException("ChainedScheduler: scheduler 0 is null")).Optimizer;
    }

    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    public override void Step()
    {
        LastEpoch++;
        foreach (var s in _schedulers) s.Step();
    }

    internal override void Restart() =>
        throw new InvalidOperationException("ChainedScheduler: cannot be restarted at a milestone");

    private protected override IReadOnlyList<LRScheduler> Children => _schedulers;

    // The lr always comes from the chained schedulers.
    private protected override double LrAt(int epoch, int group, double lr) => lr;
}
