namespace Occam.Training;

/// <summary>What training recorded, one logs dictionary per epoch (as Keras's History): "loss", "accuracy",
/// "val_loss", "val_accuracy", "lr", "weight_l1", "weight_l2", "zero_weight_fraction", "seconds".</summary>
public sealed class History
{
    readonly List<Dictionary<string, double>> _epochs = [];

    /// <summary>The logs of each epoch in order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Epochs => _epochs;

    /// <summary>One quantity across epochs (NaN where an epoch did not log it).</summary>
    public double[] this[string key] => _epochs.Select(e => e.TryGetValue(key, out var v) ? v : double.NaN).ToArray();

    /// <summary>Keys logged in any epoch.</summary>
    public IEnumerable<string> Keys => _epochs.SelectMany(e => e.Keys).Distinct();

    internal void Add(Dictionary<string, double> logs) => _epochs.Add(logs);
}
