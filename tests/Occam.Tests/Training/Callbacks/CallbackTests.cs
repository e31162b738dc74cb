using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;
using Occam.Training.Callbacks;

namespace Occam.Tests.Training.Callbacks;

public class CallbackTests
{
    sealed class Context : ITrainingContext
    {
        public Module Model { get; } = new Linear(1, 1);
        public Occam.Training.History History { get; } = new();
        public bool StopTraining { get; set; }
    }

    [Fact]
    public void CsvLoggerWritesKerasColumns()
    {
        var path = Path.Combine(Path.GetTempPath(), $"occam-csv-{Guid.NewGuid():N}.csv");
        try
        {
            var logger = new CsvLogger(path) { Context = new Context() };
            logger.OnTrainBegin(new Dictionary<string, double>());
            logger.OnEpochEnd(0, new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = 0.8, ["val_loss"] = 0.6, ["val_accuracy"] = 0.75 });
            logger.OnEpochEnd(1, new Dictionary<string, double> { ["loss"] = 0.25, ["accuracy"] = 0.9, ["val_loss"] = 0.5, ["val_accuracy"] = 0.5 });
            var lines = File.ReadAllLines(path);
            Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss", lines[0]);
            Assert.Equal("0,0.8,0.5,0.75,0.6", lines[1]);
            Assert.Equal("1,0.9,0.25,0.5,0.5", lines[2]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TerminateOnNaNStopsAndNamesTheBatch()
    {
        var ctx = new Context();
        var t = new TerminateOnNaN { Context = ctx };
        t.OnEpochBegin(2, new Dictionary<string, double>());
        t.OnBatchEnd(0, new Dictionary<string, double> { ["loss"] = 1.0 });
        Assert.False(ctx.StopTraining);
        t.OnBatchEnd(4, new Dictionary<string, double> { ["loss"] = double.NaN });
        Assert.True(ctx.StopTraining);
        Assert.Contains("epoch 3, batch 5", t.Message);
    }

    [Fact]
    public void LrSchedulerCallbackStepsPerEpochOrPerBatch()
    {
        var opt = new SGD([new Parameter(Tensor.Zeros(1))], lr: 1.0);
        var cb = new LrSchedulerCallback(new StepLR(opt, stepSize: 1, gamma: 0.5)) { Context = new Context() };
        cb.OnBatchEnd(0, new Dictionary<string, double>());
        Assert.Equal(1.0, opt.Groups[0].Lr);
        cb.OnEpochEnd(0, new Dictionary<string, double>());
        Assert.Equal(0.5, opt.Groups[0].Lr);

        var plateau = new LrSchedulerCallback(new ReduceLROnPlateau(opt, patience: 0, factor: 0.1)) { Context = new Context() };
        Assert.Throws<InvalidOperationException>(() => plateau.OnEpochEnd(0, new Dictionary<string, double>()));
    }

    [Fact]
    public void APlateauWhoseModeContradictsTheMonitorIsRejected()
    {
        // Keras's ReduceLROnPlateau(monitor="val_accuracy") infers mode max; PyTorch's scheduler defaults to min, which on
        // an accuracy would cut the lr each time the accuracy rose.
        var opt = new SGD([new Parameter(Tensor.Zeros(1))], lr: 1.0);
        Assert.Equal("LrSchedulerCallback: the ReduceLROnPlateau has mode Min, but the monitored 'val_accuracy' should rise; build it with mode: PlateauMode.Max",
            Assert.Throws<ArgumentException>(() => new LrSchedulerCallback(new ReduceLROnPlateau(opt), monitor: "val_accuracy")).Message);
        Assert.Equal("LrSchedulerCallback: the ReduceLROnPlateau has mode Max, but the monitored 'val_loss' should fall; build it with mode: PlateauMode.Min",
            Assert.Throws<ArgumentException>(() => new LrSchedulerCallback(new ReduceLROnPlateau(opt, PlateauMode.Max))).Message);
        // agreeing modes, and a name whose direction is unknown, are taken as given
        var rising = new LrSchedulerCallback(new ReduceLROnPlateau(opt, PlateauMode.Max, patience: 0, factor: 0.5), monitor: "val_accuracy") { Context = new Context() };
        rising.OnEpochEnd(0, new Dictionary<string, double> { ["val_accuracy"] = 0.5 });
        rising.OnEpochEnd(1, new Dictionary<string, double> { ["val_accuracy"] = 0.6 });
        Assert.Equal(1.0, opt.Groups[0].Lr);
        rising.OnEpochEnd(2, new Dictionary<string, double> { ["val_accuracy"] = 0.55 });
        Assert.Equal(0.5, opt.Groups[0].Lr);
        _ = new LrSchedulerCallback(new ReduceLROnPlateau(opt, PlateauMode.Max), monitor: "weight_l2");
    }

    [Fact]
    public void ModelCheckpointFormatsThePathAsKeras()
    {
        // Keras: filepath.format(epoch=epoch + 1, **logs). "{epoch:02d}" used to stay in the file name, so every epoch
        // overwrote one file literally named "m-{epoch:02d}.safetensors".
        var logs = new Dictionary<string, double> { ["val_loss"] = 0.123456, ["loss"] = 0.000123456, ["acc"] = 0.5, ["one"] = 1.0, ["tiny"] = 1e-05, ["neg"] = -0.5, ["nan"] = double.NaN };
        var ckpt = new ModelCheckpoint("m-{epoch:02d}-{val_loss:.4f}-{loss:.2e}-{acc}-{one}-{tiny}-{epoch:3d}-{neg:08.3f}-{{x}}-{nan:.2f}-{epoch}.st");
        // the expected name is Python's str.format of the same path and values
        Assert.Equal("m-03-0.1235-1.23e-04-0.5-1.0-1e-05-  3--000.500-{x}-nan-3.st", ckpt.FileFor(2, logs));
        Assert.Equal("m-1.234568e+03-1235.st", new ModelCheckpoint("m-{loss:e}-{loss:.0f}.st").FileFor(0, new Dictionary<string, double> { ["loss"] = 1234.5678 }));
        Assert.Equal("ModelCheckpoint: the path 'm-{val_acc:.2f}.st' names 'val_acc', which is not in the epoch's logs (val_loss, loss)",
            Assert.Throws<InvalidOperationException>(() => new ModelCheckpoint("m-{val_acc:.2f}.st").FileFor(0, new Dictionary<string, double> { ["val_loss"] = 1, ["loss"] = 1 })).Message);
        var best = new ModelCheckpoint("m-{val_acc}.st", saveBestOnly: true) { Context = new Context() };
        Assert.Throws<InvalidOperationException>(() => best.OnEpochEnd(0, new Dictionary<string, double> { ["val_loss"] = 0.5 }));
        Assert.Equal(double.PositiveInfinity, best.Best); // nothing saved, so nothing became the best
        foreach (var (path, why) in new[]
        {
            ("m-{epoch.st", "a '{' is never closed"),
            ("m-}.st", "a '}' closes no placeholder"),
            ("m-{}.st", "'{}' needs a name"),
            ("m-{epoch:x}.st", "'{epoch:x}' has a format spec other than [0][width][.precision][d|f|e]"),
            ("m-{val_loss:d}.st", "'{val_loss:d}': d formats the epoch number"),
            ("m-{val_loss:.3}.st", "'{val_loss:.3}': a precision needs f or e"),
        })
            Assert.Contains($"ModelCheckpoint: path '{path}': {why}", Assert.Throws<ArgumentException>(() => new ModelCheckpoint(path)).Message);
    }

    [Fact]
    public void MonitorModeIsInferredFromTheName()
    {
        Assert.Equal(MonitorMode.Min, MonitorCallback.InferMode("val_loss"));
        Assert.Equal(MonitorMode.Max, MonitorCallback.InferMode("val_accuracy"));
        Assert.Equal(MonitorMode.Max, MonitorCallback.InferMode("auc"));
        Assert.Equal(MonitorMode.Min, MonitorCallback.InferMode("mse"));
    }
}
