namespace Occam.NN;

/// <summary>Pads the last two dims of [N, C, H, W] (or [C, H, W]) input by (left, right, top, bottom), as PyTorch's
/// *Pad2d modules (<see cref="Tensor.Pad"/>); the same in training and evaluation.</summary>
public abstract class Pad2d : Module
{
    private protected Pad2d((int Left, int Right, int Top, int Bottom) padding, PaddingMode mode, float value)
    {
        if (padding.Left < 0 || padding.Right < 0 || padding.Top < 0 || padding.Bottom < 0)
            throw new ArgumentException($"{GetType().Name}: padding must be non-negative, got {padding}");
        // ±∞ is a real choice (−∞ before a max pool, as PyTorch allows); NaN would only hide a mistake.
        if (float.IsNaN(value)) throw new ArgumentException($"{GetType().Name}: value must not be NaN, got {value}");
        (Padding, Mode, Value) = (padding, mode, value);
    }

    public (int Left, int Right, int Top, int Bottom) Padding { get; }
    public PaddingMode Mode { get; }
    public float Value { get; }

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"{GetType().Name}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape {Shape.Format(input.ShapeRef)}");
        return input.Pad([Padding.Left, Padding.Right, Padding.Top, Padding.Bottom], Mode, Value);
    }

    protected override string Describe() => $"{GetType().Name}({Padding}{(Mode == PaddingMode.Constant && Value != 0 ? $", value={Value}" : "")})";
}

/// <summary>Zeros around the image (torch.nn.ZeroPad2d).</summary>
public sealed class ZeroPad2d : Pad2d
{
    public ZeroPad2d(int padding) : this((padding, padding, padding, padding)) { }
    public ZeroPad2d((int Left, int Right, int Top, int Bottom) padding) : base(padding, PaddingMode.Constant, 0) { }
}

/// <summary>A constant around the image (torch.nn.ConstantPad2d); ±∞ is allowed, e.g. −∞ before a max pool.</summary>
public sealed class ConstantPad2d : Pad2d
{
    public ConstantPad2d(int padding, float value) : this((padding, padding, padding, padding), value) { }
    public ConstantPad2d((int Left, int Right, int Top, int Bottom) padding, float value) : base(padding, PaddingMode.Constant, value) { }
}

/// <summary>The image mirrored at its edges, the edge itself not repeated (torch.nn.ReflectionPad2d).</summary>
public sealed class ReflectionPad2d : Pad2d
{
    public ReflectionPad2d(int padding) : this((padding, padding, padding, padding)) { }
    public ReflectionPad2d((int Left, int Right, int Top, int Bottom) padding) : base(padding, PaddingMode.Reflect, 0) { }
}

/// <summary>The edge pixels repeated outwards (torch.nn.ReplicationPad2d).</summary>
public sealed class ReplicationPad2d : Pad2d
{
    public ReplicationPad2d(int padding) : this((padding, padding, padding, padding)) { }
    public ReplicationPad2d((int Left, int Right, int Top, int Bottom) padding) : base(padding, PaddingMode.Replicate, 0) { }
}
