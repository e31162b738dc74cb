using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Occam.Tests.Tensors;

// Alone (no other test allocates while it probes the heap).
[Collection(nameof(ThreadsCollection))]
public class BufferPoolTests
{
    static unsafe long LineOffset(float[] array) =>
        (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)) % 64;

    [Fact]
    public void LargeBuffersStartOnACacheLine()
    {
        // Lengths no other test rents, so each is freshly allocated, on a pinned heap that the suite has left full of
        // gaps. By chance one array in eight would start on a line (the heap aligns to 8 bytes): six of eight by chance
        // is a 1-in-100,000 event. Up to 2 MB each, so that the tries' budget allows at least 16 (larger buffers get
        // fewer, and a few of them stay misaligned on such a heap). A background collection sweeping the pinned heap
        // meanwhile can move where the next object goes, so a round may miss more: up to three rounds.
        int[] lengths = [16_384 + 3, 20_011, 65_536 + 5, 100_003, 131_071, 250_001, 401_413, 524_287];
        var counts = new List<int>();
        for (int round = 0; round < 3; round++)
        {
            var arrays = lengths.Select(length => BufferPool.Rent(length + round)).ToArray();
            for (int i = 0; i < lengths.Length; i++) Assert.Equal(lengths[i] + round, arrays[i].Length);
            counts.Add(arrays.Count(array => LineOffset(array) == 0));
            foreach (var array in arrays) BufferPool.Return(array);
            if (counts[^1] >= 6) return;
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.Fail($"of 8 large buffers, {string.Join(", ", counts)} started on a 64-byte line in three rounds");
    }

    [Fact]
    public void ReturnedBuffersAreRentedAgain()
    {
        foreach (int length in new[] { 1_001, 70_001 })
        {
            var first = BufferPool.Rent(length);
            BufferPool.Return(first);
            var second = BufferPool.Rent(length);
            Assert.Same(first, second);
            BufferPool.Return(second);
        }
    }
}
