using System.Collections;
using Occam.Data.Augment;

namespace Occam.Data;

/// <summary>
/// Batches of a dataset, one epoch per enumeration (as torch.utils.data.DataLoader): optional shuffling,
/// per-sample transforms, a batch transform, and a background worker that builds the next batch while
/// the current one is consumed.
/// </summary>
/// <remarks>
/// Randomness: the loader draws one seed from <c>generator</c> at construction (a loader made without one
/// uses seed 0). Epoch e (the e-th enumeration) shuffles with a seed mixed from (loader seed, e); the sample
/// at position p of that epoch is transformed with a <see cref="Generator"/> seeded from (loader seed, e, p),
/// and batch b's batch transform with one seeded from (loader seed, e, b). So results depend on neither
/// thread timing nor <c>prefetch</c>.
/// <para>Every batch is a pair of freshly allocated tensors that the caller owns and may keep
/// (no buffer is reused: a kept batch can never change under the caller). A batch of images is above .NET's
/// large-object threshold (85 KB), where every allocation is freshly mapped memory; an application should raise
/// <c>System.GC.LOHThreshold</c> (the <c>occam</c> tool sets 4 MB) so batches come from gen 0.</para>
/// </remarks>
public sealed class DataLoader : IEnumerable<Batch>
{
    readonly IDataset _dataset;
    readonly bool _shuffle, _dropLast, _prefetch;
    readonly ITransform? _transform;
    readonly IBatchTransform? _batchTransform;
    readonly ulong _seed;
    int _epoch;

    public DataLoader(IDataset dataset, int batchSize, bool shuffle = false, Generator? generator = null, bool dropLast = false,
        ITransform? transform = null, IBatchTransform? batchTransform = null, bool prefetch = true)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: batchSize must be at least 1, got {batchSize}");
        _dataset = dataset;
        BatchSize = batchSize;
        _shuffle = shuffle;
        _dropLast = dropLast;
        _transform = transform;
        _batchTransform = batchTransform;
        _prefetch = prefetch;
        _seed = (generator ?? new Generator(0)).NextUInt64();
    }

    public IDataset Dataset => _dataset;

    public int BatchSize { get; }

    /// <summary>Batches per epoch: ⌈N / batchSize⌉, or ⌊N / batchSize⌋ with dropLast.</summary>
    public int Count => _dataset.Count / BatchSize + (!_dropLast && _dataset.Count % BatchSize != 0 ? 1 : 0);

    /// <summary>Number of epochs started so far (enumerations begun). Setting it (to resume a run) makes the next
    /// enumeration epoch <c>value</c>, with that epoch's shuffle and transform seeds.</summary>
    public int Epoch
    {
        get => Volatile.Read(ref _epoch);
        set => Volatile.Write(ref _epoch, value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, $"DataLoader.Epoch: must be non-negative, got {value}"));
    }

    public IEnumerator<Batch> GetEnumerator()
    {
        int epoch = Interlocked.Increment(ref _epoch) - 1;
        return Enumerate(Mix(_seed, (ulong)epoch));
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    IEnumerator<Batch> Enumerate(ulong epochSeed)
    {
        int n = _dataset.Count, batches = Count;
        int[] order = _shuffle ? new Generator(epochSeed).Permutation(n) : Enumerable.Range(0, n).ToArray();
        if (!_prefetch)
        {
            for (int b = 0; b < batches; b++) yield return Build(order, b, epochSeed);
            yield break;
        }
        Task<Batch>? next = batches > 0 ? Task.Run(() => Build(order, 0, epochSeed)) : null;
        try
        {
            for (int b = 0; b < batches; b++)
            {
                var batch = next!.GetAwaiter().GetResult();
                int following = b + 1;
                next = following < batches ? Task.Run(() => Build(order, following, epochSeed)) : null;
                yield return batch;
            }
        }
        finally
        {
            // An abandoned epoch waits for its worker, so no transform ever runs on two threads at once.
            if (next != null) try { next.Wait(); } catch (AggregateException) { }
        }
    }

    Batch Build(int[] order, int batchIndex, ulong epochSeed)
    {
        using var _ = Autograd.NoGrad();
        int start = batchIndex * BatchSize, count = Math.Min(BatchSize, order.Length - start);
        var batch = _transform == null && TryStackRows(order, start, count, out var rows) ? rows : StackSamples(order, start, count, epochSeed);
        return _batchTransform == null ? batch : _batchTransform.Apply(batch, new Generator(Mix(Mix(epochSeed, (ulong)batchIndex), 0xBA7C4UL)));
    }

    /// <summary>Copies rows straight from a tensor dataset (or subsets of one): no tensor per example.</summary>
    bool TryStackRows(int[] order, int start, int count, out Batch batch)
    {
        batch = default;
        if (!TensorDataset.TryResolve(_dataset, order[start], out var source, out _)) return false;
        var inputs = Allocate(count, source.InputShape);
        var targets = Allocate(count, source.TargetShape);
        Span<float> x = inputs.Span, y = targets.Span;
        int xs = Shape.Size(source.InputShape), ys = Shape.Size(source.TargetShape);
        for (int i = 0; i < count; i++)
        {
            TensorDataset.TryResolve(_dataset, order[start + i], out _, out int row);
            source.InputRow(row).CopyTo(x.Slice(i * xs, xs));
            source.TargetRow(row).CopyTo(y.Slice(i * ys, ys));
        }
        batch = new Batch(inputs, targets);
        return true;
    }

    Batch StackSamples(int[] order, int start, int count, ulong epochSeed)
    {
        Tensor? inputs = null, targets = null;
        for (int i = 0; i < count; i++)
        {
            int position = start + i;
            var (input, target) = _dataset.Get(order[position]);
            if (_transform != null) input = _transform.Apply(input, new Generator(Mix(epochSeed, (ulong)position)));
            inputs ??= Allocate(count, input.ShapeRef);
            targets ??= Allocate(count, target.ShapeRef);
            CopyInto(inputs, i, input, "input", order[position]);
            CopyInto(targets, i, target, "target", order[position]);
        }
        return new Batch(inputs!, targets!);
    }

    static void CopyInto(Tensor batch, int slot, Tensor sample, string what, int index)
    {
        var shape = batch.ShapeRef.AsSpan(1);
        if (!shape.SequenceEqual(sample.ShapeRef))
            throw new InvalidOperationException($"DataLoader: example {index} has {what} shape {Shape.Format(sample.ShapeRef)}, but this batch's first example has {Shape.Format(shape)}; examples in a batch must have equal shapes");
        sample.Span.CopyTo(batch.Span.Slice(slot * sample.Size, sample.Size));
    }

    static Tensor Allocate(int count, int[] exampleShape)
    {
        int[] shape = [count, .. exampleShape];
        return new Tensor(GC.AllocateUninitializedArray<float>(Shape.Size(shape, "DataLoader")), shape);
    }

    /// <summary>SplitMix64 finalizer over (a, b): well-spread seeds from small counters.</summary>
    internal static ulong Mix(ulong a, ulong b)
    {
        ulong z = a ^ ((b + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
