namespace Occam.Optim.Schedulers;

/// <summary>
/// Runs schedulers one after another, as torch.optim.lr_scheduler.SequentialLR: scheduler i drives the lr from
/// milestones[i − 1] on, restarted there from its epoch-0 closed form (e.g. a LinearLR warm-up for 5 epochs,
/// then CosineAnnealingLR: <c>new SequentialLR(opt, [warmup, cosine], [5])</c>). At construction the groups go
/// back to their initial lr and only the first scheduler takes its initial step.
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    readonly LRScheduler[] _schedulers;
    readonly int[] _milestones;

    public SequentialLR(Optimizer optimizer, LRScheduler[] schedulers, int[] milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Length == 0) throw new ArgumentException("SequentialLR: schedulers must not be empty");
        for (int i = 0; i < schedulers.Length; i++)
        {
            var s = schedulers[i] ?? throw new ArgumentException($"SequentialLR: scheduler {i} is null");
            if (!ReferenceEquals(s.Optimizer, optimizer))
                throw new ArgumentException($"SequentialLR: scheduler {i} ({s.GetType().Name}) belongs to a different optimizer");
            if (s is SequentialLR or ChainedScheduler or ReduceLROnPlateau)
                throw new ArgumentException($"SequentialLR: scheduler {i} is a {s.GetType().Name}, which cannot be restarted at a milestone");
        }
        CheckMilestones("SequentialLR", milestones);
        if (milestones.Length != schedulers.Length - 1)
            throw new ArgumentException($"SequentialLR: expected {schedulers.Length - 1} milestones for {schedulers.Length} schedulers, got {milestones.Length}");
        (_schedulers, _milestones) = ((LRScheduler[])schedulers.Clone(), (int[])milestones.Clone());

        foreach (var g in optimizer.Groups) g.Lr = g.InitialLr;
        // Undo the initial step each scheduler took when it was built, then take the first one's again.
        foreach (var s in _schedulers) s.LastEpoch--;
        _schedulers[0].Step();
    }

    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;
    public IReadOnlyList<int> Milestones => _milestones;

    public override void Step()
    {
        LastEpoch++;
        int idx = _milestones.Count(m => m <= LastEpoch);
        if (idx > 0 && _milestones[idx - 1] == LastEpoch) _schedulers[idx].Restart();
        else _schedulers[idx].Step();
    }

    private protected override IReadOnlyList<LRScheduler> Children => _schedulers;

    // The lr always comes from the scheduler in charge.
    private protected override double LrAt(int epoch, int group, double lr) => lr;
}
