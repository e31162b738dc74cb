using System.Diagnostics;

namespace Occam;

/// <summary>
/// A per-op wall-clock profiler for benchmarks (`occam bench mlp --profile`): when <see cref="Enabled"/>,
/// each recorded op is charged the time since the previous mark (its forward), and each backward closure
/// its own run time. Off by default; when off it costs one static bool read per op.
/// </summary>
internal static class OpProfiler
{
    public static bool Enabled;
    static long _last, _lastBytes;
    static readonly Dictionary<string, (long Ticks, long Calls, long Bytes)> Totals = [];

    public static void Reset() { Totals.Clear(); Mark(); }

    /// <summary>Starts a new forward lap (the time until the next op is charged to that op).</summary>
    public static void Mark()
    {
        _lastBytes = GC.GetAllocatedBytesForCurrentThread();
        _last = Stopwatch.GetTimestamp();
    }

    /// <summary>Charges the time (and this thread's managed allocation) since the last mark to <paramref name="key"/> and marks again.</summary>
    public static void Lap(string key)
    {
        long now = Stopwatch.GetTimestamp(), bytes = GC.GetAllocatedBytesForCurrentThread();
        Add(key, now - _last, bytes - _lastBytes);
        Mark();
    }

    public static void Add(string key, long ticks, long bytes = 0)
    {
        Totals.TryGetValue(key, out var t);
        Totals[key] = (t.Ticks + ticks, t.Calls + 1, t.Bytes + bytes);
    }

    /// <summary>(key, seconds, calls, bytes allocated on the calling thread), slowest first.</summary>
    public static List<(string Key, double Seconds, long Calls, long Bytes)> Report() =>
        Totals.Select(p => (p.Key, (double)p.Value.Ticks / Stopwatch.Frequency, p.Value.Calls, p.Value.Bytes)).OrderByDescending(p => p.Item2).ToList();
}
