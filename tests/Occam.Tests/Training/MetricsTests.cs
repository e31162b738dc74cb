using Occam.Training;

namespace Occam.Tests.Training;

public class MetricsTests
{
    [Fact]
    public void TheConfusionMatrixCountsTruthAgainstPredictionBatchByBatch()
    {
        // rows: true 0 predicted 0, true 1 predicted 2, true 2 predicted 2, true 1 predicted 1 (a tie between 1 and 2: the lower)
        var logits = Tensor.FromArray([3f, 1, 0, 0, 1, 5, 0, 0, 2, 0, 4, 4], 4, 3);
        var targets = Tensor.FromArray([0f, 1, 2, 1], 4);
        var counts = new long[3, 3];
        Metrics.ConfusionMatrix(logits, targets, counts);
        Metrics.ConfusionMatrix(Tensor.FromArray([0f, 0, 1], 1, 3), Tensor.FromArray([2f, 0, 0], 1, 3), counts); // a soft target: class 0
        Assert.Equal(new long[,] { { 1, 0, 1 }, { 0, 1, 1 }, { 0, 0, 1 } }, counts);
        Assert.Equal([0.5, 0.5, 1.0], Metrics.ClassAccuracy(counts));
        // skipped rows, a class never seen, and what is refused
        var ignored = new long[3, 3];
        Metrics.ConfusionMatrix(logits, Tensor.FromArray([0f, -100, -100, -100], 4), ignored, ignoreIndex: -100);
        Assert.Equal(1, ignored[0, 0]);
        Assert.True(double.IsNaN(Metrics.ClassAccuracy(ignored)[1]));
        Assert.Contains("the confusion matrix must be [3, 3] for 3 classes, got [2, 2]",
            Assert.Throws<ArgumentException>(() => Metrics.ConfusionMatrix(logits, targets, new long[2, 2])).Message);
        Assert.Contains("target 3 of row 0 is not a class index in [0, 3)",
            Assert.Throws<ArgumentException>(() => Metrics.ConfusionMatrix(logits, Tensor.FromArray([3f, 0, 0, 0], 4), new long[3, 3])).Message);
    }
}
