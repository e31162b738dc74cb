namespace Occam.NN;

/// <summary>Modules applied in order, named "0", "1", … or by the names given (torch.nn.Sequential).</summary>
public sealed class Sequential : Module
{
    readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        for (int i = 0; i < layers.Length; i++) Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i], i);
    }

    public Sequential(params (string Name, Module Module)[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        for (int i = 0; i < layers.Length; i++) Add(layers[i].Name, layers[i].Module, i);
    }

    void Add(string name, Module module, int index) =>
        _layers.Add(RegisterModule(name, module ?? throw new ArgumentException($"Sequential: layer {index} is null")));

    public int Count => _layers.Count;

    /// <summary>The layer at <paramref name="index"/>; a negative index counts from the end (−1 is the last), as in PyTorch.</summary>
    public Module this[int index] => _layers[At(index, _layers.Count, "Sequential")];

    internal static int At(int index, int count, string op)
    {
        int i = index < 0 ? index + count : index;
        return i >= 0 && i < count ? i : throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {index} is out of range for {count} modules");
    }

    /// <summary>Runs the layers in order; a batch norm directly followed by a ReLU, and by a dropout in training, runs
    /// as one fused op (same result, one pass over the activations instead of two or three, forward and backward), and
    /// so does a 2-D batch norm followed by a ReLU and a 2×2 max pool of stride 2, a conv block's end (the same result
    /// bit for bit, without writing the full-size activation). In inference a linear layer followed by a batch norm in
    /// evaluation mode and/or a ReLU is one product, the rest applied as it is written (equal to the unfused layers up
    /// to float rounding). Under <see cref="Autograd.NoGrad"/>
    /// (inference) each intermediate output that the engine rented from its pool goes back to the pool once the next
    /// layer has consumed it, so inference allocates almost nothing; only the final output (and the caller's input)
    /// stay alive.</summary>
    public override Tensor Forward(Tensor input)
    {
        bool inference = !Autograd.IsEnabled;
        var x = Checked(input);
        for (int i = 0; i < _layers.Count; i++)
        {
            Tensor y;
            if (inference && _layers[i] is Linear linear && TryFoldedLinear(linear, i, x) is (Tensor folded, int used))
            {
                y = folded;
                i += used - 1;
            }
            else if (_layers[i] is BatchNorm2d norm2d && i + 2 < _layers.Count && _layers[i + 1] is ReLU
                     && _layers[i + 2] is MaxPool2d { KernelSize: (2, 2), Stride: (2, 2), Padding: (0, 0), CeilMode: false } && x.Rank == 4 && x.Dim(2) >= 2 && x.Dim(3) >= 2)
            {
                y = norm2d.Forward(x, relu: true, maxPool2: true);
                i += 2;
            }
            else if (_layers[i] is BatchNormBase norm && i + 1 < _layers.Count && _layers[i + 1] is ReLU)
            {
                var dropout = i + 2 < _layers.Count && _layers[i + 2] is Dropout { IsTraining: true, P: > 0f and < 1f } d ? d : null;
                y = norm.Forward(x, relu: true, dropout);
                i += dropout == null ? 1 : 2;
            }
            else y = _layers[i].Forward(x);
            if (inference && !ReferenceEquals(x.Storage, input.Storage) && !ReferenceEquals(x.Storage, y.Storage)) x.Storage.ReleaseTransient();
            x = y;
        }
        return x;
    }

    /// <summary>In inference, a linear layer followed by a batch norm in evaluation mode and/or a ReLU as one product
    /// (<see cref="Functional.LinearFolded"/>): the output and the number of layers it stands for, or null where the
    /// layers do not fold (anything else, or what the unfused layers would reject, which they then report).</summary>
    (Tensor, int)? TryFoldedLinear(Linear linear, int i, Tensor x)
    {
        if (linear.ActivityRegularizer != null || x.Rank != 2 || x.ShapeRef[1] != linear.InFeatures || x.Tracks) return null;
        int n = linear.OutFeatures, used = 1;
        var rented = System.Buffers.ArrayPool<float>.Shared.Rent(2 * n);
        try
        {
            Span<float> scale = rented.AsSpan(0, n), shift = rented.AsSpan(n, n);
            bool norm = i + 1 < _layers.Count && _layers[i + 1] is BatchNorm1d bn && bn.NumFeatures == n && bn.TryFold(scale, shift);
            if (norm) used++;
            bool relu = i + used < _layers.Count && _layers[i + used] is ReLU;
            if (relu) used++;
            if (used == 1) return null;
            if (!norm) scale = shift = default;
            return (Functional.LinearFolded(x, linear.Weight, linear.Bias, scale, shift, relu), used);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }
}

/// <summary>A list of modules registered as children "0", "1", … (torch.nn.ModuleList); it has no Forward of its own.</summary>
public sealed class ModuleList : Module
{
    readonly List<Module> _items = [];

    public ModuleList(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    public void Add(Module module) =>
        _items.Add(RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module ?? throw new ArgumentException($"ModuleList: module {_items.Count} is null")));

    public int Count => _items.Count;

    /// <summary>The module at <paramref name="index"/>; a negative index counts from the end, as in PyTorch.</summary>
    public Module this[int index] => _items[Sequential.At(index, _items.Count, "ModuleList")];

    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();

    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleList: has no Forward; iterate over its modules");
}
