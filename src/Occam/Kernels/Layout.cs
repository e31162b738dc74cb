using System.Numerics.Tensors;

namespace Occam.Kernels;

/// <summary>Data movement: dimension permutation of a contiguous row-major array.</summary>
public static class Layout
{
    /// <summary>dst = src with dims permuted: dst dim i is src dim perm[i] (dst += … when accumulate).</summary>
    public static void Permute(ReadOnlySpan<float> src, ReadOnlySpan<int> srcShape, ReadOnlySpan<int> perm, Span<float> dst, bool accumulate)
    {
        int rank = srcShape.Length;
        if (perm.Length != rank) throw new ArgumentException($"Permute: {perm.Length} dims given for a tensor of rank {rank}");
        Span<int> srcStride = stackalloc int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--) { srcStride[i] = s; s *= srcShape[i]; }
        if (rank == 0 || s == 0) { if (s > 0) Copy(src, dst, accumulate); return; }
        Span<int> dims = stackalloc int[rank];   // dst shape
        Span<int> stride = stackalloc int[rank]; // src stride for each dst dim
        for (int i = 0; i < rank; i++) { dims[i] = srcShape[perm[i]]; stride[i] = srcStride[perm[i]]; }
        int inner = dims[rank - 1], innerStride = stride[rank - 1], outer = s / inner;
        Span<int> counter = stackalloc int[rank];
        int srcOffset = 0;
        for (int o = 0; o < outer; o++)
        {
            var run = dst.Slice(o * inner, inner);
            if (innerStride == 1)
            {
                if (accumulate) TensorPrimitives.Add(run, src.Slice(srcOffset, inner), run);
                else src.Slice(srcOffset, inner).CopyTo(run);
            }
            else if (accumulate) for (int j = 0; j < inner; j++) run[j] += src[srcOffset + j * innerStride];
            else for (int j = 0; j < inner; j++) run[j] = src[srcOffset + j * innerStride];
            for (int d = rank - 2; d >= 0; d--)
            {
                counter[d]++;
                srcOffset += stride[d];
                if (counter[d] < dims[d]) break;
                srcOffset -= stride[d] * dims[d];
                counter[d] = 0;
            }
        }
    }

    /// <summary>dst = src, or dst += src.</summary>
    public static void Copy(ReadOnlySpan<float> src, Span<float> dst, bool accumulate)
    {
        if (accumulate) TensorPrimitives.Add(dst, src, dst);
        else src.CopyTo(dst);
    }
}
