namespace Occam;

/// <summary>Computes an op's input gradients from the gradient of its output.</summary>
internal delegate void BackwardFn(ReadOnlySpan<float> grad);

/// <summary>One recorded op: its inputs and, beside its forward code, the closure that
/// accumulates their gradients.</summary>
internal sealed class Node(string op, Tensor[] inputs, BackwardFn backward)
{
    public readonly string Op = op;
    public Tensor[] Inputs = inputs;
    public BackwardFn? Backward = backward;
    public int Stamp;
    /// <summary>Σ of the inputs' storage versions when the op ran (versions only grow, so any change shows).</summary>
    public long InputVersions = Versions(inputs);
    /// <summary>A pooled buffer the backward reads (a dropout mask, argmax indices); returned to the pool with the graph.</summary>
    public float[]? Saved;
    /// <summary>A view of its input (Reshape, Flatten, Squeeze): it saves nothing, so, as in PyTorch, Backward may pass
    /// through it again after the graph was released.</summary>
    public bool View;
    public bool Released => Backward == null;

    public static long Versions(Tensor[] inputs)
    {
        long sum = 0;
        foreach (var t in inputs) sum += t.Storage.Version;
        return sum;
    }
}

/// <summary>Gradient recording mode.</summary>
public static class Autograd
{
    [ThreadStatic] static int _noGradDepth;

    /// <summary>True when ops on tensors that require grad are recorded (on this thread).</summary>
    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>Within the returned scope no op is recorded: <c>using (Autograd.NoGrad()) { ... }</c>.</summary>
    public static NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope();
    }

    /// <summary>Ends a <see cref="NoGrad"/> scope.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        public void Dispose() => _noGradDepth--;
    }
}

public partial class Tensor
{
    static int _stamp;
    [ThreadStatic] static List<Tensor>? _order;
    [ThreadStatic] static Stack<(Tensor, int)>? _stack;

    /// <summary>Gradient buffer of an intermediate during Backward (pooled).</summary>
    internal float[]? GradBuffer;

    /// <summary>True when an op on this tensor must be recorded.</summary>
    internal bool Tracks => _requiresGrad && Autograd.IsEnabled;

    /// <summary>Records <paramref name="output"/> as produced by <paramref name="op"/> from the inputs.
    /// A view (sharing an input's storage) passes <paramref name="view"/> so the storage keeps its owner.</summary>
    internal static Tensor Record(Tensor output, string op, BackwardFn backward, Tensor[] inputs, bool view = false, float[]? saved = null)
    {
        if (OpProfiler.Enabled) OpProfiler.Lap(op + " fwd");
        output.GradFn = new Node(op, inputs, backward) { Saved = saved, View = view };
        output._requiresGrad = true;
        if (!view) output.Storage.GraphOwned = true;
        return output;
    }

    /// <summary>The span an op's backward adds this tensor's gradient into.</summary>
    internal Span<float> GradSpan()
    {
        if (GradFn == null)
        {
            Grad ??= Zeros(_shape);
            return Grad.Span;
        }
        GradBuffer ??= BufferPool.RentZeroed(Size);
        return new Span<float>(GradBuffer, 0, Size);
    }

    /// <summary>
    /// The array an op's backward writes this tensor's gradient into (elements [0, Size)), and whether it may
    /// overwrite them: true for the first contribution to an intermediate's gradient, whose pooled buffer is then
    /// handed out without zeroing, or to a leaf's gradient zeroed by <see cref="ZeroGradLazily"/> (the op must then
    /// write every element); false when the op must add to what is there.
    /// </summary>
    internal float[] GradTarget(out bool overwrite)
    {
        if (GradFn == null)
        {
            overwrite = _gradZeroPending;
            _gradZeroPending = false;
            if (overwrite) return _grad!.Data;
            GradSpan();
            return Grad!.Data;
        }
        overwrite = GradBuffer == null;
        if (overwrite) return GradBuffer = BufferPool.Rent(Size);
        return GradBuffer!;
    }

    /// <summary>A view's backward: the view's gradient is this tensor's, element for element. An intermediate with no
    /// gradient yet takes the view's pooled buffer over (no pass over memory: a CNN's Flatten copied 400K floats a
    /// step); otherwise the gradient is copied into, or added to, this tensor's.</summary>
    internal void TakeViewGradient(Tensor view, ReadOnlySpan<float> grad)
    {
        if (GradFn != null && GradBuffer == null && view.GradBuffer is { } buffer && buffer.Length == Size)
        {
            GradBuffer = buffer;
            view.GradBuffer = null;
            return;
        }
        var target = GradTarget(out bool overwrite);
        Kernels.Layout.Copy(grad, target.AsSpan(0, Size), accumulate: !overwrite);
    }

    /// <summary>
    /// Reverse-mode differentiation from this tensor: accumulates d(this)/d(leaf) into each leaf's
    /// <see cref="Grad"/>. Without <paramref name="gradient"/> this must hold one element.
    /// Afterwards the graph is released: its intermediate buffers return to the pool (this tensor's
    /// own value stays readable), unless <paramref name="retainGraph"/>.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        if (GradFn == null && !_requiresGrad)
            throw new InvalidOperationException($"Backward: tensor of shape {Occam.Shape.Format(_shape)} does not require grad and has no grad_fn");
        if (GradFn is { Released: true })
            throw new InvalidOperationException("Backward: this graph was already released by an earlier Backward(); pass retainGraph: true to the first call to differentiate twice");
        if (gradient == null && Size != 1)
            throw new InvalidOperationException($"Backward: a gradient can be created implicitly only for a one-element output, got shape {Occam.Shape.Format(_shape)}; pass Backward(gradient)");
        if (gradient != null && !Occam.Shape.Equal(gradient._shape, _shape))
            throw new ArgumentException($"Backward: gradient of shape {Occam.Shape.Format(gradient._shape)} does not match the output's shape {Occam.Shape.Format(_shape)}");

        var order = GradFn == null ? null : TopologicalOrder();
        if (order != null)
            foreach (var t in order)
                if (Node.Versions(t.GradFn!.Inputs) != t.GradFn.InputVersions)
                {
                    order.Clear();
                    throw new InvalidOperationException($"Backward: an input of '{t.GradFn.Op}' was changed in place after the forward pass " +
                        "(CopyFrom, an optimizer step or LoadStateDict), so the gradient would be taken at the new values; " +
                        "call Backward before changing the weights, or change a Clone()");
                }
        var seed = GradSpan();
        if (gradient == null) seed[0] += 1f;
        else System.Numerics.Tensors.TensorPrimitives.Add(seed, gradient.Span, seed);
        if (order == null) return;

        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (t.GradBuffer == null) continue;
            if (OpProfiler.Enabled) OpProfiler.Mark();
            t.GradFn!.Backward!(new ReadOnlySpan<float>(t.GradBuffer, 0, t.Size));
            if (OpProfiler.Enabled) OpProfiler.Lap(t.GradFn.Op + " bwd");
            if (t.GradBuffer != null) BufferPool.Return(t.GradBuffer); // a view may have handed it to its input
            t.GradBuffer = null;
        }
        if (!retainGraph)
        {
            Storage.Pinned = true;
            foreach (var t in order)
            {
                if (t.GradFn!.View) continue; // nothing saved to free; a later Backward may pass through it
                t.GradFn!.Backward = null;
                t.GradFn.Inputs = [];
                t.Storage.Release();
                if (t.GradFn.Saved is { } saved) { t.GradFn.Saved = null; BufferPool.Return(saved); }
            }
        }
        order.Clear();
    }

    // Non-leaf tensors reachable from this one, each after all of its inputs.
    List<Tensor> TopologicalOrder()
    {
        int stamp = Interlocked.Increment(ref _stamp);
        var order = _order ??= new List<Tensor>();
        var stack = _stack ??= new Stack<(Tensor, int)>();
        order.Clear();
        GradFn!.Stamp = stamp;
        stack.Push((this, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var input = inputs[next];
                if (input.GradFn is { } node && node.Stamp != stamp)
                {
                    if (node.Released)
                        throw new InvalidOperationException($"Backward: the graph through '{node.Op}' was already released by an earlier Backward(); pass retainGraph: true to the first call");
                    node.Stamp = stamp;
                    stack.Push((input, 0));
                }
            }
            else order.Add(t);
        }
        return order;
    }
}
