using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Occam;

/// <summary>
/// Float buffers keyed by exact length. Op outputs and gradients rent here and the tape
/// returns them after Backward, so steady-state training steps of fixed shapes allocate nothing.
/// Rented buffers are not cleared unless asked. Pinned buffers (whose address never moves, for
/// raw pointers kept across calls) are pooled apart.
/// <para>Buffers of at least <see cref="AlignFrom"/> floats are pinned and start on a 64-byte cache line whenever the
/// heap allows (<see cref="AllocateAligned"/>). Kernels split such buffers between cores at multiples of 16 floats
/// (a product's column shares, a batch norm's blocks of rows): on a line boundary no line is written by both
/// cores. Unaligned, every row of a [128, 512] activation split in two has one line that the two cores take from
/// each other on every write: measured in one process, alternating, the benchmark models' training steps at 2 threads
/// ran 3 % (MLP) and 4 % (CNN) slower.</para>
/// </summary>
internal static class BufferPool
{
    const int MaxPerLength = 32;
    const int AlignFrom = 16384;
    const int LineBytes = 64, MinObjectBytes = 24, AlignAttempts = 32;
    const long AlignBudgetBytes = 64L << 20;
    static readonly Dictionary<int, Stack<float[]>> Buckets = new(), PinnedBuckets = new();
    static readonly Lock Gate = new(), AlignGate = new();

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
        return length >= AlignFrom ? AllocateAligned(length) : GC.AllocateUninitializedArray<float>(length, pinned);
    }

    /// <summary>A pinned array whose first element starts a cache line, whenever the heap allows it within
    /// <see cref="AlignAttempts"/> tries and <see cref="AlignBudgetBytes"/> of objects held meanwhile (then as it comes).
    /// .NET cannot align an array, but the pinned heap places an object right after the last one when no free gap takes
    /// it. So the first try probes where the next object will start (an empty array) and puts a filler of the right size
    /// there: on a heap without gaps (a fresh process) that is all it takes. Otherwise a misaligned try is held, to fill
    /// the gap it took, with a pad at least as large as the buffer after it, sized to end on a line; the next try goes
    /// right after the pad when the two came from the end of the heap, or into the next gap. What the tries hold is
    /// garbage once the call returns. A buffer larger than a heap region starts every region at the same offset, and
    /// the budget stops it after a try or two.</summary>
    static unsafe float[] AllocateAligned(int length)
    {
        lock (AlignGate)
        {
            Pad(Address(GC.AllocateUninitializedArray<byte>(0, pinned: true)) + MinObjectBytes, 0);
            var array = GC.AllocateUninitializedArray<float>(length, pinned: true);
            List<Array>? held = null;
            long bytes = (MinObjectBytes + 4L * length + 7) & ~7L; // the buffer's object, rounded to 8 bytes
            long heldBytes = 0;
            for (int attempt = 1;
                 attempt < AlignAttempts && Address(array) % LineBytes != 0 && heldBytes + 2 * bytes <= AlignBudgetBytes;
                 attempt++)
            {
                (held ??= []).Add(array);
                held.Add(Pad(Address(array) + bytes, bytes));
                heldBytes += 2 * bytes + LineBytes;
                array = GC.AllocateUninitializedArray<float>(length, pinned: true);
            }
            GC.KeepAlive(held);
            return array;
        }
    }

    /// <summary>A pinned filler of at least <paramref name="minBytes"/> bytes for the place where the next object would
    /// have its elements at <paramref name="next"/>, sized so that the object after the filler has its elements on a
    /// line. (An object's elements start 24 bytes after it begins, past header, type and length, so the elements of the
    /// object after an array start at that array's elements plus its size.)</summary>
    static byte[] Pad(long next, long minBytes)
    {
        long bytes = (LineBytes - next % LineBytes) % LineBytes;
        while (bytes < Math.Max(minBytes, MinObjectBytes)) bytes += LineBytes;
        return GC.AllocateUninitializedArray<byte>((int)(bytes - MinObjectBytes), pinned: true);
    }

    static unsafe long Address(Array array) =>
        (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));

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
