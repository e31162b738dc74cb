namespace Occam.Optim.Schedulers;

/// <summary>
/// Linear warm-up (or decay) of the lr factor, as torch.optim.lr_scheduler.LinearLR:
/// lr = base·(startFactor + (endFactor − startFactor)·min(epoch, totalIters)/totalIters), then constant.
/// Stepped in PyTorch's chainable form lr_t = lr_{t−1}·(1 + (end − start)/(totalIters·start + (t − 1)·(end − start))).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentException($"LinearLR: startFactor must be in (0, 1], got {startFactor}");
        if (!(endFactor >= 0 && endFactor <= 1)) throw new ArgumentException($"LinearLR: endFactor must be in [0, 1], got {endFactor}");
        if (totalIters < 1) throw new ArgumentException($"LinearLR: totalIters must be positive, got {totalIters}");
        (StartFactor, EndFactor, TotalIters) = (startFactor, endFactor, totalIters);
        Apply();
    }

    public double StartFactor { get; }
    public double EndFactor { get; }
    public int TotalIters { get; }

    private protected override double LrAt(int epoch, int group, double lr)
    {
        if (epoch == 0) return lr * StartFactor;
        if (epoch > TotalIters) return lr;
        return lr * (1.0 + (EndFactor - StartFactor) / (TotalIters * StartFactor + (epoch - 1) * (EndFactor - StartFactor)));
    }

    private protected override double ClosedFormLrAt(int epoch, int group) =>
        BaseLrs[group] * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, epoch) / TotalIters);
}
