using System.Globalization;

namespace Occam.Training.Callbacks;

/// <summary>
/// Saves the model (and optionally the optimizer) as a safetensors checkpoint at the end of an epoch, as
/// keras.callbacks.ModelCheckpoint: every epoch, or only when the monitored value improves (<see cref="SaveBestOnly"/>).
/// "{epoch}" in the path is replaced by the 1-based epoch number. A model whose loss is not finite is never saved.
/// Files are written atomically (temporary file, then rename).
/// </summary>
public sealed class ModelCheckpoint : MonitorCallback
{
    double? _best;

    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto, Optim.Optimizer? optimizer = null)
        : base(monitor, mode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        SaveBestOnly = saveBestOnly;
        Optimizer = optimizer;
    }

    public string Path { get; }
    public bool SaveBestOnly { get; }
    public Optim.Optimizer? Optimizer { get; }

    /// <summary>The last file written, or null.</summary>
    public string? LastSaved { get; private set; }

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => _best = null;

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs.TryGetValue("loss", out var loss) && !double.IsFinite(loss)) return;
        if (SaveBestOnly)
        {
            double value = Current(logs);
            if (!IsImprovement(value, _best)) return;
            _best = value;
        }
        string file = Path.Replace("{epoch}", (epoch + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var metadata = new Dictionary<string, string> { ["epoch"] = (epoch + 1).ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in logs) metadata["logs." + key] = value.ToString("R", CultureInfo.InvariantCulture);
        IO.Checkpoint.Save(file, Ctx.Model, Optimizer, metadata);
        LastSaved = file;
    }
}
