namespace Occam.Training.Callbacks;

/// <summary>One progress report: the epoch (0-based), the batch within it, and the latest logs.</summary>
public readonly record struct Progress(int Epoch, int Batch, IReadOnlyDictionary<string, double> Logs, bool EpochEnded);

/// <summary>Reports progress after every batch and epoch to a delegate — the hook the CLI draws its progress bars from.</summary>
public sealed class ProgressCallback(Action<Progress> report) : Callback
{
    readonly Action<Progress> _report = report ?? throw new ArgumentNullException(nameof(report));
    int _epoch;

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _epoch = epoch;

    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => _report(new Progress(_epoch, batch, logs, false));

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => _report(new Progress(epoch, -1, logs, true));
}
