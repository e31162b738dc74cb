using Occam.IO;
using Occam.NN;
using Occam.Optim;
using Occam.Studies;

namespace Occam.Tests.Studies;

public sealed class WeightReportTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("occam-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void StatisticsOfATensorAreItsNormsAndZeroFractions()
    {
        var w = Tensor.FromArray([0f, -3f, 4f, 0.0005f, 0f, 1f], 2, 3);
        var report = WeightReport.Of(new Dictionary<string, Tensor> { ["0.weight"] = w });
        var s = Assert.Single(report.Tensors);
        Assert.Equal("0.weight", s.Name);
        Assert.Equal([2, 3], s.Shape);
        Assert.Equal(6, s.Count);
        Assert.Equal(8.0005, s.L1, 5);
        Assert.Equal(Math.Sqrt(9 + 16 + 0.0005 * 0.0005 + 1), s.L2, 6);
        Assert.Equal(4, s.MaxAbs);
        Assert.Equal(2.0 / 6, s.ZeroFraction, 12);
        Assert.Equal(3.0 / 6, s.SmallFraction, 12);
        Assert.Equal("all", report.Total.Name);
        Assert.Equal([6], report.Total.Shape);
        Assert.Equal(s with { Name = "all", Shape = report.Total.Shape }, report.Total);
    }

    [Fact]
    public void ACheckpointIsReadWithoutItsArchitectureBuffersAndOptimizerStateKeptOutOfTheTotals()
    {
        var gen = new Generator(3);
        var model = new Sequential(new Linear(4, 8, generator: gen), new BatchNorm1d(8), new ReLU(), new Linear(8, 3, generator: gen));
        var optimizer = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        optimizer.ZeroGrad();
        var y = model.Forward(Tensor.RandN([5, 4], gen));
        (y * y).Mean().Backward();
        optimizer.Step();
        var path = Path.Combine(_dir, "model.safetensors");
        Checkpoint.Save(path, model, optimizer);

        var report = WeightReport.Load(path);
        Assert.DoesNotContain(report.Tensors, t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal));
        Assert.Contains(report.Tensors, t => t.Name == "1.running_mean" && t.Buffer);
        Assert.Contains(report.Tensors, t => t.Name == "1.num_batches_tracked" && t.Buffer);
        long parameters = model.Parameters().Sum(p => (long)p.Size);
        Assert.Equal(parameters, report.Total.Count);
        Assert.Equal(parameters, report.Values().Length);
        double l2 = Math.Sqrt(model.Parameters().Sum(p => p.ToArray().Sum(v => (double)v * v)));
        Assert.Equal(l2, report.Total.L2, 9);
        // the weight-matrix total covers what training's statistics cover: the two Linear weights, no bias or norm parameter
        var trained = Occam.Training.Trainer.WeightStatistics(model);
        Assert.Equal("matrices", report.Matrices.Name);
        Assert.Equal(4 * 8 + 8 * 3, report.Matrices.Count);
        Assert.Equal(trained["weight_l2"], report.Matrices.L2, 5);
        Assert.Equal(trained["weight_l1"], report.Matrices.L1, 4);
        Assert.Equal(trained["zero_weight_fraction"], report.Matrices.ZeroFraction, 12);
        Assert.Equal(32, report.Values("0.weight").Length);
        Assert.Empty(report.Values("1.running_mean"));
    }

    [Fact]
    public void ValuesAreSubsampledToTheLimit()
    {
        var report = WeightReport.Of(new Dictionary<string, Tensor> { ["w"] = Tensor.RandN([100, 10], new Generator(1)) });
        Assert.Equal(100, report.Values(max: 100).Length);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<FileNotFoundException>(() => WeightReport.Load(Path.Combine(_dir, "missing.safetensors")));
        var junk = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllText(junk, "not a safetensors file");
        Assert.Throws<InvalidDataException>(() => WeightReport.Load(junk));
        Assert.Throws<ArgumentException>(() => WeightReport.Of(new Dictionary<string, Tensor>()));
    }
}
