namespace Occam.Optim.Schedulers;

/// <summary>
/// lr = base·λ(epoch) for a function λ of the epoch, as torch.optim.lr_scheduler.LambdaLR: one λ for every group, or one
/// per group. E.g. a linear warm-up then inverse square root: <c>new LambdaLR(opt, e => e &lt; 5 ? (e + 1) / 5.0 : Math.Sqrt(5.0 / (e + 1)))</c>.
/// Groups added to the optimizer later follow the single λ, and keep their lr under per-group λs.
/// </summary>
public sealed class LambdaLR : LRScheduler
{
    readonly Func<int, double>[] _lambdas;

    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda) : this(optimizer, lrLambda == null ? null : [lrLambda], perGroup: false) { }

    /// <summary>λs for the optimizer's groups, one each, in order.</summary>
    public LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : this(optimizer, lrLambdas, perGroup: true) { }

    LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>>? lambdas, bool perGroup) : base(optimizer)
    {
        _lambdas = CheckLambdas("LambdaLR", optimizer, lambdas, perGroup);
        PerGroup = perGroup;
        Apply();
    }

    bool PerGroup { get; }

    private protected override double LrAt(int epoch, int group, double lr) =>
        PerGroup && group >= _lambdas.Length ? lr : BaseLrs[group] * Factor("LambdaLR", _lambdas[PerGroup ? group : 0], epoch, group);

    /// <summary>The λs checked: not null, and one per group when <paramref name="perGroup"/>.</summary>
    internal static Func<int, double>[] CheckLambdas(string op, Optimizer optimizer, IReadOnlyList<Func<int, double>>? lambdas, bool perGroup)
    {
        if (lambdas == null) throw new ArgumentNullException(perGroup ? "lrLambdas" : "lrLambda");
        if (perGroup && lambdas.Count != optimizer.Groups.Count)
            throw new ArgumentException($"{op}: expected {optimizer.Groups.Count} lrLambdas, one per parameter group, got {lambdas.Count}");
        for (int i = 0; i < lambdas.Count; i++)
            if (lambdas[i] == null) throw new ArgumentException($"{op}: lrLambda {i} is null");
        return [.. lambdas];
    }

    /// <summary>λ(epoch), which must be a finite, non-negative factor.</summary>
    internal static double Factor(string op, Func<int, double> lambda, int epoch, int group)
    {
        double f = lambda(epoch);
        if (!(f >= 0 && double.IsFinite(f)))
            throw new InvalidOperationException($"{op}: the lr factor of group {group} at epoch {epoch} must be finite and non-negative, got {f}");
        return f;
    }
}
