using System.Numerics.Tensors;
using Occam.Kernels;

namespace Occam;

// Element-wise functions of one tensor. Each is a forward (a kernel operator or a
// TensorPrimitives call) beside its derivative operator of (x, y, g), from Kernels/Activations.
public partial class Tensor
{
    /// <summary>y = forward(x); records dx += backward(x, y, g).</summary>
    Tensor Map<TF, TB>(string op, TF forward, TB backward) where TF : struct, IUnaryOperator where TB : struct, ITernaryOperator
    {
        var y = Empty(_shape);
        Elementwise.ApplyParallel(forward, Span, y.Span);
        return RecordUnary(y, op, backward);
    }

    /// <summary>Records an already computed y = f(this) with derivative operator <paramref name="backward"/>.</summary>
    Tensor RecordUnary<TB>(Tensor y, string op, TB backward) where TB : struct, ITernaryOperator
    {
        if (!Tracks) return y;
        var x = this;
        return Record(y, op, g => Elementwise.AccumulateParallel(backward, x.Span, y.Span, g, x.GradSpan()), [x]);
    }

    delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

    Tensor Map<TB>(string op, SpanMap forward, TB backward) where TB : struct, ITernaryOperator
    {
        var y = Empty(_shape);
        forward(Span, y.Span);
        return RecordUnary(y, op, backward);
    }

    public Tensor Neg() => Mul(-1f);
    public Tensor Exp() => Map("Exp", TensorPrimitives.Exp, new ExpGradOp());
    public Tensor Log() => Map("Log", TensorPrimitives.Log, new LogGradOp());
    public Tensor Sqrt() => Map("Sqrt", TensorPrimitives.Sqrt, new SqrtGradOp());
    public Tensor Abs() => Map("Abs", TensorPrimitives.Abs, new AbsGradOp());

    /// <summary>sign(x) ∈ {−1, 0, 1}; its gradient is zero.</summary>
    public Tensor Sign() => Map("Sign", new SignOp(), new ScaleGradOp { Scale = 0 });

    /// <summary>x^exponent; gradient exponent·x^(exponent−1), and 0 for exponent 0 (as PyTorch, also at x = 0).</summary>
    public Tensor Pow(float exponent)
    {
        var y = Empty(_shape);
        if (exponent == 2f) TensorPrimitives.Multiply(Span, Span, y.Span);
        else TensorPrimitives.Pow(Span, exponent, y.Span);
        return RecordUnary(y, "Pow", new PowGradOp { Exponent = exponent });
    }

    /// <summary>Element-wise power with a tensor exponent (broadcasting), as torch.pow: a negative base with a whole
    /// exponent is real ((−2)² = 4), with any other exponent NaN. Gradients as PyTorch's: e·x^(e−1) for x (0 where
    /// e = 0), x^e·ln x for e (0 where x = 0 and e ≥ 0).</summary>
    public Tensor Pow(Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        Tensor x = this, e = exponent;
        if (!Occam.Shape.Equal(x._shape, e._shape))
        {
            var shape = Occam.Shape.Broadcast(x._shape, e._shape, "Pow");
            x = x.ExpandTo(shape);
            e = e.ExpandTo(shape);
        }
        var y = Empty(x._shape);
        ReadOnlySpan<float> xs = x.Span, es = e.Span;
        var ys = y.Span;
        for (int i = 0; i < ys.Length; i++) ys[i] = MathF.Pow(xs[i], es[i]);
        if (!x.Tracks && !e.Tracks) return y;
        return Record(y, "Pow", g =>
        {
            ReadOnlySpan<float> xs = x.Span, es = e.Span, ys = y.Span;
            if (x.RequiresGrad)
            {
                var gx = x.GradSpan();
                for (int i = 0; i < gx.Length; i++) gx[i] += es[i] == 0 ? 0f : g[i] * es[i] * MathF.Pow(xs[i], es[i] - 1);
            }
            if (e.RequiresGrad)
            {
                var ge = e.GradSpan();
                for (int i = 0; i < ge.Length; i++) ge[i] += xs[i] == 0 && es[i] >= 0 ? 0f : g[i] * ys[i] * MathF.Log(xs[i]);
            }
        }, [x, e]);
    }

    /// <summary>Limits values to [min, max] (either bound may be omitted); the gradient passes where min ≤ x ≤ max.</summary>
    public Tensor Clamp(float? min = null, float? max = null)
    {
        if (min == null && max == null) throw new ArgumentException("Clamp: at least one of min and max must be given");
        float lo = min ?? float.NegativeInfinity, hi = max ?? float.PositiveInfinity;
        if (lo > hi) throw new ArgumentException($"Clamp: min must not exceed max, got min {lo}, max {hi}");
        return Map("Clamp", new ClampOp { Min = lo, Max = hi }, new ClampGradOp { Min = lo, Max = hi });
    }

    public Tensor Relu() => Map("Relu", new ReluOp(), new ReluGradOp());

    /// <summary>x if x &gt; 0 else slope·x (PyTorch default slope 0.01).</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.01f) => Map("LeakyRelu", new LeakyReluOp { Slope = negativeSlope }, new LeakyReluGradOp { Slope = negativeSlope });

    /// <summary>x if x &gt; 0 else α(eˣ − 1) (Clevert et al. 2015).</summary>
    public Tensor Elu(float alpha = 1f) => Map("Elu", new EluOp { Alpha = alpha }, new EluGradOp { Alpha = alpha });

    /// <summary>SELU constants of Klambauer et al. 2017, as PyTorch.</summary>
    public const float SeluAlpha = 1.6732632423543772f, SeluScale = 1.0507009873554805f;

    /// <summary>scale·elu(x, α) with Klambauer et al.'s constants (self-normalizing networks).</summary>
    public Tensor Selu() => Elu(SeluAlpha).Mul(SeluScale);

    /// <summary>GELU (Hendrycks &amp; Gimpel 2016): exact x·Φ(x), or the tanh approximation when <paramref name="approximateTanh"/>.</summary>
    public Tensor Gelu(bool approximateTanh = false) => approximateTanh
        ? Map("GeluTanh", new GeluTanhOp(), new GeluTanhGradOp())
        : Map("Gelu", new GeluOp(), new GeluGradOp());

    public Tensor Sigmoid() => Map("Sigmoid", TensorPrimitives.Sigmoid, new SigmoidGradOp());
    public Tensor Tanh() => Map("Tanh", new TanhOp(), new TanhGradOp());

    /// <summary>log(1 + e^{βx})/β, reverting to x where βx &gt; threshold (PyTorch defaults β = 1, threshold = 20).</summary>
    public Tensor Softplus(float beta = 1f, float threshold = 20f)
    {
        if (!(beta > 0)) throw new ArgumentException($"Softplus: beta must be positive, got {beta}");
        return Map("Softplus", new SoftplusOp { Beta = beta, Threshold = threshold }, new SoftplusGradOp { Beta = beta, Threshold = threshold });
    }
}
