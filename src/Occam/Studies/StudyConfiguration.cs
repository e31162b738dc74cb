using Occam.Data.Augment;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Regularizers;
using Occam.Training.Callbacks;

namespace Occam.Studies;

/// <summary>
/// One configuration of a study, as data: the switches it turns on over the common baseline (the architecture
/// trained with Adam at <see cref="LearningRate"/>, plain cross-entropy), and how they become a model, an optimizer, a
/// loss, callbacks and an augmentation. <see cref="All"/> lists the regularization study's configurations in order,
/// <see cref="FineTuning"/> those of the fine-tuning scenario, whose switches (<see cref="FromScratch"/>,
/// <see cref="FreezeBackbone"/>, <see cref="BackboneLrScale"/>, <see cref="L2SPAlpha"/>) only that scenario reads.
/// </summary>
public sealed record StudyConfiguration(string Name, string Description)
{
    /// <summary>Adam's learning rate, shared by every configuration so that only the regularization differs.</summary>
    public const double LearningRate = 2e-3;

    /// <summary>Penalty attached to every weight matrix and kernel (Keras kernel_regularizer), added to the loss.</summary>
    public Regularizer? KernelRegularizer { get; init; }

    /// <summary>Constraint on every weight matrix or kernel, applied after each step (e.g. <see cref="MaxNorm"/>).</summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>λ of the proximal L1 step θ ← sign(θ)·max(|θ| − lr·λ, 0) after each update of a weight matrix or kernel
    /// (exact zeros; biases and normalization parameters exempt); 0 = off.</summary>
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

    /// <summary>Decay of an exponential moving average of the weights (with warm-up), evaluated in place of the last
    /// weights (<see cref="Ema"/>); 0 = off.</summary>
    public double EmaDecay { get; init; }

    /// <summary>α of MixUp on each training batch (<see cref="MixUp"/>: Beta(α, α) blends of inputs and targets); 0 = off.</summary>
    public float MixUpAlpha { get; init; }

    /// <summary>ρ of sharpness-aware minimization around the optimizer (<see cref="Sam"/>; 0 = off).</summary>
    public double SamRho { get; init; }

    /// <summary>Patience of early stopping on validation loss, restoring the best weights (null = off).</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Fine-tuning only: train from random weights instead of the pretrained backbone (the reference).</summary>
    public bool FromScratch { get; init; }

    /// <summary>Fine-tuning only: the pretrained backbone is frozen (<see cref="Module.Freeze"/>); only the new head trains.</summary>
    public bool FreezeBackbone { get; init; }

    /// <summary>Fine-tuning only: the backbone trains at <see cref="LearningRate"/> × this (1 = the head's rate).</summary>
    public double BackboneLrScale { get; init; } = 1;

    /// <summary>Fine-tuning only: α of the L2-SP penalty α·Σ(w − w₀)² pulling the backbone toward its pretrained
    /// weights w₀ (<see cref="Regularizers.L2SP"/>); 0 = off.</summary>
    public double L2SPAlpha { get; init; }

    /// <summary>What <see cref="BuildAugmentation"/> does to images, and to feature vectors.</summary>
    const string ImageAugmentation = "random shifts of up to 1 pixel (crop after 1-pixel padding) and horizontal flips",
        FeatureAugmentation = "Gaussian noise σ = 0.1 added to the standardized features";

    /// <summary>This configuration as it runs on feature vectors (a CSV table): its description says what its
    /// augmentation does there.</summary>
    public StudyConfiguration ForFeatures() =>
        Augmentation ? this with { Description = Description.Replace(ImageAugmentation, FeatureAugmentation, StringComparison.Ordinal) } : this;

    /// <summary>The study's configurations: the baseline, one per technique at a value from its typical range, and a
    /// combined recipe of the ones that help most on small image data.</summary>
    public static IReadOnlyList<StudyConfiguration> All { get; } =
    [
        new("none", "no regularization: the baseline"),
        new("l2", "L2 penalty 1e-3·Σw² on the weights") { KernelRegularizer = new L2(1e-3) },
        new("l1", "proximal L1, λ = 0.1 on the weights (soft-thresholding after each step; biases and norm parameters exempt, as from the L2 penalty)") { L1Proximal = 0.1 },
        new("elastic-net", "elastic-net penalty 1e-4·Σ|w| + 5e-4·Σw²") { KernelRegularizer = new ElasticNet(1e-4, 5e-4) },
        new("weight-decay", "AdamW, decoupled weight decay 0.1") { WeightDecay = 0.1 },
        new("dropout", "dropout p = 0.3 after each hidden layer") { Dropout = 0.3f },
        new("max-norm", "max-norm: each unit's incoming weights scaled back to L2 norm 1 after any step that takes them past it") { KernelConstraint = new MaxNorm(1) },
        new("batch-norm", "batch normalization after each hidden layer") { BatchNorm = true },
        new("layer-norm", "layer normalization after each hidden layer") { LayerNorm = true },
        new("label-smoothing", "cross-entropy with label smoothing 0.1") { LabelSmoothing = 0.1f },
        new("augmentation", ImageAugmentation) { Augmentation = true },
        new("mixup", "MixUp, α = 0.2: each batch blended with itself shifted by one example, λ ~ Beta(0.2, 0.2), and the targets alike") { MixUpAlpha = 0.2f },
        new("early-stopping", "stop when validation loss has not improved for 5 epochs; restore the best") { EarlyStoppingPatience = 5 },
        new("ema", "exponential moving average of the weights, decay 0.99 with warm-up, evaluated in place of the last weights") { EmaDecay = 0.99 },
        new("sam", "sharpness-aware minimization, ρ = 0.1: each step's gradient from the worst weights nearby") { SamRho = 0.1 },
        new("combined", "proximal L1 0.05 on the weights + dropout 0.3 + label smoothing 0.1 + early stopping (patience 5)")
        {
            L1Proximal = 0.05, Dropout = 0.3f, LabelSmoothing = 0.1f, EarlyStoppingPatience = 5,
        },
    ];

    /// <summary>The fine-tuning scenario's configurations: full fine-tuning of the pretrained CNN without
    /// regularization (the baseline), each technique alone, a combined recipe of the ones that helped on validation, and
    /// training from scratch (the reference). Every one but scratch starts from the pretrained backbone with the same new head.</summary>
    public static IReadOnlyList<StudyConfiguration> FineTuning { get; } =
    [
        new("full", "full fine-tuning, no regularization: the baseline"),
        new("frozen-backbone", "backbone frozen at its pretrained weights; only the new head trains") { FreezeBackbone = true },
        new("backbone-lr", "backbone at 0.1× the head's learning rate") { BackboneLrScale = 0.1 },
        new("weight-decay", "AdamW, decoupled weight decay 0.1 (toward zero)") { WeightDecay = 0.1 },
        new("l2-sp", "L2-SP 0.01·Σ(w − w₀)² on the backbone (toward the pretrained weights w₀)") { L2SPAlpha = 0.01 },
        new("dropout", "dropout p = 0.5 before the head, 0.25 before the dense layer") { Dropout = 0.5f },
        new("label-smoothing", "cross-entropy with label smoothing 0.1") { LabelSmoothing = 0.1f },
        new("early-stopping", "stop when validation loss has not improved for 5 epochs; restore the best") { EarlyStoppingPatience = 5 },
        new("augmentation", ImageAugmentation) { Augmentation = true },
        // The techniques that raised validation accuracy over full fine-tuning in this scenario (embedded data, seed 1);
        // the textbook recipe of backbone lr ×0.1 + L2-SP + augmentation + label smoothing + early stopping lost 4 points there.
        new("combined", "augmentation + label smoothing 0.1: the two that raised validation accuracy most") { Augmentation = true, LabelSmoothing = 0.1f },
        new("scratch", "random initial weights, no regularization: the reference without pretraining") { FromScratch = true },
    ];

    /// <summary>The configurations of <paramref name="scenario"/>, in order.</summary>
    public static IReadOnlyList<StudyConfiguration> For(StudyScenario scenario) => scenario == StudyScenario.FineTune ? FineTuning : All;

    /// <summary>The configuration of <paramref name="scenario"/> named <paramref name="name"/> (case-insensitive), or an
    /// exception listing the names.</summary>
    public static StudyConfiguration Get(string name, StudyScenario scenario = StudyScenario.Regularization)
    {
        ArgumentNullException.ThrowIfNull(name);
        var list = For(scenario);
        return list.FirstOrDefault(c => string.Equals(c.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"StudyConfiguration: unknown configuration '{name}'; known: {string.Join(", ", list.Select(c => c.Name))}");
    }

    /// <summary>The MLP's hidden widths: its first layer's weights are the first <c>MlpHidden[0] × inputs</c> values of a
    /// run's <see cref="StudyRun.Weights"/>, one column per input feature (pixel).</summary>
    public static IReadOnlyList<int> MlpHidden { get; } = [256, 128];

    /// <summary>The model: the MLP (hidden 256, 128) over <paramref name="inputs"/> features, or the two-block CNN for
    /// 28×28 images, with this configuration's dropout, normalization, kernel penalty and constraint (the CNN's layer
    /// norm is <see cref="Architectures.Cnn"/>'s GroupNorm with one group).</summary>
    public Sequential BuildModel(StudyModel model, int inputs, int classes, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (model == StudyModel.Mlp)
            return Architectures.Mlp(generator, inputs, [.. MlpHidden], classes, Dropout, BatchNorm, LayerNorm, KernelRegularizer, KernelConstraint);
        return Architectures.Cnn(generator, 1, classes, 128, Dropout, BatchNorm, KernelRegularizer, kernelConstraint: KernelConstraint, layerNorm: LayerNorm);
    }

    /// <summary>Adam at <see cref="LearningRate"/>; AdamW when <see cref="WeightDecay"/> is set; with the proximal L1
    /// step. Weight decay or proximal L1 splits the parameters into "decay" and "no_decay" (biases and normalization
    /// parameters, neither decayed nor soft-thresholded), so that L1 acts on the weight matrices and kernels alone, as
    /// the kernel penalties of l2 and elastic-net do. Given the <paramref name="head"/> of a fine-tuned model and a
    /// <see cref="BackboneLrScale"/> ≠ 1, every other parameter moves to a "backbone_"-prefixed group at the scaled rate.</summary>
    public Optimizer BuildOptimizer(Module model, Module? head = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        IEnumerable<ParameterGroup> groups = model.ParameterGroups(WeightDecay > 0 || L1Proximal > 0 ? DecayPolicy.ExcludeBiasAndNorm : DecayPolicy.All);
        if (head != null && BackboneLrScale != 1)
        {
            var own = new HashSet<Parameter>(head.Parameters(), ReferenceEqualityComparer.Instance);
            groups = groups.SelectMany(g => new[]
            {
                new ParameterGroup(g.Parameters.Where(own.Contains), g.Name, weightDecay: g.WeightDecay),
                new ParameterGroup(g.Parameters.Where(p => !own.Contains(p)), "backbone_" + g.Name, LearningRate * BackboneLrScale, g.WeightDecay),
            }).ToList();
        }
        return WeightDecay > 0
            ? new AdamW(groups, LearningRate, weightDecay: WeightDecay, l1Proximal: L1Proximal)
            : new Adam(groups, LearningRate, l1Proximal: L1Proximal);
    }

    /// <summary>The weight average of <paramref name="model"/> when <see cref="EmaDecay"/> is set, else null.</summary>
    public Ema? BuildEma(Module model) => EmaDecay > 0 ? new Ema(model, EmaDecay, warmup: true) : null;

    /// <summary>SAM around <paramref name="optimizer"/> when <see cref="SamRho"/> is set, else null.</summary>
    public Sam? BuildSam(Optimizer optimizer) => SamRho > 0 ? new Sam(optimizer, SamRho) : null;

    public ILoss BuildLoss() => new CrossEntropyLoss(labelSmoothing: LabelSmoothing);

    /// <summary>Early stopping when configured (monitor val_loss, restore best weights).</summary>
    public IReadOnlyList<Callback> BuildCallbacks() =>
        EarlyStoppingPatience is int patience ? [new EarlyStopping("val_loss", patience: patience, restoreBestWeights: true)] : [];

    /// <summary>MixUp of each training batch over <paramref name="classes"/> when <see cref="MixUpAlpha"/> is set, else null.</summary>
    public IBatchTransform? BuildBatchTransform(int classes) => MixUpAlpha > 0 ? new MixUp(MixUpAlpha, classes) : null;

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
