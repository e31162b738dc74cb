using System.Text.Json;
using Occam.Losses;
using Occam.Tests.Support;

namespace Occam.Tests.Losses;

/// <summary>The fused softmax cross-entropy (the op CrossEntropyLoss uses for [N, C] logits with class indices):
/// against PyTorch on odd sizes (tests/fixtures/softmax_ce.json from tools/fixtures/torch_softmax_ce_fixtures.py),
/// against central differences, and against the composite log-softmax path it replaces.</summary>
public class SoftmaxCrossEntropyTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Fixtures.Cases("softmax_ce.json"));

    public static TheoryData<string> Names() => Fixtures.Names(Cases.Value.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var logits = Fixtures.Tensor(c.GetProperty("logits"));
        logits.RequiresGrad = true;
        var targetValues = Fixtures.Floats(c.GetProperty("target"));
        var target = Tensor.FromArray(targetValues, targetValues.Length);
        bool mean = c.GetProperty("reduction").GetString() == "mean";
        var loss = Functional.SoftmaxCrossEntropy(logits, target, c.GetProperty("label_smoothing").GetSingle(), mean);
        Assert.Equal(c.GetProperty("loss").GetSingle(), loss.Item(), 1e-4f * (1 + Math.Abs(c.GetProperty("loss").GetSingle())));
        loss.Backward(Tensor.Scalar(c.GetProperty("grad_output").GetSingle()));
        var expected = Fixtures.Floats(c.GetProperty("grad"));
        var actual = logits.Grad!.Span.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
    }

    [Theory]
    [InlineData(0f, true)]
    [InlineData(0.1f, true)]
    [InlineData(0.3f, false)]
    public void GradientMatchesCentralDifferences(float smoothing, bool mean)
    {
        var target = Tensor.FromArray([0, 3, 1, 2, 3, 4, 0], 7);
        GradCheck.Check(x => Functional.SoftmaxCrossEntropy(x[0], target, smoothing, mean), Tensor.RandN([7, 5], new Generator(4)));
    }

    [Fact]
    public void CrossEntropyLossGivesTheCompositeResult()
    {
        var logits = Tensor.RandN([9, 6], new Generator(5));
        var target = Tensor.FromArray([0, 5, 1, 2, 3, 4, 0, 5, 2], 9);
        var fused = new CrossEntropyLoss(0.1f).Forward(logits, target).Item();
        // Class weights of 1 take the composite log-softmax path: the same loss.
        var composite = new CrossEntropyLoss(0.1f, weight: Tensor.Ones(6)).Forward(logits, target).Item();
        Assert.Equal(composite, fused, 1e-5f);
    }

    [Fact]
    public void BadTargetsAreNamed()
    {
        var logits = Tensor.RandN([2, 3], new Generator(6));
        var e = Assert.Throws<ArgumentException>(() => Functional.SoftmaxCrossEntropy(logits, Tensor.FromArray([0, 3], 2)));
        Assert.Contains("target 3 is out of range for 3 classes", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.SoftmaxCrossEntropy(logits, Tensor.FromArray([0.5f, 1], 2)));
        Assert.Contains("not an integer class index", e.Message);
    }
}
