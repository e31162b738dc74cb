using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Occam.Kernels;

/// <summary>x (for kernels whose fused activation is optional)</summary>
public struct IdentityOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => x;
}

/// <summary>max(x, 0)</summary>
public struct ReluOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => MathF.Max(x, 0f); // NaN stays NaN, as in the vector paths and PyTorch
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

/// <summary>x if x > 0 else slope·x</summary>
public struct LeakyReluOp : IUnaryOperator
{
    public float Slope;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => x > 0 ? x : Slope * x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * Slope);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * Slope);
}

/// <summary>x if x > 0 else α(eˣ − 1), with eˣ − 1 as <see cref="Expm1Op"/> (exactly 0 at 0, never positive below it)</summary>
public struct EluOp : IUnaryOperator
{
    public float Alpha;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => x > 0 ? x : Alpha * default(Expm1Op).Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, default(Expm1Op).Invoke(Vector256.Min(x, Vector256<float>.Zero)) * Alpha);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, default(Expm1Op).Invoke(Vector512.Min(x, Vector512<float>.Zero)) * Alpha);
}

/// <summary>tanh(x) = sign(x)·(−m)/(2 + m) with m = eˣ − 1 at −2|x| (<see cref="Expm1Op"/>): exact 0 at 0, the sign of
/// ±0 kept, and accurate near 0 (tanh(10⁻³⁰) = 10⁻³⁰) in every lane and the scalar tail alike.</summary>
public struct TanhOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x)
    {
        float m = default(Expm1Op).Invoke(-2 * MathF.Abs(x));
        return MathF.CopySign(-m / (2 + m), x);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x)
    {
        var m = default(Expm1Op).Invoke(Vector256.Create(-2f) * Vector256.Abs(x));
        return (-m / (Vector256.Create(2f) + m)) | (x & Vector256.Create(-0f));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x)
    {
        var m = default(Expm1Op).Invoke(Vector512.Create(-2f) * Vector512.Abs(x));
        return (-m / (Vector512.Create(2f) + m)) | (x & Vector512.Create(-0f));
    }
}

/// <summary>eˣ − 1 without the cancellation of the subtraction near 0: for |x| &lt; ½ the Taylor series to x⁸/8!
/// (truncation below 2·10⁻⁸ relative, under half a float ulp), elsewhere eˣ − 1 (within about 2 ulp just past ½,
/// where the subtraction still cancels a little); the same bits in every lane and the scalar tail (<see cref="LaneExp"/>).</summary>
public struct Expm1Op : IUnaryOperator
{
    const float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040, C8 = 1f / 40320;

    /// <summary>eˣ as the vector lanes compute it (Vector128/256/512.Exp share one algorithm; MathF.Exp differs from it by
    /// an ulp here and there), so a value gets the same bits wherever it falls in a tensor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float LaneExp(float x) => Vector128.Exp(Vector128.CreateScalar(x)).ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) =>
        MathF.Abs(x) < 0.5f ? x * (1 + x * (C2 + x * (C3 + x * (C4 + x * (C5 + x * (C6 + x * (C7 + x * C8))))))) : LaneExp(x) - 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x)
    {
        var series = x * (Vector256<float>.One + x * (Vector256.Create(C2) + x * (Vector256.Create(C3) + x * (Vector256.Create(C4)
            + x * (Vector256.Create(C5) + x * (Vector256.Create(C6) + x * (Vector256.Create(C7) + x * C8)))))));
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(0.5f)), series, Vector256.Exp(x) - Vector256<float>.One);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x)
    {
        var series = x * (Vector512<float>.One + x * (Vector512.Create(C2) + x * (Vector512.Create(C3) + x * (Vector512.Create(C4)
            + x * (Vector512.Create(C5) + x * (Vector512.Create(C6) + x * (Vector512.Create(C7) + x * C8)))))));
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(0.5f)), series, Vector512.Exp(x) - Vector512<float>.One);
    }
}

/// <summary>x·Φ(x) = ½x(1 + erf(x/√2))</summary>
public struct GeluOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => 0.5f * x * (1 + default(ErfOp).Invoke(x * 0.70710678f));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(0.5f) * x * (Vector256<float>.One + default(ErfOp).Invoke(x * 0.70710678f));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(0.5f) * x * (Vector512<float>.One + default(ErfOp).Invoke(x * 0.70710678f));
}

/// <summary>½x(1 + tanh(√(2/π)(x + 0.044715x³)))</summary>
public struct GeluTanhOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => 0.5f * x * (1 + default(TanhOp).Invoke(0.7978845608f * (x + 0.044715f * x * x * x)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(0.5f) * x * (Vector256<float>.One + default(TanhOp).Invoke((x + x * x * x * 0.044715f) * 0.7978845608f));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(0.5f) * x * (Vector512<float>.One + default(TanhOp).Invoke((x + x * x * x * 0.044715f) * 0.7978845608f));
}

/// <summary>log(1 + e^{βx})/β, or x where βx > threshold</summary>
public struct SoftplusOp : IUnaryOperator
{
    public float Beta; public float Threshold;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => Beta * x > Threshold ? x : default(Log1pExpOp).Invoke(Beta * x) / Beta;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x * Beta, Vector256.Create(Threshold)), x, default(Log1pExpOp).Invoke(x * Beta) / Beta);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x * Beta, Vector512.Create(Threshold)), x, default(Log1pExpOp).Invoke(x * Beta) / Beta);
}

/// <summary>min(max(x, lo), hi)</summary>
public struct ClampOp : IUnaryOperator
{
    public float Min; public float Max;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => MathF.Min(MathF.Max(x, Min), Max);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.Min(Vector256.Max(x, Vector256.Create(Min)), Vector256.Create(Max));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.Min(Vector512.Max(x, Vector512.Create(Min)), Vector512.Create(Max));
}

/// <summary>sign(x), 0 at 0</summary>
public struct SignOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => x > 0 ? 1 : x < 0 ? -1 : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero) - Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero) - Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero);
}

/// <summary>x + c</summary>
public struct AddScalarOp : IUnaryOperator
{
    public float Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => x + Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => x + Vector256.Create(Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => x + Vector512.Create(Value);
}

/// <summary>erf(x), Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7)</summary>
public struct ErfOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => ActivationMath.ErfScalar(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => ActivationMath.ErfVector(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => ActivationMath.ErfVector(x);
}

/// <summary>log(1 + eˣ), or x above 20; accurate for very negative x too (≈ eˣ, not 0): with u = eˣ and w = 1 + u
/// rounded, log1p(u) = log(w)·u/(w − 1), and u itself where w rounds to 1 (Goldberg's log1p).</summary>
public struct Log1pExpOp : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x)
    {
        if (x > 20) return x;
        float u = MathF.Exp(x), w = 1 + u;
        return w == 1 ? u : MathF.Log(w) * (u / (w - 1));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x)
    {
        var u = Vector256.Exp(Vector256.Min(x, Vector256.Create(20f)));
        var w = Vector256<float>.One + u;
        var log1p = Vector256.ConditionalSelect(Vector256.Equals(w, Vector256<float>.One), u, Vector256.Log(w) * (u / (w - Vector256<float>.One)));
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(20f)), x, log1p);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x)
    {
        var u = Vector512.Exp(Vector512.Min(x, Vector512.Create(20f)));
        var w = Vector512<float>.One + u;
        var log1p = Vector512.ConditionalSelect(Vector512.Equals(w, Vector512<float>.One), u, Vector512.Log(w) * (u / (w - Vector512<float>.One)));
        return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(20f)), x, log1p);
    }
}

/// <summary>g unless the ReLU output y is ≤ 0 (a NaN passes g, as PyTorch): the ReLU derivative from its output</summary>
public struct ReluMaskOp : IBinaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float y, float g) => y <= 0 ? 0 : g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(y, Vector256<float>.Zero), Vector256<float>.Zero, g);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(y, Vector512<float>.Zero), Vector512<float>.Zero, g);
}

/// <summary>g·scale unless y ≤ 0 (a NaN passes, as the ReLU's gradient): the backward of ReLU then inverted dropout, read from the output
/// y = relu(x)·mask (y &gt; 0 exactly where the ReLU passed and dropout kept, and then mask = scale).</summary>
public readonly struct ReluDropoutMaskOp(float scale) : IBinaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float y, float g) => y <= 0 ? 0 : g * scale;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(y, Vector256<float>.Zero), Vector256<float>.Zero, g * scale);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(y, Vector512<float>.Zero), Vector512<float>.Zero, g * scale);
}

/// <summary>g unless x ≤ 0 (the ReLU derivative; a NaN passes g)</summary>
public struct ReluGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => x <= 0 ? 0 : g; // NaN passes g, as PyTorch's threshold_backward
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, g);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.Zero, g);
}

/// <summary>g·(1 if x > 0 else slope)</summary>
public struct LeakyReluGradOp : ITernaryOperator
{
    public float Slope;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => x > 0 ? g : Slope * g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), g, g * Slope);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), g, g * Slope);
}

/// <summary>g·(1 if x > 0 (or NaN) else α·eˣ)</summary>
public struct EluGradOp : ITernaryOperator
{
    public float Alpha;
    // α·eˣ for x ≤ 0: from the output (y + α, exact at 0) where eˣ ≥ e^−½ leaves no cancellation, else from eˣ itself
    // (y + α cancels there: it was 2.6 % off at −15 and 0 at −40); g beyond 0, and for a NaN, as PyTorch's elu_backward.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) =>
        x <= 0 ? g * (x >= -0.5f ? y + Alpha : Alpha * Expm1Op.LaneExp(x)) : g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g)
    {
        var alpha = Vector256.Create(Alpha);
        var slope = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256.Create(-0.5f)), y + alpha, alpha * Vector256.Exp(x));
        return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), g * slope, g);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g)
    {
        var alpha = Vector512.Create(Alpha);
        var slope = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512.Create(-0.5f)), y + alpha, alpha * Vector512.Exp(x));
        return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), g * slope, g);
    }
}

/// <summary>g·(Φ(x) + x·φ(x))</summary>
public struct GeluGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => g * (0.5f * (1 + default(ErfOp).Invoke(x * 0.70710678f)) + x * 0.39894228f * MathF.Exp(-0.5f * x * x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => g * (Vector256.Create(0.5f) * (Vector256<float>.One + default(ErfOp).Invoke(x * 0.70710678f)) + x * Vector256.Create(0.39894228f) * Vector256.Exp(x * x * -0.5f));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => g * (Vector512.Create(0.5f) * (Vector512<float>.One + default(ErfOp).Invoke(x * 0.70710678f)) + x * Vector512.Create(0.39894228f) * Vector512.Exp(x * x * -0.5f));
}

/// <summary>g·d/dx of the tanh approximation</summary>
public struct GeluTanhGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => ActivationMath.GeluTanhGradScalar(x, g);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => ActivationMath.GeluTanhGradVector(x, g);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => ActivationMath.GeluTanhGradVector(x, g);
}

/// <summary>g·σ(βx), or g where βx > threshold</summary>
public struct SoftplusGradOp : ITernaryOperator
{
    public float Beta; public float Threshold;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => Beta * x > Threshold ? g : g / (1 + MathF.Exp(-Beta * x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.GreaterThan(x * Beta, Vector256.Create(Threshold)), g, g / (Vector256<float>.One + Vector256.Exp(x * -Beta)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.GreaterThan(x * Beta, Vector512.Create(Threshold)), g, g / (Vector512<float>.One + Vector512.Exp(x * -Beta)));
}

/// <summary>g·[lo ≤ x ≤ hi]</summary>
public struct ClampGradOp : ITernaryOperator
{
    public float Min; public float Max;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => x >= Min && x <= Max ? g : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256.Create(Min)) & Vector256.LessThanOrEqual(x, Vector256.Create(Max)), g, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512.Create(Min)) & Vector512.LessThanOrEqual(x, Vector512.Create(Max)), g, Vector512<float>.Zero);
}

/// <summary>g·y</summary>
public struct ExpGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => g * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => g * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => g * y;
}

/// <summary>g/x</summary>
public struct LogGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => g / x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => g / x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => g / x;
}

/// <summary>g/(2y)</summary>
public struct SqrtGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => 0.5f * g / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => Vector256.Create(0.5f) * g / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => Vector512.Create(0.5f) * g / y;
}

/// <summary>g·(1 − y²)</summary>
public struct TanhGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => g * (1 - y * y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => g * (Vector256<float>.One - y * y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => g * (Vector512<float>.One - y * y);
}

/// <summary>g·y(1 − y)</summary>
public struct SigmoidGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => g * y * (1 - y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => g * y * (Vector256<float>.One - y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => g * y * (Vector512<float>.One - y);
}

/// <summary>g·sign(x)</summary>
public struct AbsGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => x > 0 ? g : x < 0 ? -g : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), g, Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -g, Vector256<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), g, Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -g, Vector512<float>.Zero));
}

/// <summary>g·e·x^{e−1}; 0 when e = 0 (x⁰ is constant, also at x = 0 where x^{−1} is infinite).</summary>
public struct PowGradOp : ITernaryOperator
{
    public float Exponent;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => Exponent == 0 ? 0f : g * Exponent * MathF.Pow(x, Exponent - 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g)
    {
        // x^(e−1) has no closed vector form for negative x and non-integer e: lane by lane.
        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = Invoke(x[i], y[i], g[i]);
        return Vector256.Create<float>(lanes);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g)
    {
        // x^(e−1) has no closed vector form for negative x and non-integer e: lane by lane.
        Span<float> lanes = stackalloc float[Vector512<float>.Count];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = Invoke(x[i], y[i], g[i]);
        return Vector512.Create<float>(lanes);
    }
}

/// <summary>x / c, a true division (as torch.div by a number; multiplying by 1/c is off by an ulp, e.g. 21/7).</summary>
public struct DivScalarOp : IUnaryOperator
{
    public float Divisor;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x) => x / Divisor;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x) => x / Vector256.Create(Divisor);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x) => x / Vector512.Create(Divisor);
}

/// <summary>g / c</summary>
public struct DivScalarGradOp : ITernaryOperator
{
    public float Divisor;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => g / Divisor;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => g / Vector256.Create(Divisor);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => g / Vector512.Create(Divisor);
}

/// <summary>g/(2y), and 0 where y = 0: the standard deviation's derivative as PyTorch's std_backward takes it, so a
/// constant group (σ = 0) gets a zero gradient instead of ∞·0 = NaN.</summary>
public struct StdGradOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => y == 0 ? 0f : 0.5f * g / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) =>
        Vector256.ConditionalSelect(Vector256.Equals(y, Vector256<float>.Zero), Vector256<float>.Zero, Vector256.Create(0.5f) * g / y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) =>
        Vector512.ConditionalSelect(Vector512.Equals(y, Vector512<float>.Zero), Vector512<float>.Zero, Vector512.Create(0.5f) * g / y);
}

/// <summary>c·g</summary>
public struct ScaleGradOp : ITernaryOperator
{
    public float Scale;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => g * Scale;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => g * Scale;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => g * Scale;
}

/// <summary>−g·y/b for y = a/b, x = b</summary>
public struct DivGradBOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Invoke(float x, float y, float g) => -g * y / x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> g) => -g * y / x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> g) => -g * y / x;
}
/// <summary>Scalar and vector bodies too long for one expression.</summary>
internal static class ActivationMath
{
    const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    public static float ErfScalar(float x)
    {
        float ax = MathF.Abs(x), t = 1 / (1 + P * ax);
        float y = 1 - ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t * MathF.Exp(-ax * ax);
        return x < 0 ? -y : y;
    }

    public static Vector256<float> ErfVector(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var t = Vector256<float>.One / (Vector256<float>.One + ax * P);
        var poly = ((((t * A5 + Vector256.Create(A4)) * t + Vector256.Create(A3)) * t + Vector256.Create(A2)) * t + Vector256.Create(A1)) * t;
        var y = Vector256<float>.One - poly * Vector256.Exp(-(ax * ax));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -y, y);
    }

    public static Vector512<float> ErfVector(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var t = Vector512<float>.One / (Vector512<float>.One + ax * P);
        var poly = ((((t * A5 + Vector512.Create(A4)) * t + Vector512.Create(A3)) * t + Vector512.Create(A2)) * t + Vector512.Create(A1)) * t;
        var y = Vector512<float>.One - poly * Vector512.Exp(-(ax * ax));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -y, y);
    }

    const float C = 0.7978845608f, K = 0.044715f;

    public static float GeluTanhGradScalar(float x, float g)
    {
        float t = default(TanhOp).Invoke(C * (x + K * x * x * x));
        return g * (0.5f * (1 + t) + 0.5f * x * (1 - t * t) * C * (1 + 3 * K * x * x));
    }

    public static Vector256<float> GeluTanhGradVector(Vector256<float> x, Vector256<float> g)
    {
        var t = default(TanhOp).Invoke((x + x * x * x * K) * C);
        var half = Vector256.Create(0.5f);
        return g * (half * (Vector256<float>.One + t) + half * x * (Vector256<float>.One - t * t) * C * (Vector256<float>.One + x * x * (3 * K)));
    }

    public static Vector512<float> GeluTanhGradVector(Vector512<float> x, Vector512<float> g)
    {
        var t = default(TanhOp).Invoke((x + x * x * x * K) * C);
        var half = Vector512.Create(0.5f);
        return g * (half * (Vector512<float>.One + t) + half * x * (Vector512<float>.One - t * t) * C * (Vector512<float>.One + x * x * (3 * K)));
    }
}
