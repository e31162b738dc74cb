using Occam.NN;
using Occam.Training.Callbacks;

namespace Occam.Tests.Training.Callbacks;

/// <summary>Keras 3 EarlyStopping, case by case: the epoch at which it stops (or −1) and the restored weights.</summary>
public class EarlyStoppingTests
{
    sealed class Context : ITrainingContext
    {
        public Module Model { get; } = new Linear(1, 1, bias: false, generator: new Generator(1));
        public Occam.Training.History History { get; } = new();
        public bool StopTraining { get; set; }
    }

    // Runs the callback over the monitored values; the model's weight equals the epoch index at each epoch end.
    static (int StoppedAt, float FinalWeight, EarlyStopping Callback) Run(EarlyStopping es, string key, params double[] values)
    {
        var ctx = new Context();
        es.Context = ctx;
        es.OnTrainBegin(new Dictionary<string, double>());
        int stoppedAt = -1;
        for (int epoch = 0; epoch < values.Length; epoch++)
        {
            ((Linear)ctx.Model).Weight.CopyFrom(Tensor.FromArray([(float)epoch], 1, 1));
            es.OnEpochEnd(epoch, new Dictionary<string, double> { [key] = values[epoch] });
            if (ctx.StopTraining) { stoppedAt = epoch; break; }
        }
        es.OnTrainEnd(new Dictionary<string, double>());
        return (stoppedAt, ((Linear)ctx.Model).Weight.Item(), es);
    }

    public static TheoryData<string, EarlyStopping, string, double[], int> Cases() => new()
    {
        { "patience 0 stops at the first non-improving epoch", new EarlyStopping(patience: 0), "val_loss", [1.0, 0.9, 0.95, 0.5], 2 },
        { "patience 2 waits two epochs", new EarlyStopping(patience: 2), "val_loss", [1.0, 1.1, 1.2, 1.3], 2 },
        { "patience counts from the last improvement", new EarlyStopping(patience: 2), "val_loss", [1.0, 1.1, 0.9, 1.0, 1.0, 1.0], 4 },
        { "min mode: minDelta demands a decrease larger than it", new EarlyStopping(minDelta: 0.1, patience: 1), "val_loss", [1.0, 0.95, 0.85, 0.8], 1 },
        { "min mode: a large enough decrease counts", new EarlyStopping(minDelta: 0.1, patience: 1), "val_loss", [1.0, 0.85, 0.7, 0.69], 3 },
        { "max mode: minDelta demands an increase larger than it", new EarlyStopping("val_accuracy", minDelta: 0.05, patience: 1), "val_accuracy", [0.5, 0.53, 0.6], 1 },
        { "the sign of minDelta is ignored", new EarlyStopping(minDelta: -0.1, patience: 1), "val_loss", [1.0, 0.95, 0.85, 0.8], 1 },
        { "auto mode maximizes accuracy", new EarlyStopping("accuracy", patience: 0), "accuracy", [0.5, 0.6, 0.55], 2 },
        { "explicit max mode on a loss name", new EarlyStopping("val_loss", patience: 0, mode: MonitorMode.Max), "val_loss", [1.0, 2.0, 1.5], 2 },
        { "without a baseline, improvements reset the wait", new EarlyStopping(patience: 2), "val_loss", [0.9, 0.8, 0.85], -1 },
        { "an unmet baseline keeps the wait growing through improvements", new EarlyStopping(patience: 2, baseline: 0.5), "val_loss", [0.9, 0.8, 0.85], 2 },
        { "a met baseline resets the wait", new EarlyStopping(patience: 2, baseline: 0.85), "val_loss", [0.9, 0.8, 0.85], -1 },
        { "an improving epoch never stops, even past patience", new EarlyStopping(patience: 1, baseline: 0.1), "val_loss", [0.9, 0.8, 0.7, 0.6], -1 },
        { "epochs before startFromEpoch are ignored", new EarlyStopping(patience: 0, startFromEpoch: 2), "val_loss", [1.0, 2.0, 3.0, 3.5], 3 },
        { "never stops at epoch 0", new EarlyStopping(patience: 0, baseline: 0.1), "val_loss", [1.0, 2.0], 1 },
    };

    [Theory, MemberData(nameof(Cases))]
    public void StopsWhereKerasStops(string because, EarlyStopping es, string key, double[] values, int expectedStop)
    {
        var (stoppedAt, _, callback) = Run(es, key, values);
        Assert.True(expectedStop == stoppedAt, $"{because}: stopped at {stoppedAt}, expected {expectedStop}");
        Assert.Equal(Math.Max(expectedStop, 0), callback.StoppedEpoch);
    }

    [Fact]
    public void AMissingMonitorIsAnErrorNamingTheLogs()
    {
        // Keras only warns and then never stops; a misspelt monitor (or val_* without validation data) is a bug to report
        var e = Assert.Throws<InvalidOperationException>(() => Run(new EarlyStopping("val_acc", patience: 0), "val_accuracy", 0.5, 0.6));
        Assert.Contains("EarlyStopping: the monitored 'val_acc' is not in the epoch's logs (val_accuracy)", e.Message);
    }

    [Fact]
    public void ANaNNeverBecomesTheBest()
    {
        var (stoppedAt, weight, es) = Run(new EarlyStopping(patience: 2, restoreBestWeights: true), "val_loss", double.NaN, 0.9, 0.8, double.NaN);
        Assert.Equal(-1, stoppedAt);
        Assert.Equal(0.8, es.Best);
        Assert.Equal(2, es.BestEpoch);
        Assert.Equal(2f, weight);
    }

    [Fact]
    public void SettingsThatCannotWorkAreRejected()
    {
        Assert.Contains("cannot tell whether 'weight_l2' should fall or rise", Assert.Throws<ArgumentException>(() => new EarlyStopping("weight_l2")).Message);
        Assert.Equal(MonitorMode.Min, new EarlyStopping("weight_l2", mode: MonitorMode.Min).Mode);
        Assert.Equal(MonitorMode.Min, new EarlyStopping("val_top5_error").Mode); // an error falls, "top" or not
        Assert.Equal(MonitorMode.Max, new EarlyStopping("val_top5_accuracy").Mode);
        Assert.Contains("unknown mode 7", Assert.Throws<ArgumentException>(() => new EarlyStopping(mode: (MonitorMode)7)).Message);
        Assert.Contains("minDelta must be a finite number, got NaN", Assert.Throws<ArgumentException>(() => new EarlyStopping(minDelta: double.NaN)).Message);
    }

    [Fact]
    public void RestoresTheBestWeightsAtTrainEndEvenWithoutStopping()
    {
        var (stoppedAt, weight, es) = Run(new EarlyStopping(patience: 10, restoreBestWeights: true), "val_loss", 1.0, 0.4, 0.7, 0.6);
        Assert.Equal(-1, stoppedAt);
        Assert.Equal(1f, weight); // the weights of epoch 1
        Assert.Equal(1, es.BestEpoch);
        Assert.Equal(0.4, es.Best);
    }

    [Fact]
    public void RestoresTheBestWeightsWhenStopping()
    {
        var (stoppedAt, weight, _) = Run(new EarlyStopping(patience: 1, restoreBestWeights: true), "val_loss", 1.0, 0.4, 0.7, 0.6);
        Assert.Equal(2, stoppedAt);
        Assert.Equal(1f, weight);
    }

    [Fact]
    public void WithoutRestoreTheLastWeightsStay()
    {
        var (_, weight, _) = Run(new EarlyStopping(patience: 10), "val_loss", 1.0, 0.4, 0.7);
        Assert.Equal(2f, weight);
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Contains("patience", Assert.Throws<ArgumentException>(() => new EarlyStopping(patience: -1)).Message);
        Assert.Contains("startFromEpoch", Assert.Throws<ArgumentException>(() => new EarlyStopping(startFromEpoch: -2)).Message);
    }
}
