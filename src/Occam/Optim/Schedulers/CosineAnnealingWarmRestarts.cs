namespace Occam.Optim.Schedulers;

/// <summary>
/// Cosine annealing with warm restarts (SGDR, Loshchilov &amp; Hutter 2016), as
/// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts: lr = η_min + (base − η_min)·(1 + cos(π·T_cur/T_i))/2,
/// where T_cur counts epochs since the last restart and the period T_i starts at t0 and is multiplied by tMult
/// at every restart (T_cur reaching T_i sets it back to 0, so the lr jumps back to base).
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    long _tCur, _tI;

    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0) : base(optimizer)
    {
        if (t0 < 1) throw new ArgumentException($"CosineAnnealingWarmRestarts: t0 must be positive, got {t0}");
        if (tMult < 1) throw new ArgumentException($"CosineAnnealingWarmRestarts: tMult must be at least 1, got {tMult}");
        CheckNonNegative("CosineAnnealingWarmRestarts", "etaMin", etaMin);
        (T0, TMult, EtaMin) = (t0, tMult, etaMin);
        _tI = t0;
        Apply();
    }

    public int T0 { get; }
    public int TMult { get; }
    public double EtaMin { get; }

    /// <summary>Epochs since the last restart.</summary>
    public long TCur => _tCur;

    /// <summary>Length of the current period.</summary>
    public long TI => _tI;

    public override void Step()
    {
        if (LastEpoch < 0) { Restart(); return; }
        LastEpoch++;
        if (++_tCur >= _tI) { _tCur -= _tI; _tI *= TMult; }
        Apply();
    }

    internal override void Restart()
    {
        (_tCur, _tI) = (0, T0);
        base.Restart();
    }

    private protected override double LrAt(int epoch, int group, double lr) =>
        EtaMin + (BaseLrs[group] - EtaMin) * (1 + Math.Cos(Math.PI * _tCur / _tI)) / 2;
}
