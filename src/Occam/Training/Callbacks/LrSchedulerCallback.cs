using Occam.Optim.Schedulers;

namespace Occam.Training.Callbacks;

/// <summary>Steps a learning-rate scheduler at the end of every epoch (or every batch for per-step schedules
/// such as OneCycleLR); a ReduceLROnPlateau is stepped with the monitored value. Where the monitor's name tells its
/// direction (<see cref="MonitorCallback.InferMode"/>, as Keras's mode "auto"), the plateau's mode must agree: PyTorch's
/// default, Min, on an accuracy would cut the lr whenever the accuracy rose.</summary>
public sealed class LrSchedulerCallback(LRScheduler scheduler, bool perBatch = false, string monitor = "val_loss") : Callback
{
    public LRScheduler Scheduler { get; } = scheduler switch
    {
        null => throw new ArgumentNullException(nameof(scheduler)),
        ReduceLROnPlateau when perBatch => throw new ArgumentException("LrSchedulerCallback: ReduceLROnPlateau steps once an epoch with the monitored value; perBatch must be false"),
        ReduceLROnPlateau when string.IsNullOrWhiteSpace(monitor) => throw new ArgumentException("LrSchedulerCallback: ReduceLROnPlateau needs a monitor (a key of the epoch's logs such as val_loss)"),
        ReduceLROnPlateau p when MonitorCallback.InferMode(monitor) is MonitorMode m && (m == MonitorMode.Max) != (p.Mode == PlateauMode.Max) =>
            throw new ArgumentException($"LrSchedulerCallback: the ReduceLROnPlateau has mode {p.Mode}, but the monitored '{monitor}' should " +
                $"{(m == MonitorMode.Max ? "rise" : "fall")}; build it with mode: PlateauMode.{(m == MonitorMode.Max ? "Max" : "Min")}"),
        _ => scheduler,
    };

    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (perBatch) Scheduler.Step();
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (perBatch) return;
        if (Scheduler is ReduceLROnPlateau plateau)
        {
            if (!logs.TryGetValue(monitor, out var value))
                throw new InvalidOperationException($"LrSchedulerCallback: ReduceLROnPlateau monitors '{monitor}', which is not in the logs ({string.Join(", ", logs.Keys)})");
            plateau.Step(value);
        }
        else Scheduler.Step();
    }
}
