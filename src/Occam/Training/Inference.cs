using Occam.NN;

namespace Occam.Training;

/// <summary>
/// Predictions, as Keras's <c>model.predict</c>: a model's outputs in evaluation mode, without gradients, batch by
/// batch; the model's modes are restored afterwards. With more than one engine thread (<see cref="Threads.Count"/>)
/// and a model built from Occam's own layers, whole batches run side by side, one per thread, with every kernel of a
/// batch on that thread: each core keeps to its own data and no kernel waits for the other core to finish its share,
/// which gets more from the second core than splitting each product of one batch (bench/RESULTS.md). The weights cannot change during the run, so each linear layer's is packed for the products
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
        ForEach(model, Enumerable.Range(0, count), b =>
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
        ForEach(model, checkedBatches, x => x, (_, y) => outputs.Add(y));
        return [.. outputs];
    }

    /// <summary>
    /// Runs <paramref name="model"/> in evaluation mode without gradients on input(item) for each of
    /// <paramref name="items"/> and hands consume the item and its output on the calling thread, in order, still in
    /// evaluation mode and without gradients. Up to
    /// <see cref="Threads.Count"/> items are taken at a time and their forwards run side by side when
    /// <see cref="OwnModules"/> allows it.
    /// </summary>
    internal static void ForEach<T>(Module model, IEnumerable<T> items, Func<T, Tensor> input, Action<T, Tensor> consume)
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
            int width = own ? Threads.Count : 1;
            var group = new List<T>(width);
            var outputs = new Tensor[width];
            foreach (var item in items)
            {
                group.Add(item);
                if (group.Count == width) Flush(model, group, outputs, input, consume, weights);
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
