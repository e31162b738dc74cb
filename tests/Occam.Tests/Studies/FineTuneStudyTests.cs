using Occam.NN;
using Occam.Optim;
using Occam.Regularizers;
using Occam.Studies;

namespace Occam.Tests.Studies;

/// <summary>The study's fine-tuning scenario: how each configuration builds its model from the pretrained backbone, and
/// the whole scenario on tiny settings (300 pretraining examples, 100 fine-tuning examples, one epoch each).</summary>
public class FineTuneStudyTests
{
    static readonly StudyOptions Tiny = new() { Scenario = StudyScenario.FineTune, PretrainSize = 300, PretrainEpochs = 1, TrainSize = 100, Epochs = 1 };

    static readonly string[] Expected =
        ["full", "frozen-backbone", "backbone-lr", "weight-decay", "l2-sp", "dropout", "label-smoothing", "early-stopping", "augmentation", "combined", "scratch"];

    // Conv(1→32, 3×3), Conv(32→64, 3×3), Linear(3136→128), head Linear(128→5).
    const int BackboneWeights = 32 * 9 + 64 * 32 * 9 + 3136 * 128, HeadWeights = 128 * 5;

    [Fact]
    public void TheScenarioHasTheDocumentedConfigurationsInOrder()
    {
        Assert.Equal(Expected, StudyConfiguration.FineTuning.Select(c => c.Name));
        Assert.Equal(Expected, Tiny.Configurations().Select(c => c.Name));
        Assert.Equal(StudyOptions.DefaultFineTuneEpochs, new StudyOptions { Scenario = StudyScenario.FineTune }.Epochs);
        Assert.Equal(StudyOptions.DefaultEpochs, new StudyOptions().Epochs);
        Assert.Equal(3, new StudyOptions { Epochs = 3, Scenario = StudyScenario.FineTune }.Epochs);
    }

    [Fact]
    public void EveryConfigurationStartsFromThePretrainedBackboneButScratch()
    {
        var source = StudyConfiguration.FineTuning[0].BuildModel(StudyModel.Cnn, 784, FineTuneStudy.Classes, new Generator(7));
        var pretrained = FineTuneStudy.Backbone(source).Select(p => p.Clone()).ToList();
        Assert.Equal(6, pretrained.Count); // two kernels, one dense matrix, their biases
        float[]? head = null;
        foreach (var config in StudyConfiguration.FineTuning)
        {
            var model = FineTuneStudy.BuildModel(config, pretrained, new Generator(1));
            var backbone = FineTuneStudy.Backbone(model).ToList();
            Assert.Equal(pretrained.Count, backbone.Count);
            for (int i = 0; i < backbone.Count; i++)
                if (config.FromScratch) Assert.NotEqual(pretrained[i].ToArray(), backbone[i].ToArray());
                else Assert.Equal(pretrained[i].ToArray(), backbone[i].ToArray());
            // A new head, the same for every configuration (the same seed), not the source model's.
            var weights = FineTuneStudy.Head(model).Parameters().First().ToArray();
            Assert.Equal(HeadWeights, weights.Length);
            Assert.NotEqual(FineTuneStudy.Head(source).Parameters().First().ToArray(), weights);
            Assert.Equal(head ??= weights, weights);
        }
    }

    [Fact]
    public void ConfigurationsFreezeScaleAndPullTheBackboneAsTheyDescribe()
    {
        var source = StudyConfiguration.FineTuning[0].BuildModel(StudyModel.Cnn, 784, FineTuneStudy.Classes, new Generator(7));
        var pretrained = FineTuneStudy.Backbone(source).Select(p => p.Clone()).ToList();
        Sequential Build(string name) => FineTuneStudy.BuildModel(StudyConfiguration.Get(name, StudyScenario.FineTune), pretrained, new Generator(1));

        var frozen = Build("frozen-backbone");
        Assert.All(FineTuneStudy.Backbone(frozen), p => Assert.False(p.RequiresGrad));
        Assert.All(FineTuneStudy.Head(frozen).Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.All(Build("full").Parameters(), p => Assert.True(p.RequiresGrad));

        var l2sp = Build("l2-sp");
        var backbone = FineTuneStudy.Backbone(l2sp).ToList();
        for (int i = 0; i < backbone.Count; i++)
        {
            var penalty = Assert.IsType<L2SP>(backbone[i].Regularizer);
            Assert.Equal(0.01, penalty.Alpha);
            Assert.Equal(pretrained[i].ToArray(), penalty.Reference.ToArray());
        }
        Assert.All(FineTuneStudy.Head(l2sp).Parameters(), p => Assert.Null(p.Regularizer));
        Assert.Equal(0f, Regularization.Penalty(l2sp).Item()); // zero at the pretrained weights
        backbone[0].Span[0] += 1f;
        Assert.Equal(0.01f, Regularization.Penalty(l2sp).Item(), 5);
        Assert.All(Build("full").Parameters(), p => Assert.Null(p.Regularizer));

        var slowed = Build("backbone-lr");
        var optimizer = StudyConfiguration.Get("backbone-lr", StudyScenario.FineTune).BuildOptimizer(slowed, FineTuneStudy.Head(slowed));
        var head = Assert.Single(optimizer.Groups, g => g.Name == "all");
        var slow = Assert.Single(optimizer.Groups, g => g.Name == "backbone_all");
        Assert.Equal(StudyConfiguration.LearningRate, head.Lr);
        Assert.Equal(StudyConfiguration.LearningRate * 0.1, slow.Lr!.Value, 12);
        Assert.Equal(FineTuneStudy.Head(slowed).Parameters(), head.Parameters);
        Assert.Equal(FineTuneStudy.Backbone(slowed), slow.Parameters);
        var full = Build("full");
        Assert.Equal(StudyConfiguration.LearningRate, Assert.Single(StudyConfiguration.Get("full", StudyScenario.FineTune).BuildOptimizer(full, FineTuneStudy.Head(full)).Groups).Lr);
        var decay = Build("weight-decay");
        Assert.IsType<AdamW>(StudyConfiguration.Get("weight-decay", StudyScenario.FineTune).BuildOptimizer(decay, FineTuneStudy.Head(decay)));
        Assert.Equal(2, Build("dropout").NamedModules().Count(m => m.Module is Dropout));
        var combined = StudyConfiguration.Get("combined", StudyScenario.FineTune);
        Assert.Equal((true, 0.1f), (combined.Augmentation, combined.LabelSmoothing));
    }

    [Fact]
    public void RunsTheScenarioOnTinySettings()
    {
        var reports = new List<StudyProgress>();
        var result = Study.Run(Tiny, new Collect(reports));
        Assert.Equal(Expected, result.Runs.Select(r => r.Name));
        Assert.Equal((100, 500, 1000, 300), (result.TrainCount, result.ValidationCount, result.TestCount, result.PretrainCount));
        Assert.Equal(StudyModel.Cnn, result.Options.Model);
        Assert.Equal("full", result.Baseline!.Name);
        var pre = Assert.IsType<StudyRun>(result.Pretraining);
        Assert.Equal(1, pre.EpochsRun);
        Assert.InRange(pre.TestAccuracy, 0.3, 1.0); // five classes: chance is 20%
        Assert.Equal(BackboneWeights + HeadWeights, pre.Weights.Length);
        foreach (var run in result.Runs)
        {
            Assert.Equal(1, run.EpochsRun);
            Assert.Equal(BackboneWeights + HeadWeights, run.Weights.Length);
            foreach (double v in new[] { run.TrainAccuracy, run.ValAccuracy, run.TestAccuracy, run.TrainLoss, run.ValLoss, run.TestLoss, run.L2Norm, run.Seconds })
                Assert.True(double.IsFinite(v) && v >= 0, $"{run.Name}: {v}");
            Assert.Equal(run.TrainAccuracy - run.TestAccuracy, run.Gap, 12);
        }
        // The frozen backbone ends where pretraining left it; full fine-tuning and scratch do not.
        var backbone = pre.Weights[..BackboneWeights];
        Assert.Equal(backbone, result.Find("frozen-backbone")!.Weights[..BackboneWeights]);
        Assert.Equal(0, FineTuneStudy.Drift(result, result.Find("frozen-backbone")!));
        Assert.NotEqual(backbone, result.Find("full")!.Weights[..BackboneWeights]);
        Assert.True(FineTuneStudy.Drift(result, result.Find("full")!) > 0);
        Assert.Null(FineTuneStudy.Drift(result, result.Find("scratch")!));
        Assert.NotEqual(result.Find("full")!.Weights, result.Find("scratch")!.Weights);

        // Progress: run 0 is the pretraining, then one run per configuration (side by side, so they finish in any order).
        Assert.All(reports, p => Assert.Equal(Expected.Length + 1, p.Runs));
        var finished = reports.Where(p => p.Finished).Select(p => p.Name).ToList();
        Assert.Equal("pretrain", finished[0]);
        Assert.Equal(Expected.Order(), finished.Skip(1).Order());

        var reading = string.Join("\n", Study.Reading(result));
        Assert.Contains("Full fine-tuning", reading);
        Assert.Contains("scratch", reading);
        Assert.Contains(FormattableString.Invariant($"{result.Find("full")!.TestAccuracy * 100:F1}%"), reading);

        // Anchored runs with mixed outcomes are judged one by one, not summed up as "did not change"
        var mixed = result with { Runs = result.Runs.Select(r => r.Name switch
        {
            "full" => r with { TestAccuracy = 0.929 },
            "frozen-backbone" => r with { TestAccuracy = 0.594 },
            "backbone-lr" => r with { TestAccuracy = 0.881 },
            "l2-sp" => r with { TestAccuracy = 0.932 },
            _ => r,
        }).ToList() };
        reading = string.Join("\n", Study.Reading(mixed));
        Assert.Contains("Against full fine-tuning's 92.9%, that cost accuracy under frozen-backbone 59.4% and backbone-lr 88.1% and left it within half a point under l2-sp 93.2%.", reading);
        Assert.DoesNotContain("did not change", reading);
        Assert.DoesNotContain("exercise", reading);
    }

    [Fact]
    public void RejectsSettingsTheScenarioCannotRun()
    {
        Assert.Throws<ArgumentException>(() => (Tiny with { Source = StudySource.Csv, CsvPath = "x.csv", LabelColumn = "y" }).Configurations());
        Assert.Throws<ArgumentException>(() => (Tiny with { PretrainEpochs = 0 }).Configurations());
        Assert.Throws<ArgumentException>(() => (Tiny with { PretrainSize = 0 }).Configurations());
        var unknown = Assert.Throws<ArgumentException>(() => (Tiny with { Only = ["none"] }).Configurations()); // the regularization study's baseline
        Assert.Contains("'none'", unknown.Message);
        Assert.Equal(["full", "scratch"], (Tiny with { Only = ["scratch", "FULL"] }).Configurations().Select(c => c.Name));
        var tooMany = Assert.Throws<ArgumentException>(() => Study.Run(Tiny with { TrainSize = 2501 }));
        Assert.Contains("2,500", tooMany.Message);
    }

    sealed class Collect(List<StudyProgress> into) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => into.Add(value);
    }
}
