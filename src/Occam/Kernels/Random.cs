using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>Bulk random kernels over a <see cref="Generator"/>.</summary>
public static class RandomKernels
{
    /// <summary>Inverted-dropout mask and product: mask[i] = u_i ≥ p ? 1/(1 − p) : 0 with u_i = generator.NextFloat(),
    /// y[i] = x[i]·mask[i]. The draws are the generator's own sequence, one per element, so a seed gives the same
    /// masks as drawing them one by one (a multi-lane vector generator was measured: it saves ~0.1 ms per MLP step
    /// but changes every seeded run's masks).</summary>
    public static void DropoutMask(Span<float> mask, ReadOnlySpan<float> x, Span<float> y, float p, Generator generator)
    {
        if (x.Length != mask.Length || y.Length != mask.Length)
            throw new ArgumentException($"DropoutMask: lengths differ (mask {mask.Length}, x {x.Length}, y {y.Length})");
        if (p >= 1) { mask.Clear(); y.Clear(); return; }
        float scale = 1f / (1f - p);
        generator.FillUniform(mask);
        // mask = u ≥ p ? scale : 0, then y = x·mask, in vector steps.
        var threshold = Vector512.Create(p);
        var keep = Vector512.Create(scale);
        ref float pm = ref MemoryMarshal.GetReference(mask);
        int i = 0;
        for (; i + 16 <= mask.Length; i += 16)
        {
            var u = Vector512.LoadUnsafe(ref pm, (nuint)i);
            Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, threshold), keep, Vector512<float>.Zero).StoreUnsafe(ref pm, (nuint)i);
        }
        for (; i < mask.Length; i++) mask[i] = mask[i] >= p ? scale : 0f;
        TensorPrimitives.Multiply(x, mask, y);
    }
}
