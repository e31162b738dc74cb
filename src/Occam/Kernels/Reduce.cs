namespace Occam.Kernels;

/// <summary>Reductions along one dim of a tensor viewed as [outer, length, inner].</summary>
public static class Reduce
{
    /// <summary>Maximum and its first index along the middle dim; NaN wins, as PyTorch.</summary>
    public static void MaxAlong(ReadOnlySpan<float> src, int outer, int length, int inner, Span<float> values, Span<int> indices)
    {
        if (length == 0) throw new ArgumentException("Max: cannot reduce over a dim of size 0");
        for (int o = 0; o < outer; o++)
        {
            var block = src.Slice(o * length * inner, length * inner);
            for (int i = 0; i < inner; i++)
            {
                float best = block[i];
                int arg = 0;
                for (int j = 1; j < length && !float.IsNaN(best); j++)
                {
                    float v = block[j * inner + i];
                    if (!(v <= best)) { best = v; arg = j; }
                }
                values[o * inner + i] = best;
                indices[o * inner + i] = arg;
            }
        }
    }
}
