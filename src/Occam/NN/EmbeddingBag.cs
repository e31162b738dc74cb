namespace Occam.NN;

/// <summary>
/// The sum, mean (the default) or max of the embedding rows of each bag of token ids, in one op without the
/// [bags, length, dim] lookup (torch.nn.EmbeddingBag): the first layer of a small text classifier,
/// <c>EmbeddingBag → Dropout → Linear</c>. The input is [bags, length] of ids stored as floats, padded with
/// <see cref="PaddingIndex"/> (<see cref="Occam.Data.TokenSequences.Pad"/>), or 1-D ids with the offsets where each bag
/// starts (<see cref="Forward(Tensor, Tensor?, Tensor?)"/>). Padding entries are left out of the reduction, so a
/// mean is over a sequence's real tokens whatever its padded length; the padding row starts at zero and gets no
/// gradient. The table is initialised N(0, 1), as PyTorch's; the layer behaves the same in training and evaluation.
/// </summary>
public sealed class EmbeddingBag : Module
{
    public EmbeddingBag(int numEmbeddings, int embeddingDim, EmbeddingBagMode mode = EmbeddingBagMode.Mean, int? paddingIndex = null,
        Generator? generator = null, float? maxNorm = null, float normType = 2f, bool includeLastOffset = false)
        : this(numEmbeddings, embeddingDim, mode, paddingIndex, maxNorm, normType, includeLastOffset, "EmbeddingBag") =>
        Weight = RegisterParameter("weight", Embedding.RandomTable(numEmbeddings, embeddingDim, PaddingIndex, generator))!;

    EmbeddingBag(int numEmbeddings, int embeddingDim, EmbeddingBagMode mode, int? paddingIndex, float? maxNorm, float normType, bool includeLastOffset,
        string op)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"{op}: unknown mode {mode}");
        PaddingIndex = Embedding.CheckTable(op, numEmbeddings, embeddingDim, paddingIndex, maxNorm, normType);
        Mode = mode;
        MaxNorm = maxNorm;
        NormType = normType;
        IncludeLastOffset = includeLastOffset;
        Weight = null!; // set by the public constructor or FromPretrained
    }

    /// <summary>A bag whose rows are a copy of <paramref name="embeddings"/> [num, dim] (pretrained word vectors), as
    /// torch.nn.EmbeddingBag.from_pretrained: frozen unless <paramref name="freeze"/> is false; the padding row keeps its
    /// given values and is left out of the bags all the same.</summary>
    public static EmbeddingBag FromPretrained(Tensor embeddings, bool freeze = true, EmbeddingBagMode mode = EmbeddingBagMode.Mean, int? paddingIndex = null,
        float? maxNorm = null, float normType = 2f, bool includeLastOffset = false)
    {
        const string op = "EmbeddingBag.FromPretrained";
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2) throw new ArgumentException($"{op}: embeddings must be 2-D [num, dim], got shape {Shape.Format(embeddings.ShapeRef)}");
        var bag = new EmbeddingBag(embeddings.Dim(0), embeddings.Dim(1), mode, paddingIndex, maxNorm, normType, includeLastOffset, op);
        bag.Weight = bag.RegisterParameter("weight", new Parameter(embeddings, requiresGrad: !freeze))!;
        return bag;
    }

    public EmbeddingBagMode Mode { get; }
    public int? PaddingIndex { get; }
    public float? MaxNorm { get; }
    public float NormType { get; }

    /// <summary>With offsets, the last offset ends the last bag instead of starting one (PyTorch's include_last_offset).</summary>
    public bool IncludeLastOffset { get; }

    public Parameter Weight { get; private set; }

    /// <summary>Bags as the rows of a 2-D input [bags, length]: output [bags, dim].</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>Bags from a 1-D input and the offsets where each starts (or a 2-D input and no offsets), with optional
    /// per-entry weights (mode Sum only).</summary>
    public Tensor Forward(Tensor input, Tensor? offsets, Tensor? perSampleWeights = null) =>
        Functional.EmbeddingBag(Checked(input), Weight, offsets, Mode, PaddingIndex, perSampleWeights, MaxNorm, NormType, IncludeLastOffset);

    protected override string Describe() =>
        $"EmbeddingBag({Weight.Dim(0)}, {Weight.Dim(1)}, mode='{Mode.ToString().ToLowerInvariant()}', padding_idx={PaddingIndex?.ToString() ?? "None"}" +
        $"{(MaxNorm is float m ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", max_norm={m}") : "")})";
}
