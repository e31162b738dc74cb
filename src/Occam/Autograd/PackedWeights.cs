using Occam.Kernels;
using Occam.NN;

namespace Occam;

/// <summary>
/// Weights packed once for the products of an inference run (<see cref="Training.Inference"/>), during which they
/// cannot change: a linear layer's Wᵀ in the SGEMM's panel layout, so each batch's product reads it instead of
/// packing it again (for the benchmark MLP's first layer a transposing copy of 1.6 MB per batch). Active on a thread
/// inside <see cref="Enter"/>'s scope; one run's threads share one instance. Only parameters are packed: a weight
/// computed afresh by each forward is a new tensor every time. Disposing it at the end of the run returns the packings'
/// memory to the pool, so the next run packs into memory that is already mapped (fresh memory for the MLP's 1.6 MB
/// first layer cost ~1.5 ms of page faults, twice a whole batch's forward).
/// </summary>
internal sealed class PackedWeights : IDisposable
{
    [ThreadStatic] static PackedWeights? t_current;

    readonly Dictionary<Tensor, Gemm.PackedB> _packs = new(ReferenceEqualityComparer.Instance);

    public void Dispose()
    {
        lock (_packs)
        {
            foreach (var packed in _packs.Values) packed.Release();
            _packs.Clear();
        }
    }

    /// <summary>Makes <paramref name="weights"/> (null: none) the current thread's until the scope is disposed.</summary>
    public static Scope Enter(PackedWeights? weights)
    {
        var previous = t_current;
        t_current = weights;
        return new Scope(previous);
    }

    public readonly struct Scope(PackedWeights? previous) : IDisposable
    {
        public void Dispose() => t_current = previous;
    }

    /// <summary>op(B) = Wᵀ of a linear layer's weight [out, in] for a product with <paramref name="rows"/> input rows,
    /// packed on first use in the current run; null outside a run, for a weight that is not a parameter, or where the
    /// product would not read a packing (a few rows, or a few outputs: those run as dot products of rows).</summary>
    public static Gemm.PackedB? ForLinear(Tensor weight, int rows)
    {
        var current = t_current;
        if (current == null || weight is not Parameter) return null;
        int outF = weight.ShapeRef[0], inF = weight.ShapeRef[1];
        if (!Gemm.ReadsPackedB(transA: false, transB: true, rows, outF, inF)) return null;
        lock (current._packs)
        {
            if (!current._packs.TryGetValue(weight, out var packed))
                current._packs.Add(weight, packed = Gemm.Pack(transB: true, outF, inF, weight.Span, inF));
            return packed;
        }
    }
}
