namespace Occam.Optim.Schedulers;

/// <summary>lr = base·γ^⌊epoch/stepSize⌋: the lr is multiplied by γ every <see cref="StepSize"/> epochs,
/// as torch.optim.lr_scheduler.StepLR.</summary>
public sealed class StepLR : LRScheduler
{
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize < 1) throw new ArgumentException($"StepLR: stepSize must be positive, got {stepSize}");
        CheckPositive("StepLR", "gamma", gamma);
        (StepSize, Gamma) = (stepSize, gamma);
        Apply();
    }

    public int StepSize { get; }
    public double Gamma { get; }

    private protected override double LrAt(int epoch, int group, double lr) =>
        epoch == 0 || epoch % StepSize != 0 ? lr : lr * Gamma;

    private protected override double ClosedFormLrAt(int epoch, int group) => BaseLrs[group] * Math.Pow(Gamma, epoch / StepSize);
}
