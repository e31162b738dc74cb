namespace Occam.Optim.Schedulers;

/// <summary>
/// Cosine annealing with warm restarts (SGDR, Loshchilov &amp; Hutter 2016), as
/// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts: lr = η_min + (base − η_min)·(1 + cos(π·T_cur/T_i))/2,
/// where T_cur counts epochs since the last restart and the period T_i starts at t0 and is multiplied by tMult
/// at every restart (T_cur reaching T_i sets it back to 0, so the lr jumps back to base). Besides <see cref="Step()"/>,
/// <see cref="Step(double)"/> sets a fractional epoch, e.g. <c>epoch + i / batches</c> after batch i, as PyTorch's step(epoch).
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    double _tCur;
    long _tI;

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

    /// <summary>Epochs since the last restart (fractional after <see cref="Step(double)"/>).</summary>
    public double TCur => _tCur;

    /// <summary>Length of the current period.</summary>
    public long TI => _tI;

    public override void Step()
    {
        if (LastEpoch < 0) { Restart(); return; }
        LastEpoch++;
        if (++_tCur >= _tI) { _tCur -= _tI; _tI *= TMult; }
        Apply();
    }

    /// <summary>Sets the schedule to <paramref name="epoch"/>, which may be fractional and may go back, as PyTorch's
    /// step(epoch): T_cur and T_i are those of the period that holds it, and <see cref="LRScheduler.LastEpoch"/> is its floor.</summary>
    public void Step(double epoch)
    {
        if (!(epoch >= 0 && epoch <= int.MaxValue))
            throw new ArgumentException($"CosineAnnealingWarmRestarts: epoch must be non-negative and finite, got {epoch}");
        if (epoch < T0) (_tCur, _tI) = (epoch, T0);
        else if (TMult == 1) (_tCur, _tI) = (epoch % T0, T0);
        else
        {
            // The same arithmetic as PyTorch, so a boundary lands in the same period.
            int n = (int)Math.Log(epoch / T0 * (TMult - 1) + 1, TMult);
            long power = 1;
            for (int i = 0; i < n; i++) power *= TMult;
            (_tCur, _tI) = (epoch - (double)(T0 * (power - 1)) / (TMult - 1), T0 * power);
        }
        LastEpoch = (int)Math.Floor(epoch);
        Apply();
    }

    internal override void SaveState(string prefix, Dictionary<string, double> d)
    {
        base.SaveState(prefix, d);
        (d[prefix + "t_cur"], d[prefix + "t_i"]) = (_tCur, _tI);
    }

    internal override void LoadState(string prefix, IReadOnlyDictionary<string, double> d, string where, bool apply)
    {
        int lastEpoch = SavedCount(prefix, d, "last_epoch", where, from: -1);
        if (d.ContainsKey(prefix + "t_cur") || d.ContainsKey(prefix + "t_i"))
        {
            double tCur = Saved(prefix, d, "t_cur", where);
            int tI = SavedCount(prefix, d, "t_i", where, from: T0);
            if (!(tCur >= 0 && tCur < tI)) throw new InvalidDataException($"{where}: CosineAnnealingWarmRestarts' '{prefix}t_cur' must be in [0, t_i = {tI}), got {tCur}");
            if (apply) (_tCur, _tI) = (tCur, tI);
        }
        else
        {
            // A state saved without them (an older checkpoint): they follow from the step count, so replay the steps.
            if (LastEpoch > lastEpoch)
                throw new ArgumentException($"{where}: CosineAnnealingWarmRestarts has already stepped {LastEpoch} times, past the saved {lastEpoch}");
            if (apply) while (LastEpoch < lastEpoch) Step();
        }
        base.LoadState(prefix, d, where, apply);
    }

    internal override void Restart()
    {
        (_tCur, _tI) = (0, T0);
        base.Restart();
    }

    private protected override double LrAt(int epoch, int group, double lr) =>
        EtaMin + (BaseLrs[group] - EtaMin) * (1 + Math.Cos(Math.PI * _tCur / _tI)) / 2;
}
