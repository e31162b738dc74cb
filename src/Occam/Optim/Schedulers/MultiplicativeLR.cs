namespace Occam.Optim.Schedulers;

/// <summary>
/// lr_t = lr_{t−1}·λ(t) for t ≥ 1, as torch.optim.lr_scheduler.MultiplicativeLR: a function of the epoch gives each
/// step's factor (one λ for every group, or one per group).
/// </summary>
public sealed class MultiplicativeLR : LRScheduler
{
    readonly Func<int, double>[] _lambdas;

    public MultiplicativeLR(Optimizer optimizer, Func<int, double> lrLambda) : this(optimizer, lrLambda == null ? null : [lrLambda], perGroup: false) { }

    /// <summary>λs for the optimizer's groups, one each, in order.</summary>
    public MultiplicativeLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : this(optimizer, lrLambdas, perGroup: true) { }

    MultiplicativeLR(Optimizer optimizer, IReadOnlyList<Func<int, double>>? lambdas, bool perGroup) : base(optimizer)
    {
        _lambdas = LambdaLR.CheckLambdas("MultiplicativeLR", optimizer, lambdas, perGroup);
        PerGroup = perGroup;
        Apply();
    }

    bool PerGroup { get; }

    private protected override double LrAt(int epoch, int group, double lr) =>
        epoch <= 0 || PerGroup && group >= _lambdas.Length ? lr : lr * LambdaLR.Factor("MultiplicativeLR", _lambdas[PerGroup ? group : 0], epoch, group);
}
