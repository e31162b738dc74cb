namespace Occam.NN;

/// <summary>A lookup table [num, dim] initialised N(0, 1), indexed by integer ids stored as floats
/// (torch.nn.Embedding). The padding row starts at zero and receives no gradient. With maxNorm, the rows a forward
/// looks up are first scaled back in place to that norm where they exceed it (PyTorch's max_norm), which regularizes
/// the embeddings as a max-norm constraint does weights. With scaleGradByFreq, each row's gradient is divided by how
/// often the batch looks it up (PyTorch's scale_grad_by_freq), so frequent ids do not dominate the update.
/// <see cref="FromPretrained"/> starts from given rows, frozen by default.</summary>
public sealed class Embedding : Module
{
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIndex = null, Generator? generator = null, float? maxNorm = null, float normType = 2f,
        bool scaleGradByFreq = false)
        : this(numEmbeddings, embeddingDim, paddingIndex, maxNorm, normType, scaleGradByFreq, "Embedding") =>
        Weight = RegisterParameter("weight", RandomTable(numEmbeddings, embeddingDim, PaddingIndex, generator))!;

    Embedding(int numEmbeddings, int embeddingDim, int? paddingIndex, float? maxNorm, float normType, bool scaleGradByFreq, string op)
    {
        PaddingIndex = CheckTable(op, numEmbeddings, embeddingDim, paddingIndex, maxNorm, normType);
        MaxNorm = maxNorm;
        NormType = normType;
        ScaleGradByFreq = scaleGradByFreq;
        Weight = null!; // set by the public constructor or FromPretrained
    }

    /// <summary>An embedding whose rows are a copy of <paramref name="embeddings"/> [num, dim], as
    /// torch.nn.Embedding.from_pretrained: frozen (no gradient, no update) unless <paramref name="freeze"/> is false;
    /// the padding row keeps its given values and, when trained, gets no gradient.</summary>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, int? paddingIndex = null, float? maxNorm = null, float normType = 2f,
        bool scaleGradByFreq = false)
    {
        const string op = "Embedding.FromPretrained";
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2) throw new ArgumentException($"{op}: embeddings must be 2-D [num, dim], got shape {Shape.Format(embeddings.ShapeRef)}");
        var embedding = new Embedding(embeddings.Dim(0), embeddings.Dim(1), paddingIndex, maxNorm, normType, scaleGradByFreq, op);
        embedding.Weight = embedding.RegisterParameter("weight", new Parameter(embeddings, requiresGrad: !freeze))!;
        return embedding;
    }

    /// <summary>The settings of a lookup table as Embedding and EmbeddingBag take them, checked; returns the padding row
    /// (a negative index counts from the end).</summary>
    internal static int? CheckTable(string op, int num, int dim, int? paddingIndex, float? maxNorm, float normType)
    {
        if (maxNorm is float m && !(m >= 0)) throw new ArgumentException($"{op}: maxNorm must be non-negative, got {m}");
        if (!(normType > 0)) throw new ArgumentException($"{op}: normType must be positive, got {normType}");
        if (num < 1 || dim < 1) throw new ArgumentException($"{op}: sizes must be positive, got {num} embeddings of dim {dim}");
        if (paddingIndex is int p && (p < -num || p >= num))
            throw new ArgumentException($"{op}: paddingIndex {p} is out of range for {num} embeddings");
        return paddingIndex is int q && q < 0 ? q + num : paddingIndex;
    }

    /// <summary>A table [num, dim] drawn from N(0, 1) with the padding row zeroed, as PyTorch initialises both layers.</summary>
    internal static Parameter RandomTable(int num, int dim, int? padding, Generator? generator)
    {
        var init = Tensor.RandN([num, dim], generator ?? Init.DefaultGenerator());
        if (padding is int pad) init.Span.Slice(pad * dim, dim).Clear();
        return new Parameter(init);
    }

    public int? PaddingIndex { get; }
    public float? MaxNorm { get; }
    public float NormType { get; }

    /// <summary>Each row's gradient divided by the number of times the batch looks it up.</summary>
    public bool ScaleGradByFreq { get; }

    public Parameter Weight { get; private set; }

    public override Tensor Forward(Tensor input) => Functional.Embedding(Checked(input), Weight, PaddingIndex, MaxNorm, NormType, ScaleGradByFreq);

    protected override string Describe() =>
        $"Embedding({Weight.Dim(0)}, {Weight.Dim(1)}, padding_idx={PaddingIndex?.ToString() ?? "None"}{(MaxNorm is float m ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", max_norm={m}") : "")}" +
        $"{(ScaleGradByFreq ? ", scale_grad_by_freq=True" : "")})";
}
