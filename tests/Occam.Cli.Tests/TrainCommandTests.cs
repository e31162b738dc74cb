using System.Text.Json;

namespace Occam.Cli.Tests;

public class TrainCommandTests
{
    static JsonElement Metrics(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json"))).RootElement;

    [Fact]
    public void PresetOnEmbeddedDataWritesTheReportAndResumeContinues()
    {
        string dir = CliRunner.TempDir();
        try
        {
            string output = Path.Combine(dir, "run");
            // no schedule, so that the resumed run may train longer than the first planned
            var (code, _, error) = CliRunner.Run("train", "--preset", "fmnist-cnn", "--data", "embedded", "--train-size", "600",
                "--epochs", "1", "--schedule", "none", "--threads", "2", "--out", output);
            Assert.True(code == 0, error);
            foreach (var file in new[] { "checkpoint.safetensors", "model.safetensors", "history.csv", "metrics.json", "config.json", "loss.png", "accuracy.png", "confusion.csv" })
                Assert.True(File.Exists(Path.Combine(output, file)), $"{file} is missing");
            var metrics = Metrics(output);
            Assert.InRange(metrics.GetProperty("test_accuracy").GetDouble(), 0.1, 1.0);
            // the confusion matrix holds every test example, and its diagonal is the test accuracy (200 a class)
            var confusion = File.ReadAllLines(Path.Combine(output, "confusion.csv"))[1..].Select(l => l.Split(',')[1..].Select(long.Parse).ToArray()).ToArray();
            Assert.Equal(10, confusion.Length);
            Assert.Equal(2000, confusion.Sum(r => r.Sum()));
            Assert.Equal(metrics.GetProperty("test_accuracy").GetDouble(), Enumerable.Range(0, 10).Sum(c => confusion[c][c]) / 2000.0, 12);
            var perClass = metrics.GetProperty("test_class_accuracy");
            Assert.Equal(confusion[6][6] / 200.0, perClass.GetProperty("Shirt").GetDouble(), 12);
            Assert.Equal(1, metrics.GetProperty("epochs").GetInt32());
            Assert.Equal("cnn", metrics.GetProperty("config").GetProperty("model").GetString());
            Assert.Equal(2, File.ReadAllLines(Path.Combine(output, "history.csv")).Length);

            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(output, "checkpoint.safetensors"), "--epochs", "2", "--threads", "2");
            Assert.True(code == 0, error);
            metrics = Metrics(output);
            Assert.Equal(2, metrics.GetProperty("epochs").GetInt32());
            var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
            Assert.Equal(3, history.Length);
            Assert.StartsWith("0,", history[1]);
            Assert.StartsWith("1,", history[2]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AScheduledRunCannotBeResumedForMoreEpochsAndMetricsDescribeTheSavedModel()
    {
        string dir = CliRunner.TempDir();
        try
        {
            string output = Path.Combine(dir, "run");
            var (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "3", "--lr", "0.02",
                "--schedule", "cosine", "--early-stopping", "1", "--out", output);
            Assert.True(code == 0, error);
            var metrics = Metrics(output);
            // the saved model's accuracies, not the last epoch's running figures
            var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
            int column = Array.IndexOf(history[0].Split(','), "val_accuracy");
            int best = metrics.GetProperty("best_epoch").GetInt32();
            Assert.Equal(double.Parse(history[best].Split(',')[column], System.Globalization.CultureInfo.InvariantCulture),
                metrics.GetProperty("val_accuracy").GetDouble(), 6);
            Assert.InRange(metrics.GetProperty("train_accuracy").GetDouble(), 0.1, 1.0);

            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(output, "checkpoint.safetensors"), "--epochs", "5");
            Assert.Equal(2, code);
            Assert.Contains("--epochs 5: the checkpoint's cosine schedule is laid out over 3 epochs", error);
            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(output, "checkpoint.safetensors"));
            Assert.Equal(2, code);
            Assert.Contains("the checkpoint's run is complete (3 of 3 epochs; its cosine schedule ended there); start a new run", error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AResumedRunRefusesFlagsThatChangeItsDataModelOptimizerOrSchedule()
    {
        CliRunner.InTempDir(dir =>
        {
            string output = Path.Combine(dir, "run");
            var (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "300", "--epochs", "1", "--seed", "7", "--out", output);
            Assert.True(code == 0, error);
            string checkpoint = Path.Combine(output, "checkpoint.safetensors");
            byte[] before = File.ReadAllBytes(checkpoint);
            foreach (var (flag, value, message) in new[]
            {
                ("--train-size", "600", "--resume: --train-size 600 differs from the checkpoint's 300; a resumed run keeps its data and validation split"),
                ("--seed", "8", "--resume: --seed 8 differs from the checkpoint's 7; a resumed run keeps its data and validation split"),
                ("--data", "fashion-mnist", "--resume: --data fashion-mnist differs from the checkpoint's embedded; a resumed run keeps its data"),
                ("--dropout", "0.3", "--resume: --dropout 0.3 differs from the checkpoint's 0; a resumed run keeps its model"),
                ("--batch-norm", "true", "--resume: --batch-norm true differs from the checkpoint's false; a resumed run keeps its model"),
                ("--model", "cnn", "--resume: --model cnn differs from the checkpoint's mlp; a resumed run keeps its model"),
                ("--lr", "0.01", "--resume: --lr 0.01 differs from the checkpoint's 0.001; a resumed run keeps its optimizer"),
                ("--schedule", "cosine", "--resume: --schedule cosine differs from the checkpoint's none; a resumed run keeps its schedule"),
                ("--batch-size", "64", "--resume: --batch-size 64 differs from the checkpoint's 128; a resumed run keeps the settings it started with"),
            })
            {
                (code, _, error) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", flag, value);
                Assert.Equal(2, code);
                Assert.StartsWith("train: " + message, error);
                Assert.Single(error.Trim().Split('\n'));
            }
            Assert.Equal(before, File.ReadAllBytes(checkpoint)); // nothing was trained or written
            // repeating the checkpoint's own values is no change
            (code, _, error) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", "--train-size", "300", "--seed", "7", "--data", "embedded");
            Assert.True(code == 0, error);
            Assert.Equal(3, File.ReadAllLines(Path.Combine(output, "history.csv")).Length);
        });
    }

    /// <summary>Console output that fails on the line that starts with <paramref name="trigger"/>, as a run killed there.</summary>
    sealed class InterruptingWriter(string trigger) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            if (value != null && value.StartsWith(trigger, StringComparison.Ordinal)) throw new OperationCanceledException("interrupted");
            base.WriteLine(value);
        }
    }

    [Fact]
    public void AnInterruptedRunLeavesTheEarlierReportInItsFolderWholeAndResumes()
    {
        CliRunner.InTempDir(dir =>
        {
            string output = Path.Combine(dir, "run");
            var (code, _, error) = CliRunner.Run("train", "--train-size", "300", "--epochs", "1", "--out", output);
            Assert.True(code == 0, error);
            string[] report = ["checkpoint.safetensors", "metrics.json", "history.csv", "model.safetensors"];
            var earlier = report.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(output, f)));

            // a new run into the same folder, killed after its first epoch's checkpoint, during its second epoch's end
            var (oldOut, oldError) = (Console.Out, Console.Error);
            using var stdout = new InterruptingWriter("epoch 2/3");
            using var stderr = new StringWriter();
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try { code = OccamCli.Run(["train", "--train-size", "300", "--epochs", "3", "--seed", "2", "--out", output]); }
            finally { Console.SetOut(oldOut); Console.SetError(oldError); }
            Assert.Equal(1, code);
            string staged = Path.Combine(output, ".occam-run", "checkpoint.safetensors");
            Assert.Contains($"Checkpoint after every epoch: {staged}", stdout.ToString());
            Assert.True(File.Exists(staged));
            foreach (var file in report) Assert.Equal(earlier[file], File.ReadAllBytes(Path.Combine(output, file)));

            // a new run would overwrite the interrupted one's checkpoint: refused
            (code, _, error) = CliRunner.Run("train", "--train-size", "300", "--epochs", "1", "--out", output);
            Assert.Equal(2, code);
            Assert.Contains($"--out '{output}' holds the checkpoint of an interrupted run; continue it with --resume {staged}", error);

            (code, _, error) = CliRunner.Run("train", "--resume", staged);
            Assert.True(code == 0, error);
            Assert.False(Directory.Exists(Path.Combine(output, ".occam-run")));
            var metrics = Metrics(output);
            Assert.Equal(3, metrics.GetProperty("epochs").GetInt32());
            Assert.Equal(2, metrics.GetProperty("config").GetProperty("seed").GetInt32());
            Assert.Equal(4, File.ReadAllLines(Path.Combine(output, "history.csv")).Length);
            Assert.NotEqual(earlier["checkpoint.safetensors"], File.ReadAllBytes(Path.Combine(output, "checkpoint.safetensors")));
        });
    }

    [Fact]
    public void ACheckpointWithDamagedRunSettingsIsNamed()
    {
        CliRunner.InTempDir(dir =>
        {
            string checkpoint = Path.Combine(dir, "bad.safetensors");
            Occam.IO.Safetensors.Save(checkpoint, new Dictionary<string, Occam.Tensor> { ["w"] = Occam.Tensor.Zeros(1) },
                new Dictionary<string, string> { ["occam.run"] = """{ "lr": "fast" }""" });
            var (code, _, error) = CliRunner.Run("train", "--resume", checkpoint);
            Assert.Equal(2, code);
            Assert.Contains($"--resume: the run settings in checkpoint '{checkpoint}': 'lr' must be a finite number, got \"fast\"", error);
            Occam.IO.Safetensors.Save(checkpoint, new Dictionary<string, Occam.Tensor> { ["w"] = Occam.Tensor.Zeros(1) },
                new Dictionary<string, string> { ["occam.run"] = "{ not json" });
            (code, _, error) = CliRunner.Run("train", "--resume", checkpoint);
            Assert.Equal(2, code);
            Assert.Contains($"the run settings in checkpoint '{checkpoint}' are not valid JSON", error);
            Assert.DoesNotContain("the flags", error);
        });
    }

    [Fact]
    public void MlpPresetLearnsTheEmbeddedSubsetFromAJsonConfig()
    {
        string dir = CliRunner.TempDir();
        try
        {
            string config = Path.Combine(dir, "run.json");
            File.WriteAllText(config, """{ "preset": "fmnist-mlp", "data": "embedded", "epochs": 3, "hidden": [256, 128] }""");
            string output = Path.Combine(dir, "run");
            var (code, stdout, error) = CliRunner.Run("train", "--config", config, "--json", "--out", output);
            Assert.True(code == 0, error);
            var metrics = JsonDocument.Parse(stdout).RootElement;
            Assert.True(metrics.GetProperty("test_accuracy").GetDouble() >= 0.8, stdout);
            Assert.Equal(3, metrics.GetProperty("epochs").GetInt32());
            var saved = metrics.GetProperty("config");
            Assert.Equal(0.2, saved.GetProperty("dropout").GetDouble(), 1e-6);
            Assert.Equal("cosine", saved.GetProperty("schedule").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void YamlConfigIsReadLikeJson()
    {
        string dir = CliRunner.TempDir();
        try
        {
            string config = Path.Combine(dir, "run.yaml");
            File.WriteAllText(config, "preset: fmnist-mlp\ndata: embedded\nepochs: 1\ntrainSize: 600\ndropout: 0.3\nhidden: [64]\n");
            var (code, stdout, error) = CliRunner.Run("train", "--config", config, "--json", "--out", Path.Combine(dir, "run"));
            Assert.True(code == 0, error);
            var saved = JsonDocument.Parse(stdout).RootElement.GetProperty("config");
            Assert.Equal(0.3, saved.GetProperty("dropout").GetDouble(), 1e-6);
            Assert.Equal(1, saved.GetProperty("epochs").GetInt32());

            File.WriteAllText(config, "epochs: [unclosed\n");
            var (bad, _, message) = CliRunner.Run("train", "--config", config, "--out", Path.Combine(dir, "bad"));
            Assert.NotEqual(0, bad);
            Assert.Contains("not valid YAML", message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SamAndTheOtherOptimizersTrainAndAreSavedInTheConfig()
    {
        string dir = CliRunner.TempDir();
        try
        {
            var (code, stdout, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "2",
                "--sam", "0.05", "--json", "--out", Path.Combine(dir, "run"));
            Assert.True(code == 0, error);
            var metrics = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal(0.05, metrics.GetProperty("config").GetProperty("sam").GetDouble(), 1e-9);
            Assert.True(metrics.GetProperty("test_accuracy").GetDouble() > 0.5, stdout);

            (code, stdout, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "1", "--optimizer", "radam",
                "--lr", "0.003", "--json", "--out", Path.Combine(dir, "radam"));
            Assert.True(code == 0, error);
            Assert.Equal("radam", JsonDocument.Parse(stdout).RootElement.GetProperty("config").GetProperty("optimizer").GetString());
            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--optimizer", "lamb", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--optimizer must be adamw, adam, nadam, radam, adamax, adagrad, rmsprop or sgd, got 'lamb'", error);

            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--sam-adaptive", "true", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--sam-adaptive needs --sam RHO", error);
            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--sam", "-1", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--sam must be non-negative, got -1", error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ProximalL1ZeroesWeightsAndMixUpWithCutMixTrainsAndBothAreSavedInTheConfig()
    {
        CliRunner.InTempDir(dir =>
        {
            // Exact zeros in the weight matrices (not in the biases), where a run without the proximal step has none.
            static (double Weights, double Biases) Zeros(string model)
            {
                var tensors = Occam.IO.Safetensors.Load(model).Tensors;
                double Fraction(Func<string, bool> which)
                {
                    var values = tensors.Where(t => which(t.Key)).SelectMany(t => t.Value.ToArray()).ToArray();
                    return values.Count(v => v == 0) / (double)values.Length;
                }
                return (Fraction(k => k.EndsWith(".weight", StringComparison.Ordinal)), Fraction(k => k.EndsWith(".bias", StringComparison.Ordinal)));
            }
            var (code, stdout, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "2", "--lr", "0.003",
                "--l1-proximal", "1", "--json", "--out", Path.Combine(dir, "l1"));
            Assert.True(code == 0, error);
            Assert.Equal(1, JsonDocument.Parse(stdout).RootElement.GetProperty("config").GetProperty("l1Proximal").GetDouble());
            var (weights, biases) = Zeros(Path.Combine(dir, "l1", "model.safetensors"));
            Assert.True(weights > 0.2, $"{weights:P1} of the weights are exactly 0");
            Assert.True(biases < 0.05, $"{biases:P1} of the biases are exactly 0");
            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "2", "--out", Path.Combine(dir, "none"));
            Assert.True(code == 0, error);
            Assert.Equal(0, Zeros(Path.Combine(dir, "none", "model.safetensors")).Weights);

            (code, stdout, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "2", "--lr", "0.003",
                "--mixup", "0.2", "--cutmix", "1", "--schedule", "none", "--json", "--out", Path.Combine(dir, "mix"));
            Assert.True(code == 0, error);
            var metrics = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal(0.2, metrics.GetProperty("config").GetProperty("mixup").GetDouble(), 1e-6);
            Assert.Equal(1.0, metrics.GetProperty("config").GetProperty("cutmix").GetDouble(), 1e-6);
            Assert.True(metrics.GetProperty("test_accuracy").GetDouble() > 0.5, stdout);
            // a resumed run keeps its data pipeline, and continues with it
            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(dir, "mix", "checkpoint.safetensors"), "--epochs", "3", "--mixup", "0.4");
            Assert.Equal(2, code);
            Assert.Contains("--resume: --mixup 0.4 differs from the checkpoint's 0.2", error);
            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(dir, "mix", "checkpoint.safetensors"), "--epochs", "3");
            Assert.True(code == 0, error);
            Assert.Equal(3, Metrics(Path.Combine(dir, "mix")).GetProperty("epochs").GetInt32());

            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--cutmix", "-1", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--cutmix must be a non-negative alpha (0 = off), got -1", error);
        });
    }

    [Fact]
    public void MaxNormKeepsEveryUnitsIncomingWeightsWithinTheBound()
    {
        CliRunner.InTempDir(dir =>
        {
            var (code, stdout, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "2", "--lr", "0.01",
                "--max-norm", "0.5", "--json", "--out", Path.Combine(dir, "run"));
            Assert.True(code == 0, error);
            Assert.Equal(0.5, JsonDocument.Parse(stdout).RootElement.GetProperty("config").GetProperty("maxNorm").GetDouble());
            var tensors = Occam.IO.Safetensors.Load(Path.Combine(dir, "run", "model.safetensors")).Tensors;
            double longest = 0;
            foreach (var (name, w) in tensors.Where(t => t.Key.EndsWith(".weight", StringComparison.Ordinal)))
            {
                var values = w.ToArray();
                int length = values.Length / w.Shape[0];
                for (int r = 0; r < w.Shape[0]; r++)
                    longest = Math.Max(longest, Math.Sqrt(values.Skip(r * length).Take(length).Sum(v => (double)v * v)));
            }
            Assert.InRange(longest, 0.45, 0.5 + 1e-5); // the bound binds, and holds
            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--max-norm", "-1", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--max-norm must be a non-negative norm (0 = off), got -1", error);
        });
    }

    [Fact]
    public void LayerNormNormalizesEachExampleInTheMlpAndTheCnn()
    {
        CliRunner.InTempDir(dir =>
        {
            foreach (var model in new[] { "mlp", "cnn" })
            {
                var (code, stdout, error) = CliRunner.Run("train", "--data", "embedded", "--model", model, "--train-size", "300", "--epochs", "1",
                    "--layer-norm", "true", "--json", "--out", Path.Combine(dir, model));
                Assert.True(code == 0, error);
                Assert.True(JsonDocument.Parse(stdout).RootElement.GetProperty("config").GetProperty("layerNorm").GetBoolean());
                var tensors = Occam.IO.Safetensors.Load(Path.Combine(dir, model, "model.safetensors")).Tensors;
                Assert.DoesNotContain(tensors.Keys, k => k.EndsWith("running_mean", StringComparison.Ordinal)); // no batch statistics
                // the norm's γ right after the first layer (the MLP starts with Flatten)
                Assert.Equal(model == "mlp" ? [256] : [32], tensors[model == "mlp" ? "2.weight" : "1.weight"].Shape);
            }
            var (code2, _, error2) = CliRunner.Run("train", "--data", "embedded", "--layer-norm", "true", "--batch-norm", "true", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code2);
            Assert.Contains("--batch-norm and --layer-norm: choose one normalization", error2);
        });
    }

    [Fact]
    public void EmaSavesTheAveragedWeightsAndResumesWithTheAverage()
    {
        CliRunner.InTempDir(dir =>
        {
            string output = Path.Combine(dir, "ema");
            var (code, stdout, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "600", "--epochs", "2", "--ema", "0.99",
                "--json", "--out", output);
            Assert.True(code == 0, error);
            Assert.Equal(0.99, JsonDocument.Parse(stdout).RootElement.GetProperty("config").GetProperty("ema").GetDouble(), 1e-12);
            // the saved model is the average the checkpoint carries beside the live weights
            var model = Occam.IO.Safetensors.Load(Path.Combine(output, "model.safetensors")).Tensors;
            var checkpoint = Occam.IO.Safetensors.Load(Path.Combine(output, "checkpoint.safetensors")).Tensors;
            Assert.Equal(checkpoint["ema.1.weight"].ToArray(), model["1.weight"].ToArray());
            Assert.NotEqual(checkpoint["1.weight"].ToArray(), model["1.weight"].ToArray());

            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(output, "checkpoint.safetensors"), "--epochs", "3");
            Assert.True(code == 0, error);
            Assert.Equal(3, Metrics(output).GetProperty("epochs").GetInt32());
            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(output, "checkpoint.safetensors"), "--epochs", "4", "--ema", "0.9");
            Assert.Equal(2, code);
            Assert.Contains("--resume: --ema 0.9 differs from the checkpoint's 0.99", error);

            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--ema", "0.99", "--early-stopping", "3", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--ema and --early-stopping both choose the weights the run ends with", error);
            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--ema", "1", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--ema must be a decay in [0, 1) (0 = off), got 1", error);
        });
    }

    [Theory]
    [InlineData("--hidden", "512,x")]
    [InlineData("--hidden", "0")]
    [InlineData("--model", "rnn")]
    [InlineData("--epochs", "0")]
    [InlineData("--dropout", "1.5")]
    [InlineData("--preset", "imagenet")]
    [InlineData("--resume", "/no/such/checkpoint.safetensors")]
    public void BadFlagsFailWithOneSentence(string flag, string value)
    {
        string dir = CliRunner.TempDir();
        try
        {
            var (code, _, error) = CliRunner.Run("train", "--data", "embedded", flag, value, "--out", Path.Combine(dir, "run"));
            Assert.NotEqual(0, code);
            Assert.False(string.IsNullOrWhiteSpace(error));
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(Path.Combine(dir, "run", "metrics.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void MissingFashionMnistFilesNameTheOptions()
    {
        CliRunner.InTempDir(dir =>
        {
            string missing = Path.Combine(dir, "nonexist");
            var (code, _, error) = CliRunner.Run("train", "--data", "fashion-mnist", "--data-root", missing, "--out", Path.Combine(dir, "run"));
            Assert.Equal(1, code);
            Assert.StartsWith($"train: --data fashion-mnist: no Fashion-MNIST files (train-images-idx3-ubyte[.gz] and the others) in {missing} (--data-root);", error);
            Assert.Contains("or use --data embedded, which needs no files", error);
            Assert.DoesNotContain("FashionMnist.", error);
            Assert.DoesNotContain("root argument", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(Path.Combine(dir, "run")));
        });
    }

    [Fact]
    public void HelpSaysWhichL1GivesExactZerosAndWhereTheCheckpointIs()
    {
        var (code, output, _) = CliRunner.Run("train", "--help");
        Assert.Equal(0, code);
        string text = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains("leaves few exactly 0; exact zeros take proximal L1 (--l1-proximal)", text);
        Assert.Contains("--l1-proximal <LAMBDA>", text);
        Assert.Contains("With --mixup, each batch gets one of the two at random", text);
        Assert.Contains("--out/.occam-run/checkpoint.safetensors", text);
        Assert.Contains("any other setting flag must repeat the checkpoint's value", text);
    }

    [Fact]
    public void UnknownConfigKeyIsReported()
    {
        string dir = CliRunner.TempDir();
        try
        {
            string config = Path.Combine(dir, "run.json");
            File.WriteAllText(config, """{ "epochz": 3 }""");
            var (code, _, error) = CliRunner.Run("train", "--config", config, "--out", Path.Combine(dir, "run"));
            Assert.Equal(2, code);
            Assert.Contains("epochz", error);

            File.WriteAllText(Path.Combine(dir, "run.yaml"), "batch-size: 64\n");
            (code, _, error) = CliRunner.Run("train", "--config", Path.Combine(dir, "run.yaml"), "--out", Path.Combine(dir, "run"));
            Assert.Equal(2, code);
            Assert.StartsWith($"train: {Path.Combine(dir, "run.yaml")}: unknown setting 'batch-size' (did you mean 'batchSize'?); settings are camelCase: preset, data, dataRoot, trainSize,", error);
            Assert.DoesNotContain(".NET", error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WarmupCosineRampsUpLinearlyThenAnnealsToZeroPerBatch()
    {
        // 20 batches: a warm-up of 2 from 1 % of the rate, then cosine annealing over the other 18
        var parameter = new Occam.NN.Parameter(Tensor.FromArray([1f], 1));
        var opt = new Occam.Optim.SGD([parameter], lr: 0.5);
        var schedule = Occam.Cli.Commands.TrainCommand.WarmupCosine(opt, 20);
        for (int step = 0; step <= 20; step++)
        {
            double expected = step < 2 ? 0.5 * (0.01 + 0.99 * step / 2) : 0.5 * (1 + Math.Cos(Math.PI * (step - 2) / 18)) / 2;
            Assert.Equal(expected, opt.Groups[0].Lr!.Value, 12);
            schedule.Step();
        }
    }

    [Fact]
    public void PlateauScheduleLowersTheRateWhenValidationLossStallsAndMayBeResumedForMoreEpochs()
    {
        CliRunner.InTempDir(dir =>
        {
            string output = Path.Combine(dir, "run");
            // At a rate this small val_loss moves by far less than the 1e-4 (relative) that counts as better: the best is
            // epoch 0's, epochs 1 and 2 are worse than the patience of 1 allows, so the rate falls ×0.1 after epoch 2.
            var (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--train-size", "300", "--epochs", "4", "--optimizer", "sgd",
                "--lr", "1e-5", "--schedule", "plateau", "--out", output);
            Assert.True(code == 0, error);
            var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
            int column = Array.IndexOf(history[0].Split(','), "lr");
            var rates = history.Skip(1).Select(line => double.Parse(line.Split(',')[column], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(4, rates.Length);
            double[] expected = [1e-5, 1e-5, 1e-5, 1e-6];
            for (int e = 0; e < 4; e++) Assert.True(Math.Abs(rates[e] - expected[e]) < 1e-12, $"lr by epoch: {string.Join(", ", rates)}");

            // not laid out over the epochs, so a resumed run may train longer
            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(output, "checkpoint.safetensors"), "--epochs", "5");
            Assert.True(code == 0, error);
            Assert.Equal(6, File.ReadAllLines(Path.Combine(output, "history.csv")).Length);

            string config = Path.Combine(dir, "run.json");
            File.WriteAllText(config, """{ "data": "embedded", "trainSize": 300, "epochs": 1, "validation": 0, "schedule": "plateau" }""");
            (code, _, error) = CliRunner.Run("train", "--config", config, "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--schedule plateau needs validation data", error);
            (code, _, error) = CliRunner.Run("train", "--data", "embedded", "--schedule", "linear", "--out", Path.Combine(dir, "bad"));
            Assert.Equal(2, code);
            Assert.Contains("--schedule must be cosine, warmup-cosine, step, onecycle, plateau or none, got 'linear'", error);
        });
    }
}
