namespace Occam.Optim.Schedulers;

/// <summary>
/// The SWA learning rate (torch.optim.swa_utils.SWALR): anneals each group's lr to <see cref="SwaLr"/> over
/// <see cref="AnnealEpochs"/> steps (cosine: α(t) = (1 − cos πt)/2, or linear: α(t) = t, t = step/annealEpochs)
/// and holds it there: lr_t = swa_lr·α(t) + lr₀·(1 − α(t)), with lr₀ recovered from the previous step as PyTorch does.
/// </summary>
public sealed class SwaLR : LRScheduler
{
    public SwaLR(Optimizer optimizer, double swaLr, int annealEpochs = 10, AnnealStrategy annealStrategy = AnnealStrategy.Cos) : base(optimizer)
    {
        CheckPositive("SwaLR", "swaLr", swaLr);
        if (annealEpochs < 0) throw new ArgumentException($"SwaLR: annealEpochs must be non-negative, got {annealEpochs}");
        if (!Enum.IsDefined(annealStrategy)) throw new ArgumentException($"SwaLR: annealStrategy must be Cos or Linear, got {annealStrategy}");
        (SwaLr, AnnealEpochs, Strategy) = (swaLr, annealEpochs, annealStrategy);
        Apply();
    }

    public double SwaLr { get; }
    public int AnnealEpochs { get; }
    public AnnealStrategy Strategy { get; }

    /// <summary>At a SequentialLR milestone the first annealing step is taken at once: PyTorch's SWALR counts its
    /// calls to step (_step_count), and the milestone's step(0) is one of them.</summary>
    internal override void Restart()
    {
        LastEpoch = 1;
        Apply();
    }

    double Anneal(double t) => Strategy == AnnealStrategy.Cos ? (1 - Math.Cos(Math.PI * t)) / 2 : t;

    private protected override double LrAt(int epoch, int group, double lr)
    {
        int step = AnnealEpochs == 0 ? Math.Max(1, epoch) : epoch;
        double prevAlpha = Anneal(Math.Clamp((step - 1) / (double)Math.Max(1, AnnealEpochs), 0, 1));
        double start = prevAlpha == 1 ? SwaLr : (lr - prevAlpha * SwaLr) / (1 - prevAlpha);
        double alpha = Anneal(Math.Clamp(step / (double)Math.Max(1, AnnealEpochs), 0, 1));
        return SwaLr * alpha + start * (1 - alpha);
    }
}
