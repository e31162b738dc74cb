namespace Occam.Optim.Schedulers;

/// <summary>
/// Base of the learning-rate schedulers (torch.optim.lr_scheduler): built after the optimizer, it sets
/// each group's lr for epoch 0 at once; every <see cref="Step"/> advances one epoch (or one batch, for
/// per-batch schedules such as OneCycleLR) and writes the new lr into the optimizer's groups.
/// </summary>
public abstract class LRScheduler
{
    private protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLrs = optimizer.Groups.Select(g => g.InitialLr).ToArray();
    }

    public Optimizer Optimizer { get; }

    /// <summary>Each group's learning rate before scheduling.</summary>
    public IReadOnlyList<double> BaseLrs { get; }

    /// <summary>Steps taken so far (PyTorch's last_epoch).</summary>
    public int LastEpoch { get; private protected set; }

    /// <summary>The learning rates set by the latest step.</summary>
    public IReadOnlyList<double> LastLr => Optimizer.Groups.Select(g => g.LrValue).ToArray();

    /// <summary>Sets the lr for the current epoch; call at the end of the constructor of a derived class.</summary>
    private protected void Apply()
    {
        for (int i = 0; i < Optimizer.Groups.Count; i++) Optimizer.Groups[i].Lr = LrAt(LastEpoch, i);
    }

    /// <summary>Advances one epoch and updates the optimizer's learning rates.</summary>
    public virtual void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>The learning rate of group <paramref name="group"/> at <paramref name="epoch"/>.</summary>
    private protected abstract double LrAt(int epoch, int group);
}
