using Occam.Data;
using Occam.NN;
using Occam.Regularizers;
using static Occam.Studies.Study;

namespace Occam.Studies;

/// <summary>
/// The study's fine-tuning scenario (<see cref="StudyScenario.FineTune"/>): the CNN (no batch norm, so a frozen layer
/// is entirely fixed) is pretrained once on Fashion-MNIST classes 0–4; then each configuration of
/// <see cref="StudyConfiguration.FineTuning"/> builds a fresh model with a new 5-way head, loads the pretrained backbone
/// (every layer but the head), applies its freezing, learning rates, L2-SP and the usual techniques, and is fine-tuned on
/// a few examples of classes 5–9 (relabelled 0–4); "scratch" trains the same model from random weights. Every
/// configuration starts from the same head and sees the same batches.
/// </summary>
internal static class FineTuneStudy
{
    /// <summary>Classes per task: pretraining on 0–4, fine-tuning on 5–9.</summary>
    public const int Classes = 5;

    /// <summary>Weights of the CNN's head (its dense layer has 128 units, see <see cref="StudyConfiguration.BuildModel"/>).</summary>
    const int HeadWeights = 128 * Classes;

    static readonly StudyConfiguration Pretrain = new("pretrain", "pretraining on classes 0–4 (T-shirt/top, trouser, pullover, dress, coat), no regularization");

    public static StudyResult Run(StudyOptions options, IProgress<StudyProgress>? progress)
    {
        var configurations = options.Configurations();
        options = options with { Model = StudyModel.Cnn };
        var (pretrainData, data) = Load(options);
        int count = configurations.Count + 1;
        var pretrained = Pretrain.BuildModel(StudyModel.Cnn, 784, Classes, new Generator(options.Seed + 3));
        var pretraining = Train(Pretrain, pretrained, Pretrain.BuildOptimizer(pretrained), options, pretrainData, options.PretrainEpochs, 0, count, progress);
        var backbone = Backbone(pretrained).Select(p => p.Clone()).ToList();
        var runs = Study.SideBySide(configurations.Count, progress, (i, report) =>
        {
            var config = configurations[i];
            // The same seed for every configuration: the same new head (and, for scratch, backbone) and batch order.
            var model = BuildModel(config, backbone, new Generator(options.Seed));
            return Train(config, model, config.BuildOptimizer(model, Head(model)), options, data, options.Epochs, i + 1, count, report);
        });
        return new StudyResult(options, data.Description, data.Train.Count, data.Validation.Count, data.Test.Count, runs) { Pretraining = pretraining, PretrainCount = pretrainData.Train.Count };
    }

    /// <summary>A fresh CNN with <paramref name="config"/>'s dropout and a new head for 5 classes. Unless the configuration
    /// trains from scratch, its backbone takes the <paramref name="pretrained"/> values (the pretrained model's parameters
    /// but the head's, in order) and is then frozen or given L2-SP toward them, as configured.</summary>
    public static Sequential BuildModel(StudyConfiguration config, IReadOnlyList<Tensor> pretrained, Generator generator)
    {
        var model = config.BuildModel(StudyModel.Cnn, 784, Classes, generator);
        if (config.FromScratch) return model;
        // By position, not by dotted name: dropout layers shift the indices in the names.
        var backbone = Backbone(model).ToList();
        if (backbone.Count != pretrained.Count) throw new ArgumentException($"FineTuneStudy: the backbone has {backbone.Count} parameters, the pretrained one {pretrained.Count}");
        for (int i = 0; i < backbone.Count; i++)
        {
            if (!backbone[i].Shape.SequenceEqual(pretrained[i].Shape))
                throw new ArgumentException($"FineTuneStudy: backbone parameter {i} has shape {Shape.Format(backbone[i].Shape)}, the pretrained one {Shape.Format(pretrained[i].Shape)}");
            backbone[i].CopyFrom(pretrained[i]);
        }
        var layers = model.NamedChildren().SkipLast(1).ToList();
        if (config.FreezeBackbone) foreach (var (_, layer) in layers) layer.Freeze();
        if (config.L2SPAlpha > 0) L2SP.Attach(model, config.L2SPAlpha, [.. layers.Select(l => l.Name + ".")]);
        return model;
    }

    /// <summary>The head: the model's last layer.</summary>
    public static Module Head(Sequential model) => model[model.Count - 1];

    /// <summary>Every parameter but the head's, in order.</summary>
    public static IEnumerable<Parameter> Backbone(Sequential model)
    {
        var head = new HashSet<Parameter>(Head(model).Parameters(), ReferenceEqualityComparer.Instance);
        return model.Parameters().Where(p => !head.Contains(p));
    }

    /// <summary>The two tasks. Pretraining: classes 0–4 of the training pool, 1/6 of each class held out for validation,
    /// the rest (or <see cref="StudyOptions.PretrainSize"/> of it) for training, and the test images of classes 0–4.
    /// Fine-tuning: classes 5–9 relabelled 0–4, 1/6 of each class held out for validation, <see cref="StudyOptions.TrainSize"/>
    /// (default <see cref="StudyOptions.DefaultFineTuneTrainSize"/>) of the rest for training, and the test images of
    /// classes 5–9. Every subset is drawn at random with the seed, evenly over the classes.</summary>
    static (StudyData Pretrain, StudyData FineTune) Load(StudyOptions options)
    {
        var g = new Generator(options.Seed + 2);
        var (pool, test) = options.Source == StudySource.Embedded ? FashionMnist.LoadEmbedded() : FashionMnist.Load(options.DataRoot);
        string name = options.Source == StudySource.Embedded ? "the embedded Fashion-MNIST subset" : "Fashion-MNIST";
        return (Task(pool, test, 0, options.PretrainSize, null, "pretraining size", g, name),
                Task(pool, test, Classes, options.TrainSize, StudyOptions.DefaultFineTuneTrainSize, "train size", g, name));
    }

    static StudyData Task(IDataset pool, IDataset test, int first, int? size, int? defaultSize, string what, Generator g, string name)
    {
        var (examples, labels) = Select(pool, first);
        var (validation, rest) = Stratified(labels, Enumerable.Range(0, labels.Length).ToArray(), labels.Length / 6, g);
        int n = size ?? Math.Min(defaultSize ?? rest.Length, rest.Length);
        if (n > rest.Length)
            throw new ArgumentException($"Study: {what} {n:N0} exceeds the {rest.Length:N0} examples of classes {first}–{first + Classes - 1} available for training");
        var (train, _) = Stratified(labels, rest, n, g);
        return new StudyData(new Subset(examples, train), new Subset(examples, validation), Select(test, first).Data, 784, Classes, true,
            $"{name}, classes {first}–{first + Classes - 1}");
    }

    /// <summary>The examples of classes <paramref name="first"/> … first + 4, relabelled 0–4, copied into a tensor dataset.</summary>
    static (TensorDataset Data, int[] Labels) Select(IDataset source, int first)
    {
        var inputs = new List<float>();
        var labels = new List<int>();
        int[]? shape = null;
        for (int i = 0; i < source.Count; i++)
        {
            var (input, target) = source.Get(i);
            int label = (int)target.Item() - first;
            if (label < 0 || label >= Classes) continue;
            shape ??= input.Shape;
            inputs.AddRange(input.ToArray());
            labels.Add(label);
        }
        if (shape == null) throw new InvalidDataException($"Study: the data hold no examples of classes {first}–{first + Classes - 1}");
        var data = new TensorDataset(new Tensor([.. inputs], [labels.Count, .. shape]), new Tensor([.. labels.Select(l => (float)l)], [labels.Count]));
        return (data, [.. labels]);
    }

    /// <summary>Picks <paramref name="n"/> of <paramref name="candidates"/> at random, one class after another in turn, so
    /// the classes are as even as their counts allow; returns the picked and the others, each in ascending order.</summary>
    static (int[] Picked, int[] Others) Stratified(int[] labels, int[] candidates, int n, Generator g)
    {
        var byClass = candidates.GroupBy(i => labels[i]).OrderBy(c => c.Key).Select(c => c.ToArray()).ToList();
        foreach (var members in byClass) g.Shuffle(members.AsSpan());
        var picked = new List<int>(n);
        for (int round = 0; picked.Count < n; round++)
            foreach (var members in byClass)
                if (round < members.Length && picked.Count < n) picked.Add(members[round]);
        var set = picked.ToHashSet();
        return ([.. picked.Order()], [.. candidates.Where(i => !set.Contains(i)).Order()]);
    }

    /// <summary>How far a fine-tuned backbone moved from the pretrained one: ‖w − w₀‖/‖w₀‖ over the weight matrices and
    /// kernels (null without pretraining or for scratch).</summary>
    public static double? Drift(StudyResult result, StudyRun run)
    {
        if (result.Pretraining is not { } pretraining || run.Configuration.FromScratch) return null;
        int n = pretraining.Weights.Length - HeadWeights;
        double distance = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double w0 = pretraining.Weights[i], d = run.Weights[i] - w0;
            distance += d * d;
            norm += w0 * w0;
        }
        return Math.Sqrt(distance / norm);
    }

    /// <summary>The written reading of the fine-tuning scenario: it answers the exercise "fine-tuning on 1,000 examples,
    /// training accuracy 98%, validation 75% — which regularization would you apply, and why?" with the measured numbers:
    /// how full fine-tuning overfits (accuracy gap, validation loss) against pretraining, which configurations closed the
    /// gap, how far each moved the backbone from its pretrained weights and what that did, what pretraining is worth over
    /// training from scratch, and the answer chosen on validation accuracy. One paragraph per string.</summary>
    public static IReadOnlyList<string> Reading(StudyResult result)
    {
        var paragraphs = new List<string>();
        var pre = result.Pretraining;
        var full = result.Find("full");
        var scratch = result.Find("scratch");
        var others = result.Runs.Where(r => r.Name is not ("full" or "scratch")).ToList();
        if (pre != null)
            paragraphs.Add(F($"The CNN was pretrained on {result.PretrainCount:N0} images of classes 0–4 (T-shirt/top, trouser, pullover, dress, coat) for {pre.EpochsRun} epochs and reached {Pct(pre.TestAccuracy)} test accuracy on those classes. Each configuration but scratch then kept the pretrained convolutions and dense layer, put a new 5-way head on them and trained on {result.TrainCount:N0} examples of classes 5–9 (sandal, shirt, sneaker, bag, ankle boot)."));
        if (full != null)
            paragraphs.Add(Overfitting(result, full, pre, scratch));
        if (others.Count > 0)
            paragraphs.Add(Comparison(result, full, scratch, others));
        if (full != null && Drift(result, full) is double moved)
            paragraphs.Add(Anchoring(result, full, moved));
        if (full != null && scratch != null)
        {
            double worth = full.TestAccuracy - scratch.TestAccuracy;
            paragraphs.Add(F($"Training from scratch on the same examples reached {Pct(scratch.TestAccuracy)} test accuracy (gap {Points(scratch.Gap)}), against {Pct(full.TestAccuracy)} for full fine-tuning: pretraining is worth {Signed(worth, " points")} here") +
                (worth < 0.02 ? " — little: as the frozen backbone showed, features learned on tops, trousers, dresses and coats say little about sandals, sneakers, ankle boots and bags." : "."));
        }
        if (full != null && others.Count > 0)
            paragraphs.Add(Answer(result, full, others));
        return paragraphs;
    }

    /// <summary>Full fine-tuning's gap and validation loss, against the textbook case and against pretraining.</summary>
    static string Overfitting(StudyResult result, StudyRun full, StudyRun? pre, StudyRun? scratch)
    {
        string s = F($"Full fine-tuning without regularization fits the {result.TrainCount:N0} examples to {Pct(full.TrainAccuracy)} accuracy but reaches {Pct(full.ValAccuracy)} on validation and {Pct(full.TestAccuracy)} on test, a gap of {Points(full.Gap)}");
        s += full.Gap >= 0.10
            ? " — the textbook case of a pretrained network fine-tuned on 1,000 examples (98% train, 75% validation)."
            : full.TestAccuracy >= 0.90
                ? " — far less than the 23 points of the textbook case (98% train, 75% validation after fine-tuning on 1,000 examples): these five classes are easy to tell apart" +
                  (scratch == null ? "" : F($" (training from scratch on the same examples reaches {Pct(scratch.TestAccuracy)})")) + ", so accuracy has little room to fall."
                : " — less than the 23 points of the textbook case (98% train, 75% validation after fine-tuning on 1,000 examples).";
        double rise = Rise(full);
        if (full.BestEpoch < full.EpochsRun && rise > MeaningfulRise)
            s += F($" The overfitting shows in the loss: validation loss was lowest at epoch {full.BestEpoch} of {full.EpochsRun} and ended {Pct(rise, 0)} higher while the training loss fell to {full.TrainLoss:0.000} — the model grew ever more confident, also on the validation examples it gets wrong.");
        if (pre == null) return s;
        if (pre.BestEpoch == pre.EpochsRun)
            s += F($" Pretraining, on {result.PretrainCount:N0} examples, still had its validation loss falling at its last epoch") +
                (full.BestEpoch < full.EpochsRun ? ": with fewer examples for as many weights, fine-tuning overfits sooner, which is why it needs more regularization than pretraining." : ".");
        else
            s += F($" Pretraining, on {result.PretrainCount:N0} examples, had its validation loss lowest at epoch {pre.BestEpoch} of {pre.EpochsRun}, ending {Pct(Rise(pre), 0)} higher") +
                (rise > Rise(pre) ? ": fine-tuning, with fewer examples for as many weights, overfits more, which is why it needs more regularization than pretraining." : ".");
        return s;
    }

    /// <summary>Which configurations closed the gap and which gave the best test accuracy, with the noise level.</summary>
    static string Comparison(StudyResult result, StudyRun? full, StudyRun? scratch, List<StudyRun> others)
    {
        var narrower = others.Where(r => full == null || r.Gap < full.Gap).OrderBy(r => r.Gap).ToList();
        var closers = narrower.Take(3).Select(r => full == null ? F($"{r.Name} ({Points(r.Gap)})") : F($"{r.Name} ({Points(r.Gap)}, {Points(full.Gap - r.Gap)} less)"));
        string s = narrower.Count > 0 ? F($"The gap closed most under {Join(closers)}.") : "No technique narrowed full fine-tuning's gap.";
        var best = others.MaxBy(r => r.TestAccuracy)!;
        s += full != null && best.TestAccuracy <= full.TestAccuracy
            ? F($" No technique beat full fine-tuning's test accuracy ({Pct(full.TestAccuracy)}); the best of them was {best.Name}'s, {Pct(best.TestAccuracy)}")
            : F($" The best test accuracy was {best.Name}'s, {Pct(best.TestAccuracy)}");
        if (full != null) s += F($", {Signed(best.TestAccuracy - full.TestAccuracy, " points")} against full fine-tuning");
        if (scratch != null) s += F($"{(full != null ? " and" : ",")} {Signed(best.TestAccuracy - scratch.TestAccuracy, " points")} against training from scratch");
        s += ".";
        if (full != null)
        {
            var worse = others.Where(r => r.TestAccuracy < full.TestAccuracy - 0.005).OrderBy(r => r.TestAccuracy).Select(r => F($"{r.Name} ({Pct(r.TestAccuracy)})")).ToList();
            var narrowBut = others.Where(r => r.Gap < full.Gap - 0.01 && r.TestAccuracy < full.TestAccuracy - 0.005).Select(r => r.Name).ToList();
            if (worse.Count > 0) s += F($" Test accuracy fell below full fine-tuning's under {Join(worse)}.");
            if (narrowBut.Count > 0) s += F($" A smaller gap is not by itself better: {Join(narrowBut)} narrowed it partly by fitting the training set less.");
            double p = full.TestAccuracy, error = AccuracyError(p, result.TestCount);
            s += F($" With {result.TestCount:N0} test images one standard error of an accuracy near {Pct(p, 0)} is {error * 100:0.0} points, so differences under about {2 * error * 100:0.0} points are within noise.");
        }
        return s;
    }

    /// <summary>How far the backbone moved from the pretrained weights, and what holding it near them did.</summary>
    static string Anchoring(StudyResult result, StudyRun full, double moved)
    {
        string s = F($"Full fine-tuning moved the backbone's weights {Pct(moved)} of their norm away from the pretrained values") + (moved > 0.3 ? ": it largely rewrote them." : ".");
        var near = result.Runs.Where(r => r.Configuration.FreezeBackbone || r.Configuration.BackboneLrScale < 1 || r.Configuration.L2SPAlpha > 0).ToList();
        if (near.Count > 0)
        {
            s += F($" Freezing the backbone, slowing it or pulling it back with L2-SP kept it close: {Join(near.Select(r => F($"{r.Name} moved {Pct(Drift(result, r)!.Value)}")))}.");
            var tests = Join(near.Select(r => F($"{r.Name} {Pct(r.TestAccuracy)}")));
            if (near.All(r => r.TestAccuracy < full.TestAccuracy - 0.005))
            {
                s += F($" Here that cost accuracy ({tests}, against {Pct(full.TestAccuracy)}): the pretrained features do not fit the new classes well");
                var frozen = near.FirstOrDefault(r => r.Configuration.FreezeBackbone);
                s += frozen == null ? "," : F($" — a new head on the frozen backbone fits only {Pct(frozen.TrainAccuracy)} of the training set —");
                s += " so the backbone has to move, and holding it near the pretrained weights underfits. Anchoring to the pretrained solution is the right call when the new classes resemble the old ones.";
            }
            else
            {
                // each run judged on its own: mixed outcomes are named as they are
                string List(IEnumerable<StudyRun> runs) => Join(runs.Select(r => F($"{r.Name} {Pct(r.TestAccuracy)}")));
                var paid = near.Where(r => r.TestAccuracy > full.TestAccuracy + 0.005).ToList();
                var cost = near.Where(r => r.TestAccuracy < full.TestAccuracy - 0.005).ToList();
                var even = near.Except(paid).Except(cost).ToList();
                var parts = new List<string>();
                if (paid.Count > 0) parts.Add(F($"raised test accuracy under {List(paid)}"));
                if (cost.Count > 0) parts.Add(F($"cost accuracy under {List(cost)}"));
                if (even.Count > 0) parts.Add(F($"left it within half a point under {List(even)}"));
                s += F($" Against full fine-tuning's {Pct(full.TestAccuracy)}, that {Join(parts)}.");
                if (paid.Count > 0 && cost.Count == 0)
                    s += " The pretrained solution is a better place to stay near than wherever 1,000 examples would pull the weights.";
            }
        }
        var decay = result.Find("weight-decay");
        if (decay != null && Drift(result, decay) is double decayMoved)
            s += F($" Weight decay pulls toward zero instead of toward the pretrained weights") +
                (Math.Abs(decayMoved - moved) < 0.05
                    ? F($"; at λ = {decay.Configuration.WeightDecay:0.##} and this learning rate it barely changed the run (moved {Pct(decayMoved)}, test {Pct(decay.TestAccuracy)}).")
                    : F($": it moved the backbone {Pct(decayMoved)} and reached {Pct(decay.TestAccuracy)} test accuracy."));
        return s;
    }

    /// <summary>The answer to "fine-tuning on 1,000 examples overfits: which regularization, and why?": the general recipe,
    /// what held here, and the choice made on validation accuracy.</summary>
    static string Answer(StudyResult result, StudyRun full, List<StudyRun> others)
    {
        string s = "The usual answer to \"fine-tuning on 1,000 examples overfits: which regularization, and why?\" is to keep the weights near the pretrained solution (freeze the backbone or lower its learning rate, or pull it back with L2-SP rather than toward zero with weight decay), make the small set look larger with augmentation, smooth the labels and stop on validation loss.";
        var stopping = others.FirstOrDefault(r => r.Configuration is { EarlyStoppingPatience: not null, Augmentation: false, LabelSmoothing: 0 });
        var valAccuracy = full.History["val_accuracy"];
        if (stopping != null && stopping.TestAccuracy < full.TestAccuracy - 0.005 && full.BestEpoch < full.EpochsRun && valAccuracy[^1] > valAccuracy[full.BestEpoch - 1] + 0.005)
            s += F($" Stopping on validation loss backfired here: {stopping.Name} kept epoch {stopping.BestEpoch}'s weights ({Pct(stopping.ValAccuracy)} validation, {Pct(stopping.TestAccuracy)} test), because the loss turned up from overconfidence while accuracy was still rising (full fine-tuning: {Pct(valAccuracy[full.BestEpoch - 1])} validation accuracy at epoch {full.BestEpoch}, {Pct(valAccuracy[^1])} at the end).");
        var helped = others.Where(r => r.ValAccuracy > full.ValAccuracy + 0.005).OrderByDescending(r => r.ValAccuracy).ToList();
        if (helped.Count == 0)
            return s + F($" Here no configuration beat full fine-tuning's validation accuracy ({Pct(full.ValAccuracy)}) by more than half a point, so on this data the measured answer is to fine-tune fully and spend the effort on more examples.");
        var chosen = helped[0];
        s += F($" Judged on validation accuracy, as such a choice must be, the techniques that helped here were {Join(helped.Select(r => F($"{r.Name} ({Pct(r.ValAccuracy)})")))}, against {Pct(full.ValAccuracy)} for full fine-tuning.");
        s += F($" The measured answer is {chosen.Name}: {Pct(chosen.ValAccuracy)} validation and {Pct(chosen.TestAccuracy)} test accuracy with a gap of {Points(chosen.Gap)}, against {Pct(full.TestAccuracy)} and {Points(full.Gap)} without regularization.");
        double p = full.TestAccuracy, error = AccuracyError(p, result.TestCount);
        if (Math.Abs(chosen.TestAccuracy - full.TestAccuracy) < 2 * error)
            s += F($" On the test set the difference ({Signed(chosen.TestAccuracy - full.TestAccuracy, " points")}) is within noise.");
        return s;
    }

    /// <summary>A rise of the validation loss (<see cref="Rise"/>) above this, 5 % of its lowest value, counts as the loss
    /// turning up; a smaller one is a flat curve's wobble.</summary>
    internal const double MeaningfulRise = 0.05;

    /// <summary>The standard error of an accuracy <paramref name="p"/> measured on <paramref name="n"/> examples,
    /// √(p(1−p)/n) (binomial).</summary>
    internal static double AccuracyError(double p, int n) => n > 0 ? Math.Sqrt(p * (1 - p) / n) : double.NaN;

    /// <summary>How much the validation loss rose from its lowest to its last epoch, relative to the lowest.</summary>
    internal static double Rise(StudyRun run)
    {
        var loss = run.History["val_data_loss"];
        double min = loss.Min();
        return min > 0 ? loss[^1] / min - 1 : 0;
    }
}
