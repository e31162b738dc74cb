using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;

namespace Occam.Tests.Optim.Schedulers;

public class SwaLRTests
{
    // Values printed by torch.optim.swa_utils.SWALR (PyTorch 1.13), SGD lr 0.1, swa_lr 0.05.
    [Theory]
    [InlineData(AnnealStrategy.Cos, 3, new[] { 0.1, 0.0875, 0.0625, 0.05, 0.05, 0.05, 0.05 })]
    [InlineData(AnnealStrategy.Linear, 4, new[] { 0.1, 0.0875, 0.075, 0.0625, 0.05, 0.05, 0.05 })]
    [InlineData(AnnealStrategy.Cos, 0, new[] { 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05 })]
    public void MatchesPyTorch(AnnealStrategy strategy, int annealEpochs, double[] expected)
    {
        var optimizer = new SGD([new Parameter(Tensor.Zeros(1))], lr: 0.1);
        var scheduler = new SwaLR(optimizer, swaLr: 0.05, annealEpochs, strategy);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], optimizer.Groups[0].Lr!.Value, 12);
            scheduler.Step();
        }
        Assert.Throws<ArgumentException>(() => new SwaLR(optimizer, swaLr: -1));
    }
}
