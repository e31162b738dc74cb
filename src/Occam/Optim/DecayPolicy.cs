using System.Text.RegularExpressions;
using Occam.NN;

namespace Occam.Optim;

/// <summary>Which parameters get weight decay, for <see cref="DecayPolicyExtensions.ParameterGroups"/>.</summary>
public enum DecayPolicy
{
    /// <summary>One group "all": every parameter decays.</summary>
    All,

    /// <summary>Two groups: "decay" (weights) and "no_decay" (weight decay 0, and no proximal L1 step) holding biases,
    /// every parameter of a normalization layer and embedding tables — the usual recipe (BERT and timm exempt biases and
    /// normalization parameters; minGPT embeddings too), since shrinking a shift, a scale that the next layer undoes,
    /// or a rare token's row buys no generalization.</summary>
    ExcludeBiasAndNorm,
}

public static partial class DecayPolicyExtensions
{
    /// <summary>Parameter groups for an optimizer: <c>new AdamW(model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm), lr: 1e-3)</c>.
    /// The "decay" (or "all") group gets <paramref name="weightDecay"/> (null: the optimizer's default); "no_decay"
    /// gets 0, and a proximal L1 strength of 0 (soft-thresholding a batch norm's scale to zero would switch the layer
    /// off). Both groups are always returned (possibly empty), so optimizer state dicts line up across models.
    /// A parameter goes to "no_decay" when it is named "bias", belongs to a normalization layer (one that implements
    /// <see cref="INormalization"/> or whose type name ends in Norm, Norm1d/2d/3d or NormBase) or to an embedding.</summary>
    public static ParameterGroup[] ParameterGroups(this Module model, DecayPolicy policy = DecayPolicy.ExcludeBiasAndNorm, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (weightDecay is double wd && !(wd >= 0))
            throw new ArgumentException($"ParameterGroups: weightDecay must be non-negative, got {wd}");
        if (policy == DecayPolicy.All) return [new ParameterGroup(model.Parameters(), "all", weightDecay: weightDecay)];
        if (policy != DecayPolicy.ExcludeBiasAndNorm) throw new ArgumentException($"ParameterGroups: unknown policy {policy}");
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p, owner) in Owned(model))
            (ExemptFromDecay(name, owner) ? noDecay : decay).Add(p);
        return [new ParameterGroup(decay, "decay", weightDecay: weightDecay), new ParameterGroup(noDecay, "no_decay", weightDecay: 0, l1Proximal: 0)];
    }

    /// <summary>Every parameter of the tree with its dotted name and the module that registered it (each once).</summary>
    internal static IEnumerable<(string Name, Parameter Parameter, Module Owner)> Owned(Module model)
    {
        var owners = new Dictionary<string, Module>();
        foreach (var (prefix, module) in model.NamedModules()) owners[prefix] = module;
        foreach (var (name, p) in model.NamedParameters())
        {
            int dot = name.LastIndexOf('.');
            yield return (name, p, owners[dot < 0 ? "" : name[..dot]]);
        }
    }

    /// <summary>The no-decay rule of <see cref="DecayPolicy.ExcludeBiasAndNorm"/>.</summary>
    internal static bool ExemptFromDecay(string name, Module owner) =>
        name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal) || IsNormalization(owner) || IsEmbedding(owner);

    static bool IsNormalization(Module m) => m is INormalization || NormName().IsMatch(m.GetType().Name);

    static bool IsEmbedding(Module m) => m is Embedding or EmbeddingBag || m.GetType().Name.EndsWith("Embedding", StringComparison.Ordinal);

    [GeneratedRegex(@"Norm(\dd|Base)?$")]
    private static partial Regex NormName();
}
