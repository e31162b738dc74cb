namespace Occam;

/// <summary>The engine's worker threads. PLACEHOLDER until the pool lands.</summary>
public static class Threads
{
    static int _count = Environment.ProcessorCount;

    /// <summary>Threads used by kernels; default = processor count.</summary>
    public static int Count
    {
        get => _count;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, $"Threads.Count: must be at least 1, got {value}");
            _count = value;
        }
    }

    /// <summary>Runs body(0..tasks-1) spread over the pool; returns when all are done.</summary>
    public static void For(int tasks, Action<int> body)
    {
        if (tasks <= 1 || _count == 1) { for (int i = 0; i < tasks; i++) body(i); return; }
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = _count }, body);
    }
}
