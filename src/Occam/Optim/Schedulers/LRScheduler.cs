namespace Occam.Optim.Schedulers;

/// <summary>
/// Base of the learning-rate schedulers (torch.optim.lr_scheduler): built after the optimizer, it sets
/// each group's lr for epoch 0 at once; every <see cref="Step"/> advances one epoch (or one batch, for
/// per-batch schedules such as OneCycleLR) and writes the new lr into the optimizer's groups.
/// As in PyTorch, a step is chainable: it computes the new lr from the group's current lr, so several
/// schedulers on one optimizer compose (<see cref="ChainedScheduler"/>), and
/// <see cref="SequentialLR"/> restarts a scheduler from its closed form at a milestone.
/// </summary>
public abstract class LRScheduler
{
    private protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        foreach (var g in optimizer.Groups) g.PinInitialLr();
        BaseLrs = optimizer.Groups.Select(g => g.InitialLr).ToArray();
    }

    public Optimizer Optimizer { get; }

    /// <summary>Each group's learning rate before scheduling (PyTorch's base_lrs, from initial_lr).</summary>
    public IReadOnlyList<double> BaseLrs { get; private protected set; }

    /// <summary>Steps taken so far (PyTorch's last_epoch); SequentialLR moves it back one when it takes a scheduler over.</summary>
    public int LastEpoch { get; internal set; }

    /// <summary>The learning rates set by the latest step.</summary>
    public IReadOnlyList<double> LastLr => Optimizer.Groups.Select(g => g.LrValue).ToArray();

    /// <summary>Sets the lr for <see cref="LastEpoch"/> from each group's current lr; call at the end of the
    /// constructor of a derived class (PyTorch's initial step).</summary>
    private protected void Apply()
    {
        var groups = AdoptNewGroups();
        for (int i = 0; i < groups.Count; i++) groups[i].Lr = LrAt(LastEpoch, i, groups[i].LrValue);
    }

    /// <summary>Advances one epoch and updates the optimizer's learning rates.</summary>
    public virtual void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>Jumps back to epoch 0 and sets the closed-form lr there (PyTorch's step(0), which SequentialLR
    /// issues at a milestone).</summary>
    internal virtual void Restart()
    {
        LastEpoch = 0;
        var groups = AdoptNewGroups();
        for (int i = 0; i < groups.Count; i++) groups[i].Lr = ClosedFormLrAt(0, i);
    }

    /// <summary>The optimizer's groups, after taking on those added since this scheduler was built
    /// (<see cref="Optimizer.AddParamGroup"/>) with their lr now as their base.</summary>
    private protected IReadOnlyList<ParameterGroup> AdoptNewGroups()
    {
        var groups = Optimizer.Groups;
        if (BaseLrs.Count < groups.Count)
        {
            foreach (var g in groups.Skip(BaseLrs.Count)) g.PinInitialLr();
            BaseLrs = [.. BaseLrs, .. groups.Skip(BaseLrs.Count).Select(g => g.InitialLr)];
        }
        return groups;
    }

    /// <summary>The lr of group <paramref name="group"/> at <paramref name="epoch"/>, given its current
    /// <paramref name="lr"/> (PyTorch's chainable get_lr).</summary>
    private protected abstract double LrAt(int epoch, int group, double lr);

    /// <summary>The lr at <paramref name="epoch"/> from the base lr alone (PyTorch's _get_closed_form_lr);
    /// schedulers without one fall back to <see cref="LrAt"/>, as PyTorch does.</summary>
    private protected virtual double ClosedFormLrAt(int epoch, int group) => LrAt(epoch, group, Optimizer.Groups[group].LrValue);

    // ------------------------------------------------------------ state

    /// <summary>The counters a resumed run needs (PyTorch's scheduler state_dict): "last_epoch"; ReduceLROnPlateau's
    /// "best", "num_bad_epochs" and "cooldown_counter"; CosineAnnealingWarmRestarts' "t_cur" and "t_i"; the schedulers of
    /// SequentialLR and ChainedScheduler under "{index}.". The learning rates travel with the optimizer's state.</summary>
    public Dictionary<string, double> StateDict()
    {
        var d = new Dictionary<string, double>();
        SaveState("", d);
        return d;
    }

    /// <summary>Restores counters saved by <see cref="StateDict"/> into a scheduler built as the saved one was. Checks
    /// everything before changing anything, and leaves the optimizer's learning rates as they are (they come back with
    /// <see cref="Occam.Optim.Optimizer.LoadStateDict"/>, before or after this).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string where = $"{GetType().Name}.LoadStateDict";
        LoadState("", state, where, apply: false);
        var lrs = Optimizer.Groups.Select(g => g.Lr).ToArray();
        LoadState("", state, where, apply: true);
        for (int i = 0; i < lrs.Length; i++) Optimizer.Groups[i].Lr = lrs[i];
    }

    /// <summary>The schedulers this one drives (SequentialLR's, ChainedScheduler's), whose counters are saved and
    /// loaded with its own under "{prefix}{i}.".</summary>
    private protected virtual IReadOnlyList<LRScheduler> Children => [];

    /// <summary>Writes this scheduler's counters into <paramref name="d"/> under <paramref name="prefix"/>.</summary>
    internal virtual void SaveState(string prefix, Dictionary<string, double> d)
    {
        d[prefix + "last_epoch"] = LastEpoch;
        for (int i = 0; i < Children.Count; i++) Children[i].SaveState($"{prefix}{i}.", d);
    }

    /// <summary>Reads this scheduler's counters under <paramref name="prefix"/>, and assigns them only when
    /// <paramref name="apply"/> (a first pass with it false finds a missing or bad counter before anything changes).</summary>
    internal virtual void LoadState(string prefix, IReadOnlyDictionary<string, double> d, string where, bool apply)
    {
        // −1: a SequentialLR's scheduler whose milestone has not come yet (as PyTorch's last_epoch).
        int lastEpoch = SavedCount(prefix, d, "last_epoch", where, from: -1);
        if (apply) LastEpoch = lastEpoch;
        for (int i = 0; i < Children.Count; i++) Children[i].LoadState($"{prefix}{i}.", d, where, apply);
    }

    private protected double Saved(string prefix, IReadOnlyDictionary<string, double> d, string key, string where) =>
        d.TryGetValue(prefix + key, out var v) ? v : throw new ArgumentException($"{where}: the state of {GetType().Name} lacks '{prefix}{key}'");

    private protected int SavedCount(string prefix, IReadOnlyDictionary<string, double> d, string key, string where, int from = 0)
    {
        double v = Saved(prefix, d, key, where);
        if (!(v >= from && v <= int.MaxValue) || v != Math.Floor(v))
            throw new InvalidDataException($"{where}: {GetType().Name}'s '{prefix}{key}' must be a whole number from {from}, got {v}");
        return (int)v;
    }

    private protected static void CheckPositive(string op, string what, double value)
    {
        if (!(value > 0)) throw new ArgumentException($"{op}: {what} must be positive, got {value}");
        if (double.IsInfinity(value)) throw new ArgumentException($"{op}: {what} must be finite, got {value}");
    }

    private protected static void CheckNonNegative(string op, string what, double value)
    {
        if (!(value >= 0)) throw new ArgumentException($"{op}: {what} must be non-negative, got {value}");
        if (double.IsInfinity(value)) throw new ArgumentException($"{op}: {what} must be finite, got {value}");
    }

    /// <summary>Throws unless <paramref name="milestones"/> are positive and strictly increasing.</summary>
    private protected static void CheckMilestones(string op, int[] milestones)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        for (int i = 0; i < milestones.Length; i++)
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1]))
                throw new ArgumentException($"{op}: milestones must be positive and strictly increasing, got [{string.Join(", ", milestones)}]");
    }
}
