namespace Occam.Training.Callbacks;

/// <summary>Stops training as soon as a batch loss is NaN or infinite (keras.callbacks.TerminateOnNaN);
/// <see cref="Message"/> names the epoch and batch. Checkpoint callbacks never save a non-finite model.</summary>
public sealed class TerminateOnNaN : Callback
{
    int _epoch;

    /// <summary>Why training stopped, or null.</summary>
    public string? Message { get; private set; }

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _epoch = epoch;

    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs.TryGetValue("loss", out var loss) && !double.IsFinite(loss))
        {
            Message = $"TerminateOnNaN: loss became {loss} at epoch {_epoch + 1}, batch {batch + 1}; training stopped";
            Ctx.StopTraining = true;
        }
    }
}
