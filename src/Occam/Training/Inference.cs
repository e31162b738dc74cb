using Occam.NN;

namespace Occam.Training;

/// <summary>
/// Predictions, as Keras's <c>model.predict</c>: a model's outputs in evaluation mode, without gradients, batch by
/// batch; the model's modes are restored afterwards. With more than one engine thread (<see cref="Threads.Count"/>)
/// and a model built from Occam's own layers, whole batches run side by side, each thread taking the next batch as it
/// finishes one, with every kernel of a batch on that thread: each core keeps to its own data and no kernel waits for
/// the other core to finish its share, which gets more from the second core than splitting each product of one batch
/// (bench/RESULTS.md). The weights cannot change during the run, so each linear layer's is packed for the products
/// once, not once per batch. A model with a module of another assembly runs one batch at a time and packs nothing,
/// since its forward may not be safe to run concurrently or may change weights. Either way each output equals that of
/// <c>model.Forward</c> on its batch.
/// </summary>
public static class Inference
{
    /// <summary>Outputs for <paramref name="inputs"/> (first dimension = samples), computed in batches of
    /// <paramref name="batchSize"/> samples and concatenated: [samples, ...].</summary>
    public static Tensor Predict(this Module model, Tensor inputs, int batchSize = 128)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        if (batchSize < 1) throw new ArgumentException($"Predict: batchSize must be at least 1, got {batchSize}");
        if (inputs.Rank == 0 || inputs.Dim(0) == 0)
            throw new ArgumentException($"Predict: inputs need a first (sample) dimension of at least 1, got shape {Shape.Format(inputs.ShapeRef)}");
        int samples = inputs.Dim(0), row = inputs.Size / samples, count = (samples + batchSize - 1) / batchSize;
        // Each batch is copied into a pooled buffer as it is needed and given back once its output is taken, and so
        // are the outputs once concatenated: a run allocates the result, not a copy of its input.
        var batches = new Tensor?[count];
        var outputs = new Tensor[count];
        ForEach(model, Enumerable.Range(0, count), b => (long)Math.Min(batchSize, samples - b * batchSize) * row, b =>
        {
            int start = b * batchSize, size = Math.Min(batchSize, samples - start);
            var batch = Tensor.Empty([size, .. inputs.ShapeRef[1..]]);
            inputs.Span.Slice(start * row, size * row).CopyTo(batch.Span);
            return batches[b] = batch;
        }, (b, y) =>
        {
            outputs[b] = y;
            if (!ReferenceEquals(y.Storage, batches[b]!.Storage)) batches[b]!.Storage.ReleaseTransient(); // else a view of it lives on
            batches[b] = null;
        });
        if (count == 1) return outputs[0];
        var result = Tensor.Cat(outputs);
        foreach (var y in outputs) y.Storage.ReleaseTransient();
        return result;
    }

    /// <summary>The output for each of <paramref name="batches"/>, in order.</summary>
    public static Tensor[] Predict(this Module model, IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var outputs = new List<Tensor>();
        var checkedBatches = batches.Select((x, i) => x ?? throw new ArgumentException($"Predict: batch {i} is null"));
        ForEach(model, checkedBatches, x => x.Size, x => x, (_, y) => outputs.Add(y));
        return [.. outputs];
    }

    /// <summary>Items taken at a time per thread, within <see cref="GroupFloats"/> of input: each thread takes the next
    /// item of the group as soon as it is done with one. Taken in groups of one per thread, the faster core waited for
    /// the slower at every group (Predict on the benchmark MLP at 2 threads, median of 8 runs alternating in one
    /// process: 316k samples/s with one item per thread, 324k with 4, 333k with 16).</summary>
    const int ItemsPerThread = 16;

    /// <summary>Input elements (64 MB) a group of items may hold beyond one item per thread.</summary>
    const long GroupFloats = 16L << 20;

    /// <summary>
    /// Runs <paramref name="model"/> in evaluation mode without gradients on input(item) for each of
    /// <paramref name="items"/> and hands consume the item and its output on the calling thread, in order, still in
    /// evaluation mode and without gradients. When <see cref="OwnModules"/> allows it, items are taken in groups (at
    /// least one per thread, up to <see cref="ItemsPerThread"/> per thread while their inputs, of
    /// <paramref name="size"/> elements each, stay within <see cref="GroupFloats"/>) and the forwards of a group run
    /// side by side, each thread taking the group's next item as it finishes one.
    /// </summary>
    internal static void ForEach<T>(Module model, IEnumerable<T> items, Func<T, long> size, Func<T, Tensor> input, Action<T, Tensor> consume)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.IsTraining)).ToList();
        model.Eval();
        try
        {
            using var scope = Autograd.NoGrad();
            bool own = OwnModules(model);
            using var weights = own ? new PackedWeights() : null;
            using var packs = PackedWeights.Enter(weights);
            int threads = own ? Threads.Count : 1, width = own && threads > 1 ? threads * ItemsPerThread : 1;
            var group = new List<T>(width);
            var outputs = new Tensor[width];
            long floats = 0;
            foreach (var item in items)
            {
                group.Add(item);
                floats += size(item);
                if (group.Count >= threads && (group.Count == width || floats >= GroupFloats))
                {
                    Flush(model, group, outputs, input, consume, weights);
                    floats = 0;
                }
            }
            Flush(model, group, outputs, input, consume, weights);
        }
        finally
        {
            foreach (var (module, training) in modes) module.SetModeOnly(training);
        }
    }

    static void Flush<T>(Module model, List<T> group, Tensor[] outputs, Func<T, Tensor> input, Action<T, Tensor> consume,
        PackedWeights? weights)
    {
        if (group.Count == 1) outputs[0] = model.Forward(input(group[0])); // alone: its kernels may use every thread
        else if (group.Count > 1)
            Threads.For(group.Count, i =>
            {
                // A worker thread is outside the caller's scopes (they are per thread).
                using var scope = Autograd.NoGrad();
                using var packs = PackedWeights.Enter(weights);
                outputs[i] = model.Forward(input(group[i]));
            });
        for (int i = 0; i < group.Count; i++)
        {
            consume(group[i], outputs[i]);
            outputs[i] = null!;
        }
        group.Clear();
    }

    /// <summary>Whether every module of the tree is one of Occam's own, whose evaluation-mode forward changes no state:
    /// then batches may run concurrently, and the weights cannot change during the run, so they are packed once.</summary>
    static bool OwnModules(Module model) => model.NamedModules().All(m => m.Module.GetType().Assembly == typeof(Module).Assembly);
}
