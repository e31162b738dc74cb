using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>Which vector code pays on this CPU.</summary>
internal static class Simd
{
    /// <summary>Whether the kernels' 16-lane <see cref="Vector512{T}"/> loops beat their scalar remainders here: with
    /// AVX-512 in hardware, and on AVX2 too, where .NET runs each 512-bit operation as two 256-bit halves (the same
    /// bits). On an AVX2 machine the bench MLP's fused batch norms took 3.7 ms a step on the scalar loops and 0.67 ms
    /// on the halves. A JIT-time constant.</summary>
    internal static bool Wide => Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;
}
