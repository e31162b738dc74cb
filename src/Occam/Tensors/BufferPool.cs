namespace Occam;

/// <summary>
/// Float buffers keyed by exact length. Op outputs and gradients rent here and the tape
/// returns them after Backward, so steady-state training steps of fixed shapes allocate nothing.
/// Rented buffers are not cleared unless asked. Pinned buffers (whose address never moves, for
/// raw pointers kept across calls) are pooled apart.
/// </summary>
internal static class BufferPool
{
    const int MaxPerLength = 32;
    static readonly Dictionary<int, Stack<float[]>> Buckets = new(), PinnedBuckets = new();
    static readonly Lock Gate = new();

    public static float[] Rent(int length) => Rent(Buckets, length, pinned: false);

    /// <summary>A pinned buffer: allocating fresh memory of this size again for every use (a page fault per 4 KB) costs
    /// more than what it holds is worth.</summary>
    public static float[] RentPinned(int length) => Rent(PinnedBuckets, length, pinned: true);

    public static float[] RentZeroed(int length)
    {
        var array = Rent(length);
        Array.Clear(array);
        return array;
    }

    public static void Return(float[] array) => Return(Buckets, array);

    public static void ReturnPinned(float[] array) => Return(PinnedBuckets, array);

    static float[] Rent(Dictionary<int, Stack<float[]>> buckets, int length, bool pinned)
    {
        if (length == 0) return [];
        lock (Gate)
        {
            if (buckets.TryGetValue(length, out var stack) && stack.Count > 0) return stack.Pop();
        }
        return GC.AllocateUninitializedArray<float>(length, pinned);
    }

    static void Return(Dictionary<int, Stack<float[]>> buckets, float[] array)
    {
        if (array.Length == 0) return;
        lock (Gate)
        {
            if (!buckets.TryGetValue(array.Length, out var stack)) buckets[array.Length] = stack = new Stack<float[]>();
            if (stack.Count < MaxPerLength) stack.Push(array);
        }
    }

    /// <summary>Drops every pooled buffer (for tests and memory pressure).</summary>
    public static void Clear()
    {
        lock (Gate)
        {
            Buckets.Clear();
            PinnedBuckets.Clear();
        }
    }
}
