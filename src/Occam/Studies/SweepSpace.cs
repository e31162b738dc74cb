using System.Globalization;

namespace Occam.Studies;

/// <summary>One swept parameter: a range <c>name=lo..hi</c> (uniform, or log-uniform with <c>:log</c>) or a list
/// <c>name=a,b,c</c> (<see cref="Values"/> set).</summary>
public sealed record SweepParameter(string Name, double Low, double High, bool Log, IReadOnlyList<double>? Values = null)
{
    /// <summary>The text this parameter parses from (<c>weight-decay=1e-05..0.1:log</c>, <c>dropout=0,0.2,0.4</c>).</summary>
    public override string ToString() => Values != null
        ? $"{Name}={string.Join(",", Values.Select(Format))}"
        : $"{Name}={Format(Low)}..{Format(High)}{(Log ? ":log" : "")}";

    /// <summary><paramref name="count"/> grid points: the list, or evenly spaced over the range (in log space for log
    /// ranges), ends included.</summary>
    public double[] Grid(int count)
    {
        if (Values != null) return [.. Values];
        if (count < 1) throw new ArgumentException($"SweepParameter.Grid: count must be at least 1, got {count}");
        if (count == 1) return [Log ? Math.Sqrt(Low * High) : (Low + High) / 2];
        return Enumerable.Range(0, count).Select(i => i == count - 1 ? High : At(i / (double)(count - 1))).ToArray();
    }

    /// <summary>A random value: uniform over the range (log-uniform for log ranges) or one of the listed values.</summary>
    public double Sample(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return Values != null ? Values[generator.NextInt(Values.Count)] : At(generator.NextDouble());
    }

    /// <summary>Where <paramref name="value"/> lies in the range as a fraction in [0, 1] (log space for log ranges).</summary>
    public double Position(double value)
    {
        double lo = Values?.Min() ?? Low, hi = Values?.Max() ?? High;
        if (!(hi > lo)) return 0;
        return Log && lo > 0 && value > 0 ? Math.Log(value / lo) / Math.Log(hi / lo) : (value - lo) / (hi - lo);
    }

    double At(double t) => Log ? Math.Exp(Math.Log(Low) + t * Math.Log(High / Low)) : Low + t * (High - Low);

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>The search space of a sweep: parameters parsed from <c>name=lo..hi[:log]</c> or <c>name=a,b,c</c>.</summary>
public sealed class SweepSpace
{
    public SweepSpace(IEnumerable<SweepParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToList();
        if (Parameters.Count == 0) throw new ArgumentException("SweepSpace: at least one parameter is needed");
        var duplicate = Parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"SweepSpace: parameter '{duplicate.Key}' is given more than once");
    }

    public IReadOnlyList<SweepParameter> Parameters { get; }

    /// <summary>Parses each text with <see cref="ParseParameter"/>.</summary>
    public static SweepSpace Parse(IEnumerable<string> texts) => new(texts.Select(ParseParameter));

    /// <summary>Parses <c>name=lo..hi</c>, <c>name=lo..hi:log</c> or <c>name=a,b,c</c> (a single value is a list of one);
    /// a malformed text raises an error that quotes it.</summary>
    public static SweepParameter ParseParameter(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string Bad(string why) => $"--param '{text}': {why}; expected name=lo..hi, name=lo..hi:log or name=a,b,c";
        int eq = text.IndexOf('=');
        if (eq <= 0) throw new FormatException(Bad("no name= before the values"));
        string name = text[..eq].Trim().ToLowerInvariant(), body = text[(eq + 1)..].Trim();
        if (body.Length == 0) throw new FormatException(Bad("no values after '='"));
        bool log = false;
        if (body.EndsWith(":log", StringComparison.OrdinalIgnoreCase)) { log = true; body = body[..^4]; }
        else if (body.Contains(':')) throw new FormatException(Bad($"unknown scale '{body[(body.IndexOf(':') + 1)..]}' (only :log)"));
        int dots = body.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0)
        {
            double lo = Number(body[..dots], text, Bad), hi = Number(body[(dots + 2)..], text, Bad);
            if (!(hi > lo)) throw new FormatException(Bad($"the range's upper end {SweepParameter.Format(hi)} must exceed its lower end {SweepParameter.Format(lo)}"));
            if (log && !(lo > 0)) throw new FormatException(Bad($"a log range needs a positive lower end, got {SweepParameter.Format(lo)}"));
            return new SweepParameter(name, lo, hi, log);
        }
        if (log) throw new FormatException(Bad(":log applies to ranges lo..hi, not to lists"));
        var values = body.Split(',').Select(s => Number(s, text, Bad)).Distinct().Order().ToArray();
        return new SweepParameter(name, values[0], values[^1], false, values);
    }

    static double Number(string s, string text, Func<string, string> bad)
    {
        s = s.Trim();
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new FormatException(bad(s.Length == 0 ? "a value is missing" : $"'{s}' is not a number"));
        return v;
    }

    /// <summary>Every combination of the parameters' grid points (<paramref name="points"/> per range), the first
    /// parameter varying slowest.</summary>
    public List<Dictionary<string, double>> Grid(int points)
    {
        var configs = new List<Dictionary<string, double>> { new() };
        foreach (var p in Parameters)
            configs = configs.SelectMany(c => p.Grid(points).Select(v => new Dictionary<string, double>(c) { [p.Name] = v })).ToList();
        return configs;
    }

    /// <summary><paramref name="count"/> configurations drawn independently (Bergstra &amp; Bengio 2012).</summary>
    public List<Dictionary<string, double>> Random(int count, Generator generator)
    {
        if (count < 1) throw new ArgumentException($"SweepSpace.Random: count must be at least 1, got {count}");
        return Enumerable.Range(0, count).Select(_ => Parameters.ToDictionary(p => p.Name, p => p.Sample(generator))).ToList();
    }

    public override string ToString() => string.Join(" ", Parameters);
}
