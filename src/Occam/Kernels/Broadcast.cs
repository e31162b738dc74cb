using System.Numerics.Tensors;

namespace Occam.Kernels;

/// <summary>
/// Moves data between a small shape and a larger shape it broadcasts to (NumPy rules):
/// <see cref="Expand"/> copies the small tensor out, <see cref="SumInto"/> sums the large one
/// back (the gradient of broadcasting, and every sum over dims). Dims are collapsed so the
/// inner loop is one contiguous run: a copy or add when the small operand varies along it,
/// a fill or sum when it is broadcast.
/// </summary>
public sealed class BroadcastPlan
{
    readonly int[] _dims;        // collapsed dims of the large shape
    readonly int[] _smallStride; // element stride of the small operand per collapsed dim (0 = broadcast)
    readonly int _outer;

    public BroadcastPlan(int[] small, int[] large)
    {
        if (!Shape.BroadcastsTo(small, large))
            throw new ArgumentException($"Broadcast: shape {Shape.Format(small)} cannot be broadcast to {Shape.Format(large)}");
        var dims = new List<int>();
        var broadcast = new List<bool>();
        int offset = large.Length - small.Length;
        for (int i = 0; i < large.Length; i++)
        {
            if (large[i] == 1) continue;
            bool b = i < offset || small[i - offset] == 1;
            if (dims.Count > 0 && broadcast[^1] == b) dims[^1] *= large[i];
            else { dims.Add(large[i]); broadcast.Add(b); }
        }
        if (dims.Count == 0) { dims.Add(1); broadcast.Add(false); }
        _dims = [.. dims];
        _smallStride = new int[_dims.Length];
        int s = 1;
        for (int i = _dims.Length - 1; i >= 0; i--)
        {
            _smallStride[i] = broadcast[i] ? 0 : s;
            if (!broadcast[i]) s *= _dims[i];
        }
        _outer = 1;
        for (int i = 0; i < _dims.Length - 1; i++) _outer *= _dims[i];
    }

    int Inner => _dims[^1];
    bool InnerBroadcast => _smallStride[^1] == 0;

    /// <summary>large = small broadcast to the large shape (large += … when <paramref name="accumulate"/>).</summary>
    public void Expand(ReadOnlySpan<float> small, Span<float> large, bool accumulate)
    {
        int inner = Inner, smallOffset = 0;
        Span<int> counter = stackalloc int[_dims.Length];
        for (int o = 0; o < _outer; o++)
        {
            var run = large.Slice(o * inner, inner);
            if (InnerBroadcast)
            {
                if (accumulate) TensorPrimitives.Add(run, small[smallOffset], run);
                else run.Fill(small[smallOffset]);
            }
            else if (accumulate) TensorPrimitives.Add(run, small.Slice(smallOffset, inner), run);
            else small.Slice(smallOffset, inner).CopyTo(run);
            smallOffset = Advance(counter, smallOffset);
        }
    }

    /// <summary>small += the large tensor summed over the broadcast dims.</summary>
    public void SumInto(ReadOnlySpan<float> large, Span<float> small)
    {
        int inner = Inner, smallOffset = 0;
        Span<int> counter = stackalloc int[_dims.Length];
        for (int o = 0; o < _outer; o++)
        {
            var run = large.Slice(o * inner, inner);
            if (InnerBroadcast) small[smallOffset] += TensorPrimitives.Sum(run);
            else
            {
                var dst = small.Slice(smallOffset, inner);
                TensorPrimitives.Add(dst, run, dst);
            }
            smallOffset = Advance(counter, smallOffset);
        }
    }

    // Steps the outer multi-index (all dims but the last) and returns the small operand's new offset.
    int Advance(Span<int> counter, int smallOffset)
    {
        for (int d = _dims.Length - 2; d >= 0; d--)
        {
            counter[d]++;
            smallOffset += _smallStride[d];
            if (counter[d] < _dims[d]) return smallOffset;
            smallOffset -= _smallStride[d] * _dims[d];
            counter[d] = 0;
        }
        return smallOffset;
    }
}
