namespace Occam.NN;

// Activation modules: configuration only; the computation is the Tensor method.

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module { public override Tensor Forward(Tensor input) => Checked(input).Relu(); }

/// <summary>x if x &gt; 0 else slope·x (default slope 0.01).</summary>
public sealed class LeakyReLU(float negativeSlope = 0.01f) : Module
{
    public float NegativeSlope { get; } = negativeSlope;
    public override Tensor Forward(Tensor input) => Checked(input).LeakyRelu(NegativeSlope);
    protected override string Describe() => $"LeakyReLU(negative_slope={NegativeSlope})";
}

/// <summary>x if x &gt; 0 else α(eˣ − 1).</summary>
public sealed class ELU(float alpha = 1f) : Module
{
    public float Alpha { get; } = alpha;
    public override Tensor Forward(Tensor input) => Checked(input).Elu(Alpha);
    protected override string Describe() => $"ELU(alpha={Alpha})";
}

/// <summary>Self-normalizing scale·elu(x, α) (Klambauer et al. 2017).</summary>
public sealed class SELU : Module { public override Tensor Forward(Tensor input) => Checked(input).Selu(); }

/// <summary>x·Φ(x), or its tanh approximation.</summary>
public sealed class GELU(bool approximateTanh = false) : Module
{
    public bool ApproximateTanh { get; } = approximateTanh;
    public override Tensor Forward(Tensor input) => Checked(input).Gelu(ApproximateTanh);
    protected override string Describe() => $"GELU(approximate={(ApproximateTanh ? "tanh" : "none")})";
}

/// <summary>1/(1 + e^{−x}).</summary>
public sealed class Sigmoid : Module { public override Tensor Forward(Tensor input) => Checked(input).Sigmoid(); }

/// <summary>tanh(x).</summary>
public sealed class Tanh : Module { public override Tensor Forward(Tensor input) => Checked(input).Tanh(); }

/// <summary>log(1 + e^{βx})/β, linear above the threshold.</summary>
public sealed class Softplus(float beta = 1f, float threshold = 20f) : Module
{
    public float Beta { get; } = beta > 0 ? beta : throw new ArgumentException($"Softplus: beta must be positive, got {beta}");
    public float Threshold { get; } = threshold;
    public override Tensor Forward(Tensor input) => Checked(input).Softplus(Beta, Threshold);
    protected override string Describe() => $"Softplus(beta={Beta}, threshold={Threshold})";
}

/// <summary>x·σ(x) (torch.nn.SiLU, "swish"; Elfwing et al. 2018), composed from primitives.</summary>
public sealed class SiLU : Module
{
    public override Tensor Forward(Tensor input) => Checked(input) * input.Sigmoid();
}

/// <summary>e^{x_i}/Σ_j e^{x_j} along <see cref="Dim"/> (torch.nn.Softmax; the dim is required, as PyTorch's implicit
/// choice is deprecated), e.g. to read probabilities from a classifier's logits.</summary>
public sealed class Softmax(int dim) : Module
{
    public int Dim { get; } = dim;
    public override Tensor Forward(Tensor input) => Checked(input).Softmax(Dim);
    protected override string Describe() => $"Softmax(dim={Dim})";
}

/// <summary>log softmax along <see cref="Dim"/> (torch.nn.LogSoftmax), the log-probabilities that <see cref="Losses.NLLLoss"/>
/// takes; computed as x − logsumexp(x), not as the log of a softmax.</summary>
public sealed class LogSoftmax(int dim) : Module
{
    public int Dim { get; } = dim;
    public override Tensor Forward(Tensor input) => Checked(input).LogSoftmax(Dim);
    protected override string Describe() => $"LogSoftmax(dim={Dim})";
}

/// <summary>x if x &gt; 0 else a·x with a learned slope a ("weight", init 0.25; He et al. 2015, torch.nn.PReLU): one a
/// shared by all inputs, or one per channel (dim 1) with <c>numParameters</c> = C. Composed as relu(x) + a·min(x, 0), so
/// at x = 0 the gradient is a, as PyTorch's.</summary>
public sealed class PReLU : Module
{
    public PReLU(int numParameters = 1, float init = 0.25f)
    {
        if (numParameters < 1) throw new ArgumentException($"PReLU: numParameters must be positive, got {numParameters}");
        Weight = RegisterParameter("weight", new Parameter(Tensor.Full([numParameters], init)))!;
    }

    public Parameter Weight { get; }
    public int NumParameters => Weight.Dim(0);

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        var slope = (Tensor)Weight;
        if (NumParameters > 1)
        {
            if (input.Rank < 2 || input.Dim(1) != NumParameters)
                throw new ArgumentException($"PReLU: {NumParameters} slopes need {NumParameters} channels in dim 1, got input {Shape.Format(input.ShapeRef)}");
            slope = Weight.Reshape([NumParameters, .. Enumerable.Repeat(1, input.Rank - 2)]);
        }
        return input.Relu() + slope * input.Clamp(max: 0f);
    }

    protected override string Describe() => $"PReLU(num_parameters={NumParameters})";
}
