using System.Globalization;
using Occam.Studies;

namespace Occam.Tests.Studies;

public sealed class AdvisorTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("occam-advisor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static IReadOnlyDictionary<string, double> Epoch(double loss, double acc, double valLoss, double valAcc) =>
        new Dictionary<string, double> { ["loss"] = loss, ["accuracy"] = acc, ["val_loss"] = valLoss, ["val_accuracy"] = valAcc };

    /// <summary>Classic overfitting: training loss falls to ~0, validation loss bottoms out at epoch 9 then climbs.</summary>
    static List<IReadOnlyDictionary<string, double>> OverfittingCurves() => Enumerable.Range(0, 30).Select(e =>
        Epoch(loss: 1.5 * Math.Exp(-e / 5.0),
              acc: 0.6 + 0.39 * (1 - Math.Exp(-e / 5.0)),
              valLoss: 0.9 + 0.004 * (e - 9) * (e - 9),
              valAcc: 0.78 + 0.04 * (1 - Math.Exp(-e / 3.0)))).ToList<IReadOnlyDictionary<string, double>>();

    static HashSet<string> Techniques(Advice a) => a.Recommendations.Select(r => r.Technique).ToHashSet();

    static readonly HashSet<string> Vocabulary =
    [
        "weight_decay", "l2", "l1", "dropout", "augmentation", "early_stopping", "label_smoothing", "batch_norm",
        "more_data", "reduce_regularization", "increase_capacity", "train_longer", "lower_learning_rate", "gradient_clipping",
    ];

    [Fact]
    public void RisingValidationLossAndAGapAreOverfittingWithEarlyStoppingAtTheBestEpoch()
    {
        var advice = Advisor.Diagnose(OverfittingCurves());
        Assert.Equal("overfitting", advice.Diagnosis);
        Assert.Equal(9, advice.BestEpoch);
        var early = advice.Recommendations.Single(r => r.Technique == "early_stopping");
        Assert.Equal(10, early.Value); // train best + 1 epochs
        Assert.Contains("weight_decay", Techniques(advice));
        Assert.Contains("dropout", Techniques(advice));
        Assert.All(advice.Recommendations, r => { Assert.Contains(r.Technique, Vocabulary); Assert.False(string.IsNullOrWhiteSpace(r.Why)); });
    }

    [Fact]
    public void OverfittingSeenOnlyInTheValidationLossCitesItsRiseNotTheGap()
    {
        // Validation accuracy stays 3.6 points above training (dropout-like), but the validation loss is lowest at epoch 8
        // and then climbs while the training loss keeps falling.
        var epochs = Enumerable.Range(0, 20).Select(e => Epoch(loss: 1.0 * Math.Exp(-e / 8.0), acc: 0.80, valLoss: 0.6 + 0.003 * (e - 7) * (e - 7), valAcc: 0.836))
            .ToList<IReadOnlyDictionary<string, double>>();
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("overfitting", advice.Diagnosis);
        Assert.Equal(7, advice.BestEpoch);
        Assert.DoesNotContain("fits its training data better than it generalizes", advice.Reading);
        Assert.Contains("Overfitting (moderate) seen in the loss: the validation loss rose ", advice.Reading);
        Assert.Contains("after its lowest at epoch 8 of 20 while the training loss kept falling, though training accuracy does not exceed validation (gap -3.6 points).", advice.Reading);
        var decay = advice.Recommendations.Single(r => r.Technique == "weight_decay");
        Assert.StartsWith("validation loss rose ", decay.Why);
        Assert.DoesNotContain("exceeds", decay.Why);
        Assert.DoesNotContain("-3.6", decay.Why);
        // a history without accuracy: the loss ratio stays under its threshold, so the rise is again the symptom
        var lossOnly = Enumerable.Range(0, 20).Select(e => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["loss"] = e <= 7 ? 1.0 - 0.06 * e : 0.58 - 0.005 * (e - 7), ["val_loss"] = 0.6 + 0.001 * (e - 7) * (e - 7),
        }).ToList();
        var noAcc = Advisor.Diagnose(lossOnly);
        Assert.Equal("overfitting", noAcc.Diagnosis);
        Assert.StartsWith("validation loss rose ", noAcc.Recommendations.Single(r => r.Technique == "weight_decay").Why);
        Assert.DoesNotContain("accuracy gap", noAcc.Reading);
    }

    [Fact]
    public void TheSeedExerciseFineTuningOnAThousandExamplesIsSevereOverfitting()
    {
        // Fine-tuning on 1,000 examples: training accuracy climbs to 98%, validation stalls at 75%, its loss turns up.
        var epochs = new List<IReadOnlyDictionary<string, double>>();
        double[] trainAcc = [0.62, 0.74, 0.83, 0.89, 0.93, 0.95, 0.965, 0.975, 0.98, 0.98];
        double[] valAcc = [0.66, 0.71, 0.74, 0.75, 0.755, 0.75, 0.75, 0.748, 0.75, 0.75];
        double[] valLoss = [0.95, 0.80, 0.74, 0.72, 0.73, 0.77, 0.82, 0.88, 0.93, 0.97];
        for (int e = 0; e < 10; e++) epochs.Add(Epoch(-Math.Log(trainAcc[e]) * 1.5, trainAcc[e], valLoss[e], valAcc[e]));

        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("overfitting", advice.Diagnosis);
        Assert.Equal(3, advice.BestEpoch);
        var techniques = Techniques(advice);
        foreach (var t in new[] { "weight_decay", "dropout", "augmentation", "early_stopping", "more_data", "label_smoothing" })
            Assert.Contains(t, techniques);
        var byName = advice.Recommendations.ToDictionary(r => r.Technique);
        Assert.Equal(4, byName["early_stopping"].Value);
        Assert.Equal(0.1, byName["weight_decay"].Value);   // severe: gap of 23 points
        Assert.Equal(0.5, byName["dropout"].Value);
        Assert.Equal(0.1, byName["label_smoothing"].Value);
        Assert.Contains("23", advice.Reading);
    }

    [Fact]
    public void TheSeedExerciseAsOneSummaryRowIsOverfittingToo()
    {
        var advice = Advisor.Diagnose([Epoch(0.06, 0.98, 0.9, 0.75)]);
        Assert.Equal("overfitting", advice.Diagnosis);
        Assert.Equal(0, advice.BestEpoch);
        Assert.Contains("early_stopping", Techniques(advice));
    }

    [Fact]
    public void PoorFlatCurvesAreUnderfitting()
    {
        var epochs = Enumerable.Range(0, 20).Select(e =>
            Epoch(1.2 + 0.3 * Math.Exp(-e), 0.55 + 0.05 * (1 - Math.Exp(-e)), 1.22 + 0.3 * Math.Exp(-e), 0.56 + 0.05 * (1 - Math.Exp(-e))))
            .ToList<IReadOnlyDictionary<string, double>>();
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("underfitting", advice.Diagnosis);
        var techniques = Techniques(advice);
        Assert.Contains("increase_capacity", techniques);
        Assert.Contains("reduce_regularization", techniques);
        Assert.DoesNotContain("dropout", techniques);
    }

    [Fact]
    public void UnderfittingQuotesTheAveragedTrainingAccuracyItDecidesOn()
    {
        // the last epoch reaches 81%, the mean of the last three (the decision's figure) is 79.0%
        double[] acc = [0.60, 0.70, 0.77, 0.79, 0.77, 0.81];
        var epochs = acc.Select(a => Epoch(1 - a, a, 1.02 - a, a - 0.01)).ToList();
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("underfitting", advice.Diagnosis);
        Assert.Contains("Training accuracy averages 79.0% over the last 3 epochs, below 80.0%", advice.Reading);
        Assert.DoesNotContain("stays below", advice.Reading);
    }

    [Fact]
    public void ARunWithoutRegularizationIsNotToldToReduceIt()
    {
        var epochs = Enumerable.Range(0, 20).Select(e =>
            Epoch(1.2 + 0.3 * Math.Exp(-e), 0.55 + 0.05 * (1 - Math.Exp(-e)), 1.22 + 0.3 * Math.Exp(-e), 0.56 + 0.05 * (1 - Math.Exp(-e))))
            .ToList<IReadOnlyDictionary<string, double>>();
        Assert.Contains("reduce_regularization", Techniques(Advisor.Diagnose(epochs)));
        Assert.Contains("reduce_regularization", Techniques(Advisor.Diagnose(epochs, regularized: true)));
        var advice = Advisor.Diagnose(epochs, regularized: false);
        Assert.Equal("underfitting", advice.Diagnosis);
        Assert.DoesNotContain("reduce_regularization", Techniques(advice));
        Assert.Contains("increase_capacity", Techniques(advice));
    }

    [Fact]
    public void ValidationBeatsTrainingOnlyAgainstTheValidationBeforeEachEpoch()
    {
        // Still learning: the running training accuracy of each epoch trails its end-of-epoch validation by 4 points,
        // but not the validation measured before the epoch (the previous one's): the lag of a running mean.
        var learning = Enumerable.Range(0, 6).Select(e => Epoch(1.5 - 0.1 * e, 0.50 + 0.05 * e, 1.45 - 0.1 * e, 0.54 + 0.05 * e)).ToList();
        var advice = Advisor.Diagnose(learning);
        Assert.Equal("underfitting", advice.Diagnosis);
        Assert.DoesNotContain("validation accuracy beats training", advice.Recommendations.Single(r => r.Technique == "reduce_regularization").Why);

        // Plateaued with strong dropout: training stays 8 points below validation, epoch after epoch.
        var regularized = Enumerable.Range(0, 6).Select(e => Epoch(1.2, 0.62, 1.0, 0.70)).ToList();
        advice = Advisor.Diagnose(regularized);
        Assert.Contains("validation accuracy beats training by more than 2 points in each of the last epochs",
            advice.Recommendations.Single(r => r.Technique == "reduce_regularization").Why);
    }

    [Fact]
    public void CurvesStillFallingWhenTrainingStoppedAskForMoreEpochs()
    {
        var epochs = Enumerable.Range(0, 8).Select(e =>
            Epoch(1.0 - 0.1 * e, 0.85 + 0.01 * e, 1.02 - 0.1 * e, 0.84 + 0.01 * e)).ToList<IReadOnlyDictionary<string, double>>();
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("underfitting", advice.Diagnosis);
        Assert.Equal(7, advice.BestEpoch);
        Assert.Equal(18, advice.Recommendations.Single(r => r.Technique == "train_longer").Value);
    }

    [Fact]
    public void CloseConvergedCurvesAreAGoodFit()
    {
        var epochs = Enumerable.Range(0, 20).Select(e =>
            Epoch(0.3 + 0.7 * Math.Exp(-e / 2.0), 0.92 - 0.3 * Math.Exp(-e / 2.0), 0.33 + 0.7 * Math.Exp(-e / 2.0), 0.90 - 0.3 * Math.Exp(-e / 2.0)))
            .ToList<IReadOnlyDictionary<string, double>>();
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("good-fit", advice.Diagnosis);
        Assert.DoesNotContain("dropout", Techniques(advice));
    }

    [Fact]
    public void LossOnlyHistoriesAreDiagnosedFromTheLosses()
    {
        // Regression: training MSE keeps falling, validation MSE bottoms out at epoch 5 and climbs.
        var over = Enumerable.Range(0, 25).Select(e => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["loss"] = 2.0 * Math.Exp(-e / 4.0), ["val_loss"] = 0.8 + 0.01 * (e - 5) * (e - 5),
        }).ToList();
        var a = Advisor.Diagnose(over);
        Assert.Equal("overfitting", a.Diagnosis);
        Assert.Equal(5, a.BestEpoch);
        Assert.DoesNotContain("label_smoothing", Techniques(a));

        var flat = Enumerable.Range(0, 25).Select(e => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["loss"] = 1.0 + 0.2 * Math.Exp(-e), ["val_loss"] = 1.05 + 0.2 * Math.Exp(-e),
        }).ToList();
        Assert.Equal("underfitting", Advisor.Diagnose(flat).Diagnosis);

        var good = Enumerable.Range(0, 25).Select(e => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["loss"] = 0.1 + 2 * Math.Exp(-e / 2.0), ["val_loss"] = 0.12 + 2 * Math.Exp(-e / 2.0),
        }).ToList();
        Assert.Equal("good-fit", Advisor.Diagnose(good).Diagnosis);
    }

    [Fact]
    public void ReadsAKerasCsvLoggerFileWithExtraColumns()
    {
        var path = Path.Combine(_dir, "training.log");
        var lines = new List<string> { "epoch,accuracy,learning_rate,loss,top_k,val_accuracy,val_loss" };
        var curves = OverfittingCurves();
        for (int e = 0; e < curves.Count; e++)
        {
            var c = curves[e];
            lines.Add(string.Join(",", e.ToString(CultureInfo.InvariantCulture), F(c["accuracy"]), "0.001", F(c["loss"]), "\"[1, 2]\"",
                F(c["val_accuracy"]), F(c["val_loss"])));
        }
        File.WriteAllLines(path, lines);

        var epochs = Advisor.ReadHistoryCsv(path);
        Assert.Equal(30, epochs.Count);
        Assert.False(epochs[0].ContainsKey("epoch"));
        Assert.False(epochs[0].ContainsKey("top_k"));
        Assert.Equal(0.001, epochs[0]["learning_rate"]);
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("overfitting", advice.Diagnosis);
        Assert.Equal(9, advice.BestEpoch);

        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    [Fact]
    public void PercentAccuraciesAndSemicolonsAreRead()
    {
        var path = Path.Combine(_dir, "h.csv");
        File.WriteAllLines(path, ["epoch;loss;acc;val_loss;val_acc", "0;0.5;80;0.52;79", "1;0.2;98;0.9;75", "2;0.1;99;1.1;75"]);
        var advice = Advisor.Diagnose(Advisor.ReadHistoryCsv(path));
        Assert.Equal("overfitting", advice.Diagnosis);
        Assert.Equal(0, advice.BestEpoch);
    }

    [Fact]
    public void MissingValidationColumnsSayWhatIsNeeded()
    {
        var path = Path.Combine(_dir, "train-only.csv");
        File.WriteAllLines(path, ["epoch,accuracy,loss", "0,0.5,1.2", "1,0.7,0.8"]);
        var e = Assert.Throws<InvalidDataException>(() => Advisor.ReadHistoryCsv(path));
        Assert.Contains("val_loss", e.Message);
        Assert.Contains("val_accuracy", e.Message);
        Assert.Contains("train-only.csv", e.Message);

        var a = Assert.Throws<ArgumentException>(() => Advisor.Diagnose([new Dictionary<string, double> { ["loss"] = 1 }]));
        Assert.Contains("val_loss", a.Message);
        Assert.Throws<FileNotFoundException>(() => Advisor.ReadHistoryCsv(Path.Combine(_dir, "nope.csv")));
    }

    [Fact]
    public void AValidationLossFallingToTheLastEpochHasNotRisen()
    {
        // val_loss falls every epoch; the smoothed final value is above the minimum, but nothing came after the best epoch
        double[] val = [0.805, 0.62, 0.52, 0.47, 0.433];
        var epochs = val.Select((v, e) => Epoch(loss: v - 0.05, acc: 0.70 + 0.05 * e, valLoss: v, valAcc: 0.69 + 0.05 * e)).ToList();
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal(4, advice.BestEpoch);
        Assert.Contains("Validation loss was lowest (0.433) at epoch 5 of 5. ", advice.Reading);
        Assert.DoesNotContain("risen", advice.Reading);
    }

    [Fact]
    public void ANaNLossAtTheEndIsADivergedRun()
    {
        var epochs = new List<IReadOnlyDictionary<string, double>>
        {
            Epoch(1.2, 0.6, 1.1, 0.62), Epoch(0.9, 0.7, 0.95, 0.68), Epoch(double.NaN, double.NaN, double.NaN, double.NaN),
        };
        var advice = Advisor.Diagnose(epochs);
        Assert.Equal("diverged", advice.Diagnosis);
        Assert.Contains("not a number", advice.Reading);
        Assert.Equal(["lower_learning_rate", "gradient_clipping"], advice.Recommendations.Select(r => r.Technique));
        Assert.Subset(Vocabulary, Techniques(advice));

        var path = Path.Combine(_dir, "nan.csv");
        File.WriteAllLines(path, ["epoch,loss,val_loss", "0,1.2,1.1", "1,NaN,NaN"]);
        Assert.Equal("diverged", Advisor.Diagnose(Advisor.ReadHistoryCsv(path)).Diagnosis);
    }

    [Fact]
    public void ANonNumericLossOrAccuracyCellIsAnError()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllLines(path, ["epoch,loss,val_loss,note", "0,1.2,1.1,warm-up", "1,0.9,abc,"]);
        var e = Assert.Throws<InvalidDataException>(() => Advisor.ReadHistoryCsv(path));
        Assert.Contains("bad.csv', row 2: the val_loss cell 'abc' is not a number", e.Message);
    }
}
