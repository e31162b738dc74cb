using System.Globalization;
using System.Text;

namespace Occam;

/// <summary>
/// A dense float32 tensor: contiguous row-major storage plus a shape. Reshape-like
/// operations return views of the same storage; everything else copies. Ops that take a
/// tensor which requires grad record themselves on the graph (see <see cref="Backward"/>).
/// </summary>
public partial class Tensor
{
    internal readonly Storage Storage;
    readonly int[] _shape;
    bool _requiresGrad;

    internal Tensor(Storage storage, int[] shape)
    {
        Storage = storage;
        _shape = shape;
        Size = Occam.Shape.Size(shape);
        if (storage.Array.Length < Size) throw new ArgumentException($"Tensor: storage of {storage.Array.Length} elements is too small for shape {Occam.Shape.Format(shape)}");
    }

    /// <summary>A new tensor that owns <paramref name="data"/> (no copy) — internal use.</summary>
    internal Tensor(float[] data, int[] shape) : this(new Storage(data), shape) { }

    /// <summary>The dimensions, outermost first (a copy).</summary>
    public int[] Shape => (int[])_shape.Clone();

    internal int[] ShapeRef => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    /// <summary>Size of one dimension (negative counts from the end).</summary>
    public int Dim(int dim) => Rank == 0
        ? throw new ArgumentException($"Tensor.Dim: a 0-d tensor has no dimensions, got dim {dim}")
        : _shape[Occam.Shape.Dim(dim, Rank, "Tensor.Dim")];

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    internal Node? GradFn { get; set; }

    /// <summary>Gradient accumulated by <see cref="Backward"/> (leaves only), or null.</summary>
    public Tensor? Grad
    {
        get
        {
            if (_gradZeroPending) { _gradZeroPending = false; _grad!.Span.Clear(); }
            return _grad;
        }
        set { _grad = value; _gradZeroPending = false; }
    }

    Tensor? _grad;
    // Set by ZeroGradLazily: the gradient reads as zeros, and the next backward may overwrite it instead of adding.
    bool _gradZeroPending;

    /// <summary>Zeros the gradient without a pass over memory: it is cleared on its next read, or overwritten by the
    /// first backward contribution (<see cref="GradTarget"/>).</summary>
    internal void ZeroGradLazily() => _gradZeroPending = _grad != null;

    /// <summary>Whether ops on this tensor are recorded for differentiation.
    /// Settable on leaves; a non-leaf requires grad when any input did.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn != null && !value)
                throw new InvalidOperationException("RequiresGrad: cannot turn off gradients of a non-leaf tensor; use Detach()");
            _requiresGrad = value;
        }
    }

    /// <summary>True for tensors not produced by a recorded op.</summary>
    public bool IsLeaf => GradFn == null;

    /// <summary>The elements as a span; throws if Backward released this intermediate.</summary>
    internal Span<float> Span
    {
        get
        {
            if (Storage.Released) ThrowReleased();
            return new Span<float>(Storage.Array, 0, Size);
        }
    }

    internal float[] Data
    {
        get
        {
            if (Storage.Released) ThrowReleased();
            return Storage.Array;
        }
    }

    static void ThrowReleased() => throw new InvalidOperationException(
        "Tensor: this intermediate tensor was released by Backward() (its buffer went back to the pool); " +
        "read it before Backward, keep it with Detach(), or call Backward(retainGraph: true)");

    // ---------------------------------------------------------------- factories

    /// <summary>A 1-D tensor [data.Length] over a copy of <paramref name="data"/> (one value too, as torch.tensor([5.]) is
    /// [1]; <see cref="Scalar"/> or an explicit empty shape makes a 0-d tensor).</summary>
    public static Tensor FromArray(float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromArray(data, [data.Length]);
    }

    /// <summary>A tensor over a copy of <paramref name="data"/> with the given shape ([] for a 0-d tensor of one value).</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        int size = Occam.Shape.Size(shape, "FromArray");
        if (size != data.Length)
            throw new ArgumentException($"FromArray: {data.Length} values do not fill shape {Occam.Shape.Format(shape)} ({size} elements)");
        return new Tensor((float[])data.Clone(), (int[])shape.Clone());
    }

    /// <summary>A 0-d tensor holding one value.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    public static Tensor Zeros(params int[] shape) => new(new float[Occam.Shape.Size(shape, "Zeros")], (int[])shape.Clone());

    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    public static Tensor Full(int[] shape, float value)
    {
        var data = new float[Occam.Shape.Size(shape, "Full")];
        data.AsSpan().Fill(value);
        return new Tensor(data, (int[])shape.Clone());
    }

    /// <summary>Zeros with the shape of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like._shape);

    /// <summary>Normal samples N(mean, std²) drawn from <paramref name="generator"/>.</summary>
    public static Tensor RandN(int[] shape, Generator generator, float mean = 0f, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var t = Zeros(shape);
        generator.FillNormal(t.Span, mean, std);
        return t;
    }

    /// <summary>Uniform samples in [low, high) drawn from <paramref name="generator"/>.</summary>
    public static Tensor RandU(int[] shape, Generator generator, float low = 0f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(high >= low)) throw new ArgumentException($"RandU: high must be at least low, got low {low}, high {high}");
        var t = Zeros(shape);
        generator.FillUniform(t.Span, low, high);
        return t;
    }

    /// <summary>Values start, start+step, … below end (1-D), as torch.arange.</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || float.IsNaN(step)) throw new ArgumentException($"Arange: step must be non-zero, got {step}");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / (double)step));
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = start + i * step;
        return new Tensor(data, [n]);
    }

    /// <summary>0, 1, …, end−1.</summary>
    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary>An uninitialised tensor whose buffer comes from the pool.</summary>
    internal static Tensor Empty(int[] shape) => new(new Storage(BufferPool.Rent(Occam.Shape.Size(shape))) { Pooled = true }, shape);

    // ---------------------------------------------------------------- reading

    /// <summary>A copy of the elements in row-major order.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1) throw new InvalidOperationException($"Item: tensor of shape {Occam.Shape.Format(_shape)} has {Size} elements, expected 1");
        return Span[0];
    }

    /// <summary>Element at a full index.</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => Span[FlatIndex(index)];
    }

    int FlatIndex(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Tensor index: {index.Length} indices for a tensor of rank {Rank}");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i]) throw new IndexOutOfRangeException($"Tensor index: index {index[i]} is out of range for dim {i} of size {_shape[i]}");
            flat = flat * _shape[i] + index[i];
        }
        return flat;
    }

    /// <summary>A tensor sharing this storage, cut from the graph (no gradient flows through it).
    /// Its data stays valid after Backward.</summary>
    public Tensor Detach()
    {
        Storage.Pinned = true;
        return new Tensor(Storage, _shape);
    }

    /// <summary>A copy with its own storage, cut from the graph.</summary>
    public Tensor Clone() => new(ToArray(), (int[])_shape.Clone());

    /// <summary>Overwrites this tensor's values with <paramref name="source"/>'s (same size), outside the graph. A graph
    /// recorded from the old values can no longer be differentiated (its Backward says so, as PyTorch's version check).</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Size != Size) throw new ArgumentException($"CopyFrom: source has {source.Size} elements, destination {Size}");
        source.Span.CopyTo(Span);
        Storage.Version++;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(Occam.Shape.Format(_shape));
        if (Storage.Released) return sb.Append(" (released)").ToString();
        sb.Append(' ').Append('[');
        var s = Span;
        int shown = Math.Min(s.Length, 8);
        for (int i = 0; i < shown; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(s[i].ToString("G6", CultureInfo.InvariantCulture));
        }
        if (s.Length > shown) sb.Append(", …");
        sb.Append(']');
        if (GradFn != null) sb.Append(" grad_fn=").Append(GradFn.Op);
        else if (RequiresGrad) sb.Append(" requires_grad");
        return sb.ToString();
    }
}
