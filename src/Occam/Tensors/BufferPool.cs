namespace Occam;

/// <summary>
/// Float buffers keyed by exact length. Op outputs and gradients rent here and the tape
/// returns them after Backward, so steady-state training steps of fixed shapes allocate nothing.
/// Rented buffers are not cleared unless asked.
/// </summary>
internal static class BufferPool
{
    const int MaxPerLength = 32;
    static readonly Dictionary<int, Stack<float[]>> Buckets = new();
    static readonly Lock Gate = new();

    public static float[] Rent(int length)
    {
        if (length == 0) return [];
        lock (Gate)
        {
            if (Buckets.TryGetValue(length, out var stack) && stack.Count > 0) return stack.Pop();
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    public static float[] RentZeroed(int length)
    {
        var array = Rent(length);
        Array.Clear(array);
        return array;
    }

    public static void Return(float[] array)
    {
        if (array.Length == 0) return;
        lock (Gate)
        {
            if (!Buckets.TryGetValue(array.Length, out var stack)) Buckets[array.Length] = stack = new Stack<float[]>();
            if (stack.Count < MaxPerLength) stack.Push(array);
        }
    }

    /// <summary>Drops every pooled buffer (for tests and memory pressure).</summary>
    public static void Clear()
    {
        lock (Gate) Buckets.Clear();
    }
}
