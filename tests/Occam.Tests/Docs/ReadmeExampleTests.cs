using Occam.Data;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Regularizers;
using Occam.Training;
using Occam.Training.Callbacks;

namespace Occam.Tests.Docs;

/// <summary>The README's example, kept compiling and working (with fewer epochs).</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void ExampleTrainsAndEvaluates()
    {
        var g = new Generator(42);
        var (train, test) = FashionMnist.LoadEmbedded();
        var (fit, validation) = Splits.TrainValidation(train, 0.1, g);

        var model = new Sequential(
            new Flatten(),
            new Linear(784, 256, generator: g, kernelRegularizer: new L2(1e-4)),
            new BatchNorm1d(256), new ReLU(), new Dropout(0.3f, g),
            new Linear(256, 10, generator: g));
        string summary = model.Summary(1, 28, 28);

        var optimizer = new AdamW(model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm), lr: 1e-3, weightDecay: 0.01);
        var trainer = new Trainer(model, optimizer, new CrossEntropyLoss(labelSmoothing: 0.1f),
            [new EarlyStopping(patience: 3, restoreBestWeights: true)]);
        var history = trainer.Fit(new DataLoader(fit, 64, shuffle: true, generator: g), new DataLoader(validation, 256), epochs: 2);
        double accuracy = trainer.Evaluate(new DataLoader(test, 256))["accuracy"];
        Tensor[] logits = model.Predict(new DataLoader(test, 256).Select(batch => batch.Inputs));

        Assert.Contains("Total params: 204,042 (trainable 204,042, frozen 0)", summary);
        Assert.Equal(2, history.Epochs.Count);
        Assert.True(accuracy > 0.75, $"test accuracy {accuracy}");
        Assert.Equal((test.Count + 255) / 256, logits.Length);
        var labels = new DataLoader(test, 256).Select(batch => batch.Targets).ToArray();
        long correct = logits.Zip(labels, (l, y) => (long)Metrics.CorrectTopK(l, y)).Sum();
        Assert.Equal(accuracy, correct / (double)test.Count, 12);
    }
}
