namespace Occam.Optim.Schedulers;

/// <summary>
/// lr = base·factor for the first totalIters epochs, then base, as torch.optim.lr_scheduler.ConstantLR: a constant
/// warm-up, e.g. before a decay in <see cref="SequentialLR"/>. Stepped in PyTorch's chainable form: the lr is
/// multiplied by factor at epoch 0 and by 1/factor at epoch totalIters.
/// </summary>
public sealed class ConstantLR : LRScheduler
{
    public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, int totalIters = 5) : base(optimizer)
    {
        // factor 0 would divide by zero at totalIters (PyTorch raises ZeroDivisionError there).
        if (!(factor > 0 && factor <= 1)) throw new ArgumentException($"ConstantLR: factor must be in (0, 1], got {factor}");
        if (totalIters < 1) throw new ArgumentException($"ConstantLR: totalIters must be positive, got {totalIters}");
        (Factor, TotalIters) = (factor, totalIters);
        Apply();
    }

    public double Factor { get; }
    public int TotalIters { get; }

    private protected override double LrAt(int epoch, int group, double lr) =>
        epoch == 0 ? lr * Factor : epoch == TotalIters ? lr * (1.0 / Factor) : lr;

    private protected override double ClosedFormLrAt(int epoch, int group) =>
        BaseLrs[group] * (Factor + (epoch >= TotalIters ? 1 - Factor : 0));
}
