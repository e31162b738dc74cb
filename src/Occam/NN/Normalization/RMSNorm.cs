using System.Globalization;

namespace Occam.NN;

/// <summary>
/// Root-mean-square layer normalization (Zhang &amp; Sennrich 2019, torch.nn.RMSNorm) over the trailing
/// dims given by <c>normalizedShape</c>: y = x/√(mean(x²) + eps)·γ, with γ (init 1, "weight") of shape
/// <c>normalizedShape</c>; no centering and no bias. eps null means float32's machine epsilon
/// (torch.finfo(torch.float32).eps = 1.1920929e-07), as PyTorch.
/// </summary>
public sealed class RMSNorm : Module, INormalization
{
    /// <summary>torch.finfo(torch.float32).eps, the default when eps is null.</summary>
    public const float DefaultEps = 1.1920929e-07f;

    public RMSNorm(int[] normalizedShape, float? eps = null, bool elementwiseAffine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
            throw new ArgumentException($"RMSNorm: normalizedShape must be non-empty with positive dims, got {Shape.Format(normalizedShape)}");
        if (eps is { } e && (!(e >= 0) || float.IsInfinity(e))) throw new ArgumentException($"RMSNorm: eps must be a non-negative finite number or null, got {e}");
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        Weight = RegisterParameter("weight", elementwiseAffine ? new Parameter(Tensor.Ones(NormalizedShape)) : null);
    }

    /// <summary>Normalizes over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public RMSNorm(int normalizedShape, float? eps = null, bool elementwiseAffine = true)
        : this([normalizedShape], eps, elementwiseAffine) { }

    public int[] NormalizedShape { get; }
    /// <summary>The eps given, or null for <see cref="DefaultEps"/>.</summary>
    public float? Eps { get; }
    public bool ElementwiseAffine { get; }
    public Parameter? Weight { get; }

    public override Tensor Forward(Tensor input) =>
        Functional.RowNorm(Checked(input), NormalizedShape, Weight, null, Eps ?? DefaultEps, centered: false, "RMSNorm");

    protected override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"RMSNorm({Shape.Format(NormalizedShape)}, eps={(Eps?.ToString(CultureInfo.InvariantCulture) ?? "None")}, elementwiseAffine={ElementwiseAffine})");
}
