namespace Occam.Optim.Schedulers;

/// <summary>lr = base·γ^epoch, as torch.optim.lr_scheduler.ExponentialLR.</summary>
public sealed class ExponentialLR : LRScheduler
{
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        CheckPositive("ExponentialLR", "gamma", gamma);
        Gamma = gamma;
        Apply();
    }

    public double Gamma { get; }

    private protected override double LrAt(int epoch, int group, double lr) => epoch == 0 ? lr : lr * Gamma;

    private protected override double ClosedFormLrAt(int epoch, int group) => BaseLrs[group] * Math.Pow(Gamma, epoch);
}
