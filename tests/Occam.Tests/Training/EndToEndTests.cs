using System.Diagnostics;
using Occam.Data;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Training;

namespace Occam.Tests.Training;

/// <summary>From the embedded Fashion-MNIST subset to a trained, regularized model, as a user would write it.</summary>
public class EndToEndTests
{
    [Fact]
    public void MlpWithDropoutReachesEightyPercentOnTheEmbeddedSubsetQuickly()
    {
        var clock = Stopwatch.StartNew();
        var g = new Generator(42);
        var (train, test) = FashionMnist.LoadEmbedded();
        var (fit, validation) = Splits.TrainValidation(train, 0.1, g);
        var model = new Sequential(new Flatten(), new Linear(784, 256, generator: g), new ReLU(), new Dropout(0.2f, g), new Linear(256, 10, generator: g));
        var optimizer = new AdamW(model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm), lr: 2e-3, weightDecay: 0.01);
        var trainer = new Trainer(model, optimizer, new CrossEntropyLoss(labelSmoothing: 0.1f));
        var history = trainer.Fit(new DataLoader(fit, 64, shuffle: true, generator: g), new DataLoader(validation, 256), epochs: 4);
        var result = trainer.Evaluate(new DataLoader(test, 256));
        Assert.True(result["accuracy"] >= 0.80, $"test accuracy {result["accuracy"]:P1}");
        Assert.True(history["val_accuracy"][^1] >= 0.78);
        Assert.True(clock.Elapsed.TotalSeconds < 30, $"took {clock.Elapsed.TotalSeconds:F1} s");
    }
}
