using System.Globalization;

namespace Occam.Training.Callbacks;

/// <summary>
/// Saves the model (and optionally the optimizer) as a safetensors checkpoint at the end of an epoch, as
/// keras.callbacks.ModelCheckpoint: every epoch, or only when the monitored value improves (<see cref="SaveBestOnly"/>).
/// "{epoch}" in the path is replaced by the 1-based epoch number. A model whose loss is not finite is never saved.
/// Files are written atomically (temporary file, then rename). As in Keras, the best value starts at
/// <c>initialValueThreshold</c> (default ±∞, so an infinite value is never "best") and carries over from one
/// <c>Fit</c> to the next; <see cref="Trainer.Resume"/> restores it with the rest of the training state.
/// </summary>
public sealed class ModelCheckpoint : MonitorCallback
{
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto,
        Optim.Optimizer? optimizer = null, double? initialValueThreshold = null)
        : base(monitor, mode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (initialValueThreshold is double t && double.IsNaN(t)) throw new ArgumentException("ModelCheckpoint: initialValueThreshold must be a number, got NaN");
        Path = path;
        SaveBestOnly = saveBestOnly;
        Optimizer = optimizer;
        Best = initialValueThreshold ?? (Mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity);
    }

    /// <summary>With <see cref="SaveBestOnly"/>, the monitored value of the last file written (±∞ before the first);
    /// without it the callback saves every epoch and does not track a best.</summary>
    public double Best { get; internal set; }

    public string Path { get; }
    public bool SaveBestOnly { get; }
    public Optim.Optimizer? Optimizer { get; }

    /// <summary>The last file written, or null.</summary>
    public string? LastSaved { get; private set; }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs.TryGetValue("loss", out var loss) && !double.IsFinite(loss)) return;
        if (SaveBestOnly)
        {
            double value = Current(logs);
            if (!IsImprovement(value, Best)) return;
            Best = value;
        }
        string file = Path.Replace("{epoch}", (epoch + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var metadata = new Dictionary<string, string> { ["epoch"] = (epoch + 1).ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in logs) metadata["logs." + key] = value.ToString("R", CultureInfo.InvariantCulture);
        IO.Checkpoint.Save(file, Ctx.Model, Optimizer, metadata);
        LastSaved = file;
    }
}
