using Occam.Data.Augment;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Regularizers;
using Occam.Training.Callbacks;

namespace Occam.Studies;

/// <summary>
/// One configuration of the regularization study, as data: the switches it turns on over the common baseline
/// (the architecture trained with Adam, lr 1e-3, plain cross-entropy), and how they become a model, an optimizer, a
/// loss, callbacks and an augmentation. <see cref="All"/> lists the study's configurations in order.
/// </summary>
public sealed record StudyConfiguration(string Name, string Description)
{
    /// <summary>Adam's learning rate, shared by every configuration so that only the regularization differs.</summary>
    public const double LearningRate = 2e-3;

    /// <summary>Penalty attached to every weight matrix and kernel (Keras kernel_regularizer), added to the loss.</summary>
    public Regularizer? KernelRegularizer { get; init; }

    /// <summary>λ of the proximal L1 step θ ← sign(θ)·max(|θ| − lr·λ, 0) after each update (exact zeros); 0 = off.</summary>
    public double L1Proximal { get; init; }

    /// <summary>Decoupled weight decay λ (AdamW, θ ← θ − lr·λ·θ, biases and norm parameters exempt); 0 = plain Adam.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Dropout probability after each hidden activation (0 = none).</summary>
    public float Dropout { get; init; }

    public bool BatchNorm { get; init; }

    public bool LayerNorm { get; init; }

    /// <summary>Label smoothing ε of the cross-entropy (0 = none).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Random training-time transforms: shifted crops and flips for images, Gaussian feature noise for tables.</summary>
    public bool Augmentation { get; init; }

    /// <summary>Patience of early stopping on validation loss, restoring the best weights (null = off).</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>The study's configurations: the baseline, one per technique at a value from its typical range, and a
    /// combined recipe of the ones that help most on small image data.</summary>
    public static IReadOnlyList<StudyConfiguration> All { get; } =
    [
        new("none", "no regularization: the baseline"),
        new("l2", "L2 penalty 1e-3·Σw² on the weights") { KernelRegularizer = new L2(1e-3) },
        new("l1", "proximal L1, λ = 0.1 (soft-thresholding after each step)") { L1Proximal = 0.1 },
        new("elastic-net", "elastic-net penalty 1e-4·Σ|w| + 5e-4·Σw²") { KernelRegularizer = new ElasticNet(1e-4, 5e-4) },
        new("weight-decay", "AdamW, decoupled weight decay 0.1") { WeightDecay = 0.1 },
        new("dropout", "dropout p = 0.3 after each hidden layer") { Dropout = 0.3f },
        new("batch-norm", "batch normalization after each hidden layer") { BatchNorm = true },
        new("layer-norm", "layer normalization after each hidden layer") { LayerNorm = true },
        new("label-smoothing", "cross-entropy with label smoothing 0.1") { LabelSmoothing = 0.1f },
        new("augmentation", "random shifts of up to 1 pixel (crop after 1-pixel padding) and horizontal flips") { Augmentation = true },
        new("early-stopping", "stop when validation loss has not improved for 5 epochs; restore the best") { EarlyStoppingPatience = 5 },
        new("combined", "proximal L1 0.05 + dropout 0.3 + label smoothing 0.1 + early stopping (patience 5)")
        {
            L1Proximal = 0.05, Dropout = 0.3f, LabelSmoothing = 0.1f, EarlyStoppingPatience = 5,
        },
    ];

    /// <summary>The configuration named <paramref name="name"/> (case-insensitive), or an exception listing the names.</summary>
    public static StudyConfiguration Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(c => string.Equals(c.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"StudyConfiguration: unknown configuration '{name}'; known: {string.Join(", ", All.Select(c => c.Name))}");
    }

    /// <summary>The model: the MLP (hidden 256, 128) over <paramref name="inputs"/> features, or the two-block CNN for
    /// 28×28 images, with this configuration's dropout, normalization and kernel penalty. The CNN's layer norm is
    /// GroupNorm with one group (normalizes each example over channels and pixels, as LayerNorm([C, H, W])).</summary>
    public Sequential BuildModel(StudyModel model, int inputs, int classes, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (model == StudyModel.Mlp)
            return Architectures.Mlp(generator, inputs, [256, 128], classes, Dropout, BatchNorm, LayerNorm, KernelRegularizer);
        var cnn = Architectures.Cnn(generator, 1, classes, 128, Dropout, BatchNorm || LayerNorm, KernelRegularizer);
        if (!LayerNorm) return cnn;
        var layers = Enumerable.Range(0, cnn.Count).Select(i => cnn[i] is BatchNorm2d bn ? new GroupNorm(1, bn.NumFeatures) : cnn[i]);
        return new Sequential([.. layers]);
    }

    /// <summary>Adam at <see cref="LearningRate"/>; AdamW when <see cref="WeightDecay"/> is set; with the proximal L1 step.</summary>
    public Optimizer BuildOptimizer(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return WeightDecay > 0
            ? new AdamW(model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm), LearningRate, weightDecay: WeightDecay, l1Proximal: L1Proximal)
            : new Adam(model.Parameters(), LearningRate, l1Proximal: L1Proximal);
    }

    public ILoss BuildLoss() => new CrossEntropyLoss(labelSmoothing: LabelSmoothing);

    /// <summary>Early stopping when configured (monitor val_loss, restore best weights).</summary>
    public IReadOnlyList<Callback> BuildCallbacks() =>
        EarlyStoppingPatience is int patience ? [new EarlyStopping("val_loss", patience: patience, restoreBestWeights: true)] : [];

    /// <summary>The training-time transform: for [1, 28, 28] images a random crop after 1 pixel of zero padding (shifts
    /// of up to 1 pixel) and a horizontal flip; for feature vectors (standardized) Gaussian noise σ = 0.1.</summary>
    public ITransform? BuildAugmentation(bool images) =>
        !Augmentation ? null
        : images ? new Compose(new RandomCrop(28, padding: 1), new RandomHorizontalFlip())
        : new Data.Augment.GaussianNoise(sigma: 0.1f, clip: false);
}

/// <summary>The architectures a study can train.</summary>
public enum StudyModel
{
    Mlp,
    Cnn,
}
