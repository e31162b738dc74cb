namespace Occam.Optim.Schedulers;

/// <summary>lr = base·γ^(number of milestones ≤ epoch): the lr is multiplied by γ at each milestone epoch,
/// as torch.optim.lr_scheduler.MultiStepLR.</summary>
public sealed class MultiStepLR : LRScheduler
{
    readonly int[] _milestones;

    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma = 0.1) : base(optimizer)
    {
        CheckMilestones("MultiStepLR", milestones);
        CheckPositive("MultiStepLR", "gamma", gamma);
        (_milestones, Gamma) = ((int[])milestones.Clone(), gamma);
        Apply();
    }

    public IReadOnlyList<int> Milestones => _milestones;
    public double Gamma { get; }

    private protected override double LrAt(int epoch, int group, double lr) =>
        Array.BinarySearch(_milestones, epoch) >= 0 ? lr * Gamma : lr;

    private protected override double ClosedFormLrAt(int epoch, int group) =>
        BaseLrs[group] * Math.Pow(Gamma, _milestones.Count(m => m <= epoch));
}
