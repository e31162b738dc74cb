namespace Occam.Optim.Schedulers;

/// <summary>
/// Polynomial decay to zero, as torch.optim.lr_scheduler.PolynomialLR: lr = base·(1 − min(epoch, totalIters)/totalIters)^power
/// (power 1: linear). Stepped in PyTorch's chainable form lr_t = lr_{t−1}·((1 − t/T)/(1 − (t − 1)/T))^power.
/// </summary>
public sealed class PolynomialLR : LRScheduler
{
    public PolynomialLR(Optimizer optimizer, int totalIters = 5, double power = 1.0) : base(optimizer)
    {
        if (totalIters < 1) throw new ArgumentException($"PolynomialLR: totalIters must be positive, got {totalIters}");
        CheckNonNegative("PolynomialLR", "power", power);
        (TotalIters, Power) = (totalIters, power);
        Apply();
    }

    public int TotalIters { get; }
    public double Power { get; }

    private protected override double LrAt(int epoch, int group, double lr) =>
        epoch == 0 || epoch > TotalIters
            ? lr
            : lr * Math.Pow((1.0 - (double)epoch / TotalIters) / (1.0 - (epoch - 1.0) / TotalIters), Power);

    private protected override double ClosedFormLrAt(int epoch, int group) =>
        BaseLrs[group] * Math.Pow(1.0 - (double)Math.Min(TotalIters, epoch) / TotalIters, Power);
}
