using Occam.NN;
using Occam.Regularizers;

namespace Occam.Studies;

/// <summary>The model families the studies, presets and benchmarks build, each with its regularization switches.</summary>
public static class Architectures
{
    /// <summary>Flatten → [Linear → (BatchNorm1d | LayerNorm) → ReLU → (Dropout)] per hidden width → Linear(classes); every
    /// kernel with <paramref name="kernelRegularizer"/> and <paramref name="kernelConstraint"/> when given.</summary>
    public static Sequential Mlp(Generator generator, int inputs = 784, int[]? hidden = null, int classes = 10, float dropout = 0,
        bool batchNorm = false, bool layerNorm = false, Regularizer? kernelRegularizer = null, Constraint? kernelConstraint = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (batchNorm && layerNorm) throw new ArgumentException("Mlp: choose batch norm or layer norm, not both");
        hidden ??= [256, 128];
        var layers = new List<Module> { new Flatten() };
        int width = inputs;
        foreach (int h in hidden)
        {
            layers.Add(new Linear(width, h, generator: generator, kernelRegularizer: kernelRegularizer, kernelConstraint: kernelConstraint));
            if (batchNorm) layers.Add(new BatchNorm1d(h));
            if (layerNorm) layers.Add(new LayerNorm(h));
            layers.Add(new ReLU());
            if (dropout > 0) layers.Add(new Dropout(dropout, generator));
            width = h;
        }
        layers.Add(new Linear(width, classes, generator: generator, kernelRegularizer: kernelRegularizer, kernelConstraint: kernelConstraint));
        return new Sequential([.. layers]);
    }

    /// <summary>Two conv blocks [Conv3×3(pad 1) → (BatchNorm2d | layer norm) → ReLU → MaxPool2] (32 and 64 channels) →
    /// Flatten → (Dropout) → Linear(·, dense) → ReLU → (Dropout) → Linear(classes), for 28×28 inputs; kernels as
    /// <see cref="Mlp"/>'s. The layer norm is GroupNorm with one group: each example normalized over its channels and
    /// pixels, as LayerNorm([C, H, W]) but with one γ and β per channel.</summary>
    public static Sequential Cnn(Generator generator, int channels = 1, int classes = 10, int dense = 128, float dropout = 0,
        bool batchNorm = true, Regularizer? kernelRegularizer = null, int imageSize = 28, Constraint? kernelConstraint = null, bool layerNorm = false)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (batchNorm && layerNorm) throw new ArgumentException("Cnn: choose batch norm or layer norm, not both");
        var layers = new List<Module>();
        int c = channels;
        foreach (int width in new[] { 32, 64 })
        {
            layers.Add(new Conv2d(c, width, 3, padding: 1, generator: generator, kernelRegularizer: kernelRegularizer, kernelConstraint: kernelConstraint));
            if (batchNorm) layers.Add(new BatchNorm2d(width));
            if (layerNorm) layers.Add(new GroupNorm(1, width));
            layers.Add(new ReLU());
            layers.Add(new MaxPool2d(2));
            c = width;
        }
        int side = imageSize / 4;
        layers.Add(new Flatten());
        if (dropout > 0) layers.Add(new Dropout(dropout / 2, generator));
        layers.Add(new Linear(c * side * side, dense, generator: generator, kernelRegularizer: kernelRegularizer, kernelConstraint: kernelConstraint));
        layers.Add(new ReLU());
        if (dropout > 0) layers.Add(new Dropout(dropout, generator));
        layers.Add(new Linear(dense, classes, generator: generator, kernelRegularizer: kernelRegularizer, kernelConstraint: kernelConstraint));
        return new Sequential([.. layers]);
    }

    /// <summary>The MLP of the speed benchmark (issue "beat PyTorch"): Flatten, Linear(784,512), BatchNorm1d, ReLU,
    /// Dropout(0.3), Linear(512,256), BatchNorm1d, ReLU, Dropout(0.3), Linear(256,10).</summary>
    public static Sequential BenchMlp(Generator generator) => Mlp(generator, 784, [512, 256], 10, dropout: 0.3f, batchNorm: true);

    /// <summary>The CNN of the speed benchmark: Conv(1,32,3,p1), BN, ReLU, MaxPool2, Conv(32,64,3,p1), BN, ReLU, MaxPool2,
    /// Flatten, Dropout(0.25), Linear(3136,128), ReLU, Dropout(0.5), Linear(128,10).</summary>
    public static Sequential BenchCnn(Generator generator) => new(
        new Conv2d(1, 32, 3, padding: 1, generator: generator), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, padding: 1, generator: generator), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Dropout(0.25f, generator), new Linear(3136, 128, generator: generator), new ReLU(),
        new Dropout(0.5f, generator), new Linear(128, 10, generator: generator));
}
