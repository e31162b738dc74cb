namespace Occam.NN;

/// <summary>Modules applied in order, named "0", "1", … or by the names given (torch.nn.Sequential).</summary>
public sealed class Sequential : Module
{
    readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        for (int i = 0; i < layers.Length; i++) Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    public Sequential(params (string Name, Module Module)[] layers)
    {
        foreach (var (name, module) in layers) Add(name, module);
    }

    void Add(string name, Module module) => _layers.Add(RegisterModule(name, module));

    public int Count => _layers.Count;

    public Module this[int index] => _layers[index];

    /// <summary>Runs the layers in order; a batch norm directly followed by a ReLU runs as one fused op (same
    /// result, one pass over the activations instead of two, forward and backward). Under <see cref="Autograd.NoGrad"/>
    /// (inference) each intermediate output that the engine rented from its pool goes back to the pool once the next
    /// layer has consumed it, so inference allocates almost nothing; only the final output (and the caller's input)
    /// stay alive.</summary>
    public override Tensor Forward(Tensor input)
    {
        bool inference = !Autograd.IsEnabled;
        var x = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            Tensor y;
            if (_layers[i] is BatchNormBase norm && i + 1 < _layers.Count && _layers[i + 1] is ReLU)
            {
                y = norm.Forward(x, relu: true);
                i++;
            }
            else y = _layers[i].Forward(x);
            if (inference && !ReferenceEquals(x.Storage, input.Storage) && !ReferenceEquals(x.Storage, y.Storage)) x.Storage.ReleaseTransient();
            x = y;
        }
        return x;
    }
}

/// <summary>A list of modules registered as children "0", "1", … (torch.nn.ModuleList); it has no Forward of its own.</summary>
public sealed class ModuleList : Module
{
    readonly List<Module> _items = [];

    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    public void Add(Module module) => _items.Add(RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));

    public int Count => _items.Count;

    public Module this[int index] => _items[index];

    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();

    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleList: has no Forward; iterate over its modules");
}
