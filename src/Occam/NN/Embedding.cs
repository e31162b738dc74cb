namespace Occam.NN;

/// <summary>A lookup table [num, dim] initialised N(0, 1), indexed by integer ids stored as floats
/// (torch.nn.Embedding). The padding row starts at zero and receives no gradient. With maxNorm, the rows a forward
/// looks up are first scaled back in place to that norm where they exceed it (PyTorch's max_norm), which regularizes
/// the embeddings as a max-norm constraint does weights.</summary>
public sealed class Embedding : Module
{
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIndex = null, Generator? generator = null, float? maxNorm = null, float normType = 2f)
    {
        if (maxNorm is float m && !(m >= 0)) throw new ArgumentException($"Embedding: maxNorm must be non-negative, got {m}");
        if (!(normType > 0)) throw new ArgumentException($"Embedding: normType must be positive, got {normType}");
        MaxNorm = maxNorm;
        NormType = normType;
        if (numEmbeddings < 1 || embeddingDim < 1)
            throw new ArgumentException($"Embedding: sizes must be positive, got {numEmbeddings} embeddings of dim {embeddingDim}");
        if (paddingIndex is int p && (p < -numEmbeddings || p >= numEmbeddings))
            throw new ArgumentException($"Embedding: paddingIndex {p} is out of range for {numEmbeddings} embeddings");
        PaddingIndex = paddingIndex is int q && q < 0 ? q + numEmbeddings : paddingIndex;
        var init = Tensor.RandN([numEmbeddings, embeddingDim], generator ?? Init.DefaultGenerator());
        Weight = RegisterParameter("weight", new Parameter(init))!;
        if (PaddingIndex is int pad)
            using (Autograd.NoGrad())
                Weight.Data.AsSpan(pad * embeddingDim, embeddingDim).Clear();
    }

    public int? PaddingIndex { get; }
    public float? MaxNorm { get; }
    public float NormType { get; }
    public Parameter Weight { get; }

    public override Tensor Forward(Tensor input) => Functional.Embedding(Checked(input), Weight, PaddingIndex, MaxNorm, NormType);

    protected override string Describe() =>
        $"Embedding({Weight.Dim(0)}, {Weight.Dim(1)}, padding_idx={PaddingIndex?.ToString() ?? "None"}{(MaxNorm is float m ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", max_norm={m}") : "")})";
}
