using Occam.NN;

namespace Occam.Tests.NN.Regularization;

public class DropoutFamilyTests
{
    static Tensor Normal(ulong seed, params int[] shape) => Tensor.RandN(shape, new Generator(seed));

    [Fact]
    public void Dropout2dZeroesWholeChannels()
    {
        var x = Tensor.Ones(50, 40, 3, 3);
        var y = new Dropout2d(0.3f, new Generator(1)).Forward(x).Reshape(2000, 9).ToArray();
        int dropped = 0;
        for (int ch = 0; ch < 2000; ch++)
        {
            var plane = y[(ch * 9)..(ch * 9 + 9)];
            Assert.True(plane.All(v => v == 0) || plane.All(v => Math.Abs(v - 1 / 0.7f) < 1e-5), "a channel is dropped whole or kept whole");
            if (plane[0] == 0) dropped++;
        }
        double sd = Math.Sqrt(0.3 * 0.7 / 2000);
        Assert.InRange(dropped / 2000.0, 0.3 - 5 * sd, 0.3 + 5 * sd);
    }

    [Fact]
    public void ChannelDropoutChecksRankAndModes()
    {
        Assert.Contains("Dropout1d", Assert.Throws<ArgumentException>(() => new Dropout1d(0.5f).Forward(Tensor.Ones(2, 3, 4, 5))).Message);
        var x = Normal(2, 2, 3, 4);
        Assert.Equal([2, 3, 4], new Dropout1d(0.5f).Forward(x).Shape);
        var d = new Dropout3d(0.5f);
        d.Eval();
        var v = Normal(3, 2, 2, 2, 2, 2);
        Assert.Same(v, d.Forward(v));
        Assert.All(new Dropout2d(1f).Forward(Tensor.Ones(2, 2, 2, 2)).ToArray(), e => Assert.Equal(0f, e));
        Assert.Equal(x.ToArray(), new Dropout1d(0f).Forward(x).ToArray());
        Assert.Throws<ArgumentException>(() => new Dropout2d(-0.1f));
    }

    [Fact]
    public void AlphaDropoutKeepsSelusMeanAndVariance()
    {
        var x = Normal(4, 200_000);
        var y = new AlphaDropout(0.2f, new Generator(5)).Forward(x);
        Assert.InRange(y.Mean().Item(), -0.01f, 0.01f);
        Assert.InRange(y.Var().Item(), 0.98f, 1.02f);
        var d = new AlphaDropout(0.2f);
        d.Eval();
        Assert.Same(x, d.Forward(x));
        Assert.All(new AlphaDropout(1f).Forward(Normal(6, 10)).ToArray(), e => Assert.Equal(0f, e));
        Assert.Equal(x.ToArray(), new AlphaDropout(0f).Forward(x).ToArray());
    }

    [Fact]
    public void GaussianDropoutHasMeanOneNoiseOfTheRightVariance()
    {
        var y = new GaussianDropout(0.2f, new Generator(7)).Forward(Tensor.Ones(200_000));
        Assert.InRange(y.Mean().Item(), 0.995f, 1.005f);
        Assert.InRange(y.Var().Item(), 0.25f * 0.98f, 0.25f * 1.02f); // rate/(1 − rate) = 0.25
        Assert.Throws<ArgumentException>(() => new GaussianDropout(1f));
        var d = new GaussianDropout(0.5f);
        d.Eval();
        var x = Normal(8, 5);
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void GaussianNoiseAddsNoiseInTrainingOnly()
    {
        var y = new GaussianNoise(0.5f, new Generator(9)).Forward(Tensor.Zeros(200_000));
        Assert.InRange(y.Mean().Item(), -0.005f, 0.005f);
        Assert.InRange(y.Var().Item(), 0.25f * 0.98f, 0.25f * 1.02f);
        var n = new GaussianNoise(0.5f);
        n.Eval();
        var x = Normal(10, 5);
        Assert.Same(x, n.Forward(x));
        Assert.Throws<ArgumentException>(() => new GaussianNoise(-1f));
    }

    [Fact]
    public void DropConnectDropsWeightsNotActivations()
    {
        var layer = new DropConnect(200, 1, p: 0.5f, bias: false, generator: new Generator(11));
        Assert.Equal(["weight"], layer.NamedParameters().Select(p => p.Name));
        // With one-hot inputs each output is one (possibly dropped) weight: about half are zero.
        var eye = Tensor.OneHot(Tensor.Arange(200), 200);
        var y = layer.Forward(eye).ToArray();
        var w = layer.Weight.ToArray();
        int zeros = y.Count(v => v == 0);
        Assert.InRange(zeros, 65, 135);
        for (int i = 0; i < 200; i++) Assert.True(y[i] == 0 || Math.Abs(y[i] - 2 * w[i]) < 1e-5);
        layer.Eval();
        Assert.Equal(w, layer.Forward(eye).ToArray());
        layer.Train();
        layer.Forward(eye).Sum().Backward();
        Assert.NotNull(layer.Weight.Grad);
    }

    [Fact]
    public void StochasticDepthDropsWholeRowsOrTheWholeBatch()
    {
        var x = Tensor.Ones(1000, 4);
        var rows = new StochasticDepth(0.25f, StochasticDepthMode.Row, new Generator(12)).Forward(x).Reshape(1000, 4).ToArray();
        int dropped = 0;
        for (int r = 0; r < 1000; r++)
        {
            var row = rows[(r * 4)..(r * 4 + 4)];
            Assert.True(row.All(v => v == 0) || row.All(v => Math.Abs(v - 1 / 0.75f) < 1e-5));
            if (row[0] == 0) dropped++;
        }
        Assert.InRange(dropped, 250 - 5 * 14, 250 + 5 * 14);
        var batch = new StochasticDepth(0.5f, StochasticDepthMode.Batch, new Generator(13));
        var outcomes = Enumerable.Range(0, 200).Select(_ => batch.Forward(x).ToArray()).ToArray();
        Assert.All(outcomes, o => Assert.True(o.All(v => v == 0) || o.All(v => v == 2f)));
        Assert.InRange(outcomes.Count(o => o[0] == 0), 100 - 5 * 7, 100 + 5 * 7);
        var off = new StochasticDepth(0.5f);
        off.Eval();
        Assert.Same(x, off.Forward(x));
        Assert.All(new StochasticDepth(1f).Forward(x).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void McDropoutSamplesWhileTheRestStaysInEval()
    {
        var g = new Generator(14);
        var model = new Sequential(new Linear(6, 32, generator: g), new ReLU(), new Dropout(0.3f, g), new Linear(32, 2, generator: g));
        model.Eval();
        model.EnableMcDropout();
        Assert.False(model.IsTraining);
        Assert.False(model[0].IsTraining);
        Assert.True(model[2].IsTraining);

        model.Train();
        var x = Tensor.RandN([5, 6], g);
        var (mean, std) = McDropout.Predict(model, x, samples: 50);
        Assert.Equal([5, 2], mean.Shape);
        Assert.True(std.ToArray().All(s => s > 0), "dropout makes the predictions vary");
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.IsTraining)); // modes restored

        var deterministic = new Sequential(new Linear(6, 2, generator: g));
        var (m2, s2) = McDropout.Predict(deterministic, x, samples: 5);
        Assert.All(s2.ToArray(), s => Assert.Equal(0f, s, 5));
        deterministic.Eval();
        Occam.Tests.Support.GradCheck.Close(deterministic.Forward(x).ToArray(), m2.ToArray());
        Assert.Throws<ArgumentException>(() => McDropout.Predict(model, x, samples: 1));
    }
}
