using System.Globalization;
using System.Text;

namespace Occam.Training.Callbacks;

/// <summary>Writes one CSV row per epoch, as keras.callbacks.CSVLogger: an "epoch" column (0-based) then the log
/// keys in sorted order ("accuracy,loss,val_accuracy,val_loss,…"). The file is rewritten whole after each
/// epoch through a temporary file, so it is never half-written. Each <c>Fit</c> starts the file afresh, as Keras's
/// (append=False), from the epochs the trainer's history already holds: none, or those before a resume.</summary>
public sealed class CsvLogger(string path, char separator = ',') : Callback
{
    readonly List<(int Epoch, Dictionary<string, double> Logs)> _rows = [];

    public string Path { get; } = string.IsNullOrWhiteSpace(path) ? throw new ArgumentException("CsvLogger: path must not be empty") : path;

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _rows.Clear();
        var earlier = Ctx.History.Epochs;
        for (int e = 0; e < earlier.Count; e++) _rows.Add((e, new Dictionary<string, double>(earlier[e])));
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _rows.Add((epoch, new Dictionary<string, double>(logs)));
        var keys = _rows.SelectMany(r => r.Logs.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append("epoch");
        foreach (var k in keys) sb.Append(separator).Append(k);
        sb.Append('\n');
        foreach (var (e, row) in _rows)
        {
            sb.Append(e.ToString(CultureInfo.InvariantCulture));
            foreach (var k in keys)
                sb.Append(separator).Append(row.TryGetValue(k, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            sb.Append('\n');
        }
        IO.AtomicFile.Write(Path, stream => stream.Write(Encoding.UTF8.GetBytes(sb.ToString())), "CsvLogger");
    }
}
