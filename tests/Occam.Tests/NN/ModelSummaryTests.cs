using Occam.NN;
using Occam.Studies;

namespace Occam.Tests.NN;

public class ModelSummaryTests
{
    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.RegularExpressions.Regex.Replace(l.TrimEnd(), @"\s{2,}", " | ")).ToArray();

    [Fact]
    public void ASequentialListsEachLayersOutputShapeAndParameters()
    {
        var cnn = Architectures.Cnn(new Generator(1));
        cnn[0].Freeze();
        var lines = Lines(cnn.Summary(1, 28, 28));
        Assert.Equal("Sequential on input [1, 1, 28, 28]", lines[0]);
        Assert.Contains("0 (Conv2d) | [1, 32, 28, 28] | 320", lines);           // 32·1·3·3 + 32
        Assert.Contains("1 (BatchNorm2d) | [1, 32, 28, 28] | 64", lines);
        Assert.Contains("3 (MaxPool2d) | [1, 32, 14, 14] | 0", lines);
        Assert.Contains("8 (Flatten) | [1, 3136] | 0", lines);
        Assert.Contains("11 (Linear) | [1, 10] | 1,290", lines);
        long total = cnn.ParameterCount();
        Assert.Contains($"Total params: {total:N0} (trainable {total - 320:N0}, frozen 320)", lines);
        Assert.Contains("Buffers: 194 (running statistics and other state, not trained)", lines); // (32 + 64)·2 + 2 counters
        Assert.True(cnn.IsTraining); // the summary ran in evaluation mode and put the mode back
    }

    sealed class TwoTowers : Module
    {
        readonly Linear _a, _b;
        public TwoTowers()
        {
            _a = RegisterModule("a", new Linear(4, 3, generator: new Generator(1)))!;
            _b = RegisterModule("b", new Linear(4, 2, generator: new Generator(2)))!;
        }

        public override Tensor Forward(Tensor input) => Tensor.Cat([_a.Forward(input), _b.Forward(input)], 1);
    }

    [Fact]
    public void AnyOtherModuleListsItsChildrenAndItsOutput()
    {
        var lines = Lines(new TwoTowers().Summary(4));
        Assert.Contains("a (Linear) | 15", lines);
        Assert.Contains("b (Linear) | 10", lines);
        Assert.Contains("= output | [1, 5]", lines);
        Assert.Contains("Total params: 25 (trainable 25, frozen 0)", lines);
    }

    [Fact]
    public void AnInputTheModelCannotTakeNamesTheLayer()
    {
        var mlp = Architectures.Mlp(new Generator(1));
        Assert.Contains("ModelSummary: layer 1 (Linear) cannot take an input of shape [1, 100]",
            Assert.Throws<ArgumentException>(() => mlp.Summary(100)).Message);
        Assert.Contains("must be positive, got [0, 3]", Assert.Throws<ArgumentException>(() => mlp.Summary(0, 3)).Message);
    }
}
