using System.Globalization;

namespace Occam.NN;

/// <summary>
/// Layer normalization (Ba et al. 2016, torch.nn.LayerNorm) over the trailing dims given by
/// <c>normalizedShape</c>: y = (x − μ)/√(σ² + eps)·γ + β, with μ and σ² the mean and biased variance of
/// each sample's trailing elements, and γ (init 1), β (init 0) of shape <c>normalizedShape</c>
/// ("weight", "bias"). The same in training and evaluation.
/// </summary>
public sealed class LayerNorm : Module, INormalization
{
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
            throw new ArgumentException($"LayerNorm: normalizedShape must be non-empty with positive dims, got {Shape.Format(normalizedShape)}");
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new ArgumentException($"LayerNorm: eps must be a non-negative finite number, got {eps}");
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        Weight = RegisterParameter("weight", elementwiseAffine ? new Parameter(Tensor.Ones(NormalizedShape)) : null);
        Bias = RegisterParameter("bias", elementwiseAffine && bias ? new Parameter(Tensor.Zeros(NormalizedShape)) : null);
    }

    /// <summary>Normalizes over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
        : this([normalizedShape], eps, elementwiseAffine, bias) { }

    public int[] NormalizedShape { get; }
    public float Eps { get; }
    public bool ElementwiseAffine { get; }
    public Parameter? Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input) =>
        Functional.RowNorm(Checked(input), NormalizedShape, Weight, Bias, Eps, centered: true, "LayerNorm");

    protected override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"LayerNorm({Shape.Format(NormalizedShape)}, eps={Eps}, elementwiseAffine={ElementwiseAffine}, bias={Bias != null})");
}
