using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Occam.Kernels;

namespace Occam;

// + − × ÷, maximum, minimum with NumPy broadcasting. Broadcasting is its own primitive
// (ExpandTo, whose gradient sums back), so every binary op below works on equal shapes.
public partial class Tensor
{
    /// <summary>This tensor broadcast to <paramref name="shape"/> (a copy; itself when already that shape).</summary>
    public Tensor ExpandTo(params int[] shape)
    {
        if (Occam.Shape.Equal(_shape, shape)) return this;
        var plan = new BroadcastPlan(_shape, shape);
        var y = Empty((int[])shape.Clone());
        plan.Expand(Span, y.Span, accumulate: false);
        if (!Tracks) return y;
        var x = this;
        return Record(y, "Expand", g => plan.SumInto(g, x.GradSpan()), [x]);
    }

    /// <summary>Sums this tensor down to <paramref name="shape"/>, which must broadcast to this shape
    /// (the adjoint of <see cref="ExpandTo"/>).</summary>
    public Tensor SumTo(params int[] shape)
    {
        if (Occam.Shape.Equal(_shape, shape)) return this;
        var plan = new BroadcastPlan(shape, _shape);
        var y = Empty((int[])shape.Clone());
        y.Span.Clear();
        plan.SumInto(Span, y.Span);
        if (!Tracks) return y;
        var x = this;
        return Record(y, "SumTo", g => plan.Expand(g, x.GradSpan(), accumulate: true), [x]);
    }

    enum BinaryKind { Add, Sub, Mul, Div, Maximum, Minimum }

    static Tensor Binary(Tensor a, Tensor b, BinaryKind kind)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!Occam.Shape.Equal(a._shape, b._shape))
        {
            var shape = Occam.Shape.Broadcast(a._shape, b._shape, kind.ToString());
            a = a.ExpandTo(shape);
            b = b.ExpandTo(shape);
        }
        var y = Empty(a._shape);
        Span<float> sa = a.Span, sb = b.Span, sy = y.Span;
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(sa, sb, sy); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(sa, sb, sy); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(sa, sb, sy); break;
            case BinaryKind.Div: TensorPrimitives.Divide(sa, sb, sy); break;
            case BinaryKind.Maximum: TensorPrimitives.Max(sa, sb, sy); break;
            case BinaryKind.Minimum: TensorPrimitives.Min(sa, sb, sy); break;
        }
        if (!a.Tracks && !b.Tracks) return y;
        return Record(y, kind.ToString(), g => BinaryBackward(kind, a, b, y, g), [a, b]);
    }

    static void BinaryBackward(BinaryKind kind, Tensor a, Tensor b, Tensor y, ReadOnlySpan<float> g)
    {
        if (a.RequiresGrad)
        {
            var ga = a.GradSpan();
            switch (kind)
            {
                case BinaryKind.Add: case BinaryKind.Sub: TensorPrimitives.Add(ga, g, ga); break;
                case BinaryKind.Mul: TensorPrimitives.FusedMultiplyAdd(g, b.Span, ga, ga); break;
                case BinaryKind.Div: Elementwise.Accumulate(new LogGradOp(), b.Span, b.Span, g, ga); break; // g/b, the same form as log's g/x
                default: Elementwise.Accumulate(new SelectGradOp { Max = kind == BinaryKind.Maximum }, a.Span, b.Span, g, ga); break;
            }
        }
        if (b.RequiresGrad)
        {
            var gb = b.GradSpan();
            switch (kind)
            {
                case BinaryKind.Add: TensorPrimitives.Add(gb, g, gb); break;
                case BinaryKind.Sub: TensorPrimitives.Subtract(gb, g, gb); break;
                case BinaryKind.Mul: TensorPrimitives.FusedMultiplyAdd(g, a.Span, gb, gb); break;
                case BinaryKind.Div: Elementwise.Accumulate(new DivGradBOp(), b.Span, y.Span, g, gb); break;
                default: Elementwise.Accumulate(new SelectGradOp { Max = kind == BinaryKind.Maximum }, b.Span, a.Span, g, gb); break;
            }
        }
    }

    public Tensor Add(Tensor other) => Binary(this, other, BinaryKind.Add);
    public Tensor Sub(Tensor other) => Binary(this, other, BinaryKind.Sub);
    public Tensor Mul(Tensor other) => Binary(this, other, BinaryKind.Mul);
    public Tensor Div(Tensor other) => Binary(this, other, BinaryKind.Div);

    /// <summary>Element-wise maximum (broadcasting); a tie sends half the gradient each way, as PyTorch.</summary>
    public Tensor Maximum(Tensor other) => Binary(this, other, BinaryKind.Maximum);

    /// <summary>Element-wise minimum (broadcasting); a tie sends half the gradient each way, as PyTorch.</summary>
    public Tensor Minimum(Tensor other) => Binary(this, other, BinaryKind.Minimum);

    /// <summary>x + c.</summary>
    public Tensor Add(float value) => Map("AddScalar", new AddScalarOp { Value = value }, new ScaleGradOp { Scale = 1 });

    /// <summary>c·x.</summary>
    public Tensor Mul(float value)
    {
        var y = Empty(_shape);
        TensorPrimitives.Multiply(Span, value, y.Span);
        return RecordUnary(y, "MulScalar", new ScaleGradOp { Scale = value });
    }

    /// <summary>x / c, a true division as torch.div (x·(1/c) would be an ulp off, e.g. 21/7); gradient g/c.</summary>
    public Tensor Div(float divisor) => Map("DivScalar", new DivScalarOp { Divisor = divisor }, new DivScalarGradOp { Divisor = divisor });

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator +(Tensor a, float c) => a.Add(c);
    public static Tensor operator +(float c, Tensor a) => a.Add(c);
    public static Tensor operator -(Tensor a, float c) => a.Add(-c);
    public static Tensor operator -(float c, Tensor a) => a.Neg().Add(c);
    public static Tensor operator *(Tensor a, float c) => a.Mul(c);
    public static Tensor operator *(float c, Tensor a) => a.Mul(c);
    public static Tensor operator /(Tensor a, float c) => a.Div(c);
    public static Tensor operator /(float c, Tensor a) => a.Pow(-1f).Mul(c);
}

/// <summary>Gradient of maximum/minimum for the first operand: g where it wins, g/2 on a tie.</summary>
internal struct SelectGradOp : ITernaryOperator
{
    public bool Max;

    // "does not lose" rather than "wins", as PyTorch: a NaN on either side passes g to both operands
    public readonly float Invoke(float x, float other, float g) =>
        x == other ? 0.5f * g : (Max ? x < other : x > other) ? 0f : g;

    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> other, Vector256<float> g)
    {
        var win = Vector256.ConditionalSelect(Max ? Vector256.LessThan(x, other) : Vector256.GreaterThan(x, other), default, g);
        return Vector256.ConditionalSelect(Vector256.Equals(x, other), g * 0.5f, win);
    }

    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> other, Vector512<float> g)
    {
        var win = Vector512.ConditionalSelect(Max ? Vector512.LessThan(x, other) : Vector512.GreaterThan(x, other), default, g);
        return Vector512.ConditionalSelect(Vector512.Equals(x, other), g * 0.5f, win);
    }
}
