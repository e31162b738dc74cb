using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Occam.Training.Callbacks;

/// <summary>
/// Saves the model (and optionally the optimizer) as a safetensors checkpoint at the end of an epoch, as
/// keras.callbacks.ModelCheckpoint: every epoch, or only when the monitored value improves (<see cref="SaveBestOnly"/>).
/// The path is formatted as Keras's <c>filepath.format(epoch=epoch + 1, **logs)</c>: "{epoch}" is the 1-based epoch
/// number and "{val_loss}" any key of the epoch's logs, each optionally with a format spec [0][width][.precision][d|f|e]
/// ("model-{epoch:02d}-{val_loss:.4f}.safetensors"); "{{" and "}}" are literal braces. A model whose loss is not finite is never saved.
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
        _template = Parse(path);
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
        string file = FileFor(epoch, logs); // first, so a path naming a missing log leaves Best as it was
        if (SaveBestOnly)
        {
            double value = Current(logs);
            if (!IsImprovement(value, Best)) return;
            Best = value;
        }
        var metadata = new Dictionary<string, string> { ["epoch"] = (epoch + 1).ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in logs) metadata["logs." + key] = value.ToString("R", CultureInfo.InvariantCulture);
        IO.Checkpoint.Save(file, Ctx.Model, Optimizer, metadata);
        LastSaved = file;
    }

    // The path as literal text and placeholders {key:spec}, parsed once so that a malformed path fails at construction.
    readonly List<(string Text, string? Key, Spec Spec)> _template;

    readonly record struct Spec(bool Zero, int Width, int? Precision, char Type);

    /// <summary>The file of epoch <paramref name="epoch"/> (0-based): the path with its placeholders filled in.</summary>
    internal string FileFor(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var sb = new StringBuilder();
        foreach (var (text, key, spec) in _template)
        {
            if (key == null) sb.Append(text);
            else if (key == "epoch") sb.Append(Format(epoch + 1, integer: true, spec));
            else if (logs.TryGetValue(key, out var value)) sb.Append(Format(value, integer: false, spec));
            else throw new InvalidOperationException($"ModelCheckpoint: the path '{Path}' names '{key}', which is not in the epoch's logs ({string.Join(", ", logs.Keys)})");
        }
        return sb.ToString();
    }

    static List<(string, string?, Spec)> Parse(string path)
    {
        var parts = new List<(string, string?, Spec)>();
        var text = new StringBuilder();
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if ((c == '{' || c == '}') && i + 1 < path.Length && path[i + 1] == c) { text.Append(c); i++; continue; }
            if (c == '}') throw Bad(path, "a '}' closes no placeholder; write '}}' for a literal brace");
            if (c != '{') { text.Append(c); continue; }
            int end = path.IndexOf('}', i + 1);
            if (end < 0) throw Bad(path, "a '{' is never closed; write '{{' for a literal brace");
            string field = path[(i + 1)..end];
            int colon = field.IndexOf(':');
            string key = colon < 0 ? field : field[..colon], format = colon < 0 ? "" : field[(colon + 1)..];
            var m = Regex.Match(format, @"^(0?)(\d*)(?:\.(\d+))?([dfe]?)$");
            if (key.Length == 0 || key.Contains('{')) throw Bad(path, $"'{{{field}}}' needs a name, as {{epoch}} or {{val_loss}}");
            if (!m.Success || format.Length > 12)
                throw Bad(path, $"'{{{field}}}' has a format spec other than [0][width][.precision][d|f|e]");
            var spec = new Spec(m.Groups[1].Length > 0, m.Groups[2].Length > 0 ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
                m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : null, m.Groups[4].Length > 0 ? m.Groups[4].Value[0] : ' ');
            if (spec.Type == 'd' && (key != "epoch" || spec.Precision != null)) throw Bad(path, $"'{{{field}}}': d formats the epoch number, without a precision; a logged value takes f or e");
            if (spec.Type == ' ' && spec.Precision != null) throw Bad(path, $"'{{{field}}}': a precision needs f or e");
            parts.Add((text.ToString(), null, default));
            text.Clear();
            parts.Add(("", key, spec));
            i = end;
        }
        parts.Add((text.ToString(), null, default));
        return parts;
    }

    static ArgumentException Bad(string path, string why) => new($"ModelCheckpoint: path '{path}': {why}");

    // As Python's format(value, spec) for the specs Parse accepts; a logged value without a spec as Python's str(float).
    static string Format(double value, bool integer, Spec spec)
    {
        var inv = CultureInfo.InvariantCulture;
        string s;
        if (double.IsNaN(value)) s = "nan";
        else if (double.IsInfinity(value)) s = value > 0 ? "inf" : "-inf";
        else s = spec.Type switch
        {
            'f' => value.ToString("F" + (spec.Precision ?? 6), inv),
            'e' => Exponent(value.ToString("E" + (spec.Precision ?? 6), inv)),
            _ when integer => ((long)value).ToString(inv),
            _ => value.ToString("R", inv) is var r && r.Contains('E') ? Exponent(r) : r.Contains('.') ? r : r + ".0",
        };
        if (s.Length >= spec.Width) return s;
        int sign = s[0] == '-' ? 1 : 0;
        return spec.Zero && double.IsFinite(value)
            ? s[..sign] + new string('0', spec.Width - s.Length) + s[sign..]
            : new string(' ', spec.Width - s.Length) + s;
    }

    // .NET's "1.5E-005" as Python's "1.5e-05": a signed exponent of at least two digits.
    static string Exponent(string s)
    {
        int e = s.IndexOf('E');
        int exponent = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{s[..e]}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}");
    }
}
