namespace Occam.NN;

/// <summary>
/// Dropout (Srivastava et al. 2014) with PyTorch's inverted scaling: in training each element is
/// zeroed with probability p and survivors are scaled by 1/(1 − p); in evaluation it is the identity.
/// p = 1 gives zeros. Randomness comes from the module's own Generator.
/// </summary>
public sealed class Dropout : Module, IStochasticRegularizer
{
    readonly Generator _generator;

    public Dropout(float p = 0.5f, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Dropout: p must be in [0, 1], got {p}");
        P = p;
        _generator = generator ?? Init.DefaultGenerator();
    }

    public float P { get; }

    public Generator Generator => _generator;

    public override Tensor Forward(Tensor input) => Functional.Dropout(Checked(input), P, IsTraining, _generator);

    protected override string Describe() => $"Dropout(p={P})";
}
