namespace Occam.Optim.Schedulers;

/// <summary>
/// Cosine annealing without restarts, as torch.optim.lr_scheduler.CosineAnnealingLR:
/// lr = η_min + (base − η_min)·(1 + cos(π·t/T_max))/2. Like PyTorch it steps by the recursive form
/// lr_t = η_min + (lr_{t−1} − η_min)·(1 + cos(π·t/T_max))/(1 + cos(π·(t−1)/T_max)), which equals the closed
/// form when it alone sets the lr and, past T_max, keeps following the cosine back up and down (period 2·T_max).
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax < 1) throw new ArgumentException($"CosineAnnealingLR: tMax must be positive, got {tMax}");
        CheckNonNegative("CosineAnnealingLR", "etaMin", etaMin);
        (TMax, EtaMin) = (tMax, etaMin);
        Apply();
    }

    public int TMax { get; }
    public double EtaMin { get; }

    private protected override double LrAt(int epoch, int group, double lr)
    {
        if (epoch == 0) return lr;
        // Just past a minimum the ratio below would divide by zero: step up by the first increment instead.
        if ((epoch - 1 - TMax) % (2 * TMax) == 0)
            return lr + (BaseLrs[group] - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
        return (1 + Math.Cos(Math.PI * epoch / TMax)) / (1 + Math.Cos(Math.PI * (epoch - 1) / TMax)) * (lr - EtaMin) + EtaMin;
    }

    private protected override double ClosedFormLrAt(int epoch, int group) =>
        EtaMin + (BaseLrs[group] - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}
