using Occam.Tests.Support;

namespace Occam.Tests.Ops;

/// <summary>Edge cases of the core ops against PyTorch 1.13's results (values taken from torch, quoted beside each):
/// 0-d and empty tensors, exact divisions, NaN gradients, and accuracy near 0.</summary>
public class EdgeCaseTests
{
    static Tensor Leaf(float[] data, params int[] shape) => new Occam.NN.Parameter(Tensor.FromArray(data, shape));

    [Fact]
    public void ReductionsOfA0dTensorOverDim0OrMinus1ReduceNothing()
    {
        // torch.tensor(3.).sum(0) → 3, .mean(-1) → 3, .argmax(0) → 0, .var(0) → nan (one element, unbiased)
        var x = Tensor.Scalar(3);
        Assert.Equal(3f, x.Sum(0).Item());
        Assert.Equal(3f, x.Mean(-1).Item());
        Assert.Equal(0f, x.Argmax(0).Item());
        Assert.Equal(3f, x.LogSumExp([0]).Item());
        Assert.True(float.IsNaN(x.Var([0]).Item()));
        Assert.Equal(0f, x.Var([0], unbiased: false).Item());
        Assert.Contains("Sum", Assert.ThrowsAny<ArgumentException>(() => x.Sum(1)).Message);
        Assert.Equal("Tensor.Dim: a 0-d tensor has no dimensions, got dim 0", Assert.Throws<ArgumentException>(() => x.Dim(0)).Message);
    }

    [Fact]
    public void SumIsANewTensorEvenWhenNothingIsReduced()
    {
        var a = Tensor.Zeros(1, 3);
        var s = a.Sum(0);
        s.CopyFrom(Tensor.Ones(3));
        Assert.Equal([0f, 0f, 0f], a.ToArray());
        Assert.NotSame(a, a.Sum(0, keepDim: true));
        var leaf = Leaf([1, 2, 3], 1, 3);
        var kept = leaf.Sum(0, keepDim: true);
        Assert.False(kept.IsLeaf);
        (kept * Tensor.FromArray([1f, 2f, 3f], 1, 3)).Sum().Backward();
        Assert.Equal([1f, 2f, 3f], leaf.Grad!.ToArray());
    }

    [Fact]
    public void DivisionByANumberIsExact()
    {
        // torch.tensor([21., 49., 77.]) / 7 → [3, 7, 11]; torch.full((7,), 3.).mean() → 3; torch.arange(1., 9.).var() → 6
        Assert.Equal([3f, 7f, 11f], (Tensor.FromArray([21f, 49f, 77f]) / 7f).ToArray());
        Assert.Equal(3f, Tensor.Full([7], 3f).Mean().Item());
        Assert.Equal(6f, Tensor.FromArray([1f, 2, 3, 4, 5, 6, 7, 8]).Var().Item());
        var x = Leaf([21f, 49f, 77f], 3);
        (x / 7f).Sum().Backward();
        Assert.Equal([1f / 7, 1f / 7, 1f / 7], x.Grad!.ToArray());
    }

    [Fact]
    public void StdGradientIsZeroWhereTheStdIs0()
    {
        // x = [[2, 2, 2], [1, 2, 3]]; x.std(1).backward(ones) → row 0 gets 0 (torch's std_backward masks σ = 0)
        var x = Leaf([2, 2, 2, 1, 2, 3], 2, 3);
        x.Std([1]).Sum().Backward();
        var g = x.Grad!.ToArray();
        Assert.Equal([0f, 0f, 0f], g[..3]);
        GradCheck.Close([-0.5f, 0f, 0.5f], g[3..]);
        var single = Leaf([1, 2, 3, 4], 2, 1, 2, 1);
        single.Std([1, 3], unbiased: false).Sum().Backward();
        Assert.Equal([0f, 0f, 0f, 0f], single.Grad!.ToArray());
    }

    [Fact]
    public void FromArrayWithoutAShapeIsOneDimensionalForOneValueToo()
    {
        Assert.Equal([1], Tensor.FromArray([5f]).Shape);
        Assert.Equal([2], Tensor.FromArray([5f, 6f]).Shape);
        Assert.Equal(0, Tensor.Scalar(5f).Rank);
        Assert.Equal(0, Tensor.FromArray([5f], []).Rank);
    }

    [Fact]
    public void EmptyTensorsBehaveAsInPyTorch()
    {
        Assert.True(float.IsNaN(Tensor.Zeros(0).Var().Item()));                          // torch: nan
        Assert.Equal(float.NegativeInfinity, Tensor.Zeros(0).LogSumExp().Item());         // torch: -inf
        Assert.Equal([2, 0], Tensor.Zeros(2, 0).Softmax(1).Shape);                        // torch: empty [2, 0]
        Assert.Equal([2, 0], Tensor.Zeros(2, 0).LogSoftmax(-1).Shape);
        var product = Tensor.Zeros(2, 3, 0).MatMul(Tensor.Zeros(0, 4));                   // torch: zeros [2, 3, 4]
        Assert.Equal([2, 3, 4], product.Shape);
        Assert.All(product.ToArray(), v => Assert.Equal(0f, v));
        var linear = Functional.Linear(Tensor.Zeros(2, 0), Tensor.Zeros(3, 0), Tensor.Ones(3)); // torch: ones [2, 3]
        Assert.Equal([1f, 1f, 1f, 1f, 1f, 1f], linear.ToArray());
        Assert.StartsWith("Min: cannot reduce over dim 1", Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 0).Min(1)).Message);
        Assert.StartsWith("Argmin:", Assert.Throws<ArgumentException>(() => Tensor.Zeros(0).Argmin()).Message);
        Assert.StartsWith("Cat: tensor 1 is null", Assert.Throws<ArgumentNullException>(() => Tensor.Cat([Tensor.Ones(2), null!])).Message);
        Assert.StartsWith("Stack: tensor 0 is null", Assert.Throws<ArgumentNullException>(() => Tensor.Stack([null!, Tensor.Ones(2)])).Message);
    }

    [Fact]
    public void ANaNPassesItsGradientThroughMaximumMinimumAndRelu()
    {
        // torch.maximum(nan, 1).backward() → both operands get 1; relu(nan).backward() → 1
        foreach (bool max in new[] { true, false })
        {
            var a = Leaf([float.NaN, 2f, 5f], 3);
            var b = Leaf([1f, 2f, 1f], 3);
            (max ? a.Maximum(b) : a.Minimum(b)).Sum().Backward();
            Assert.Equal(max ? [1f, 0.5f, 1f] : [1f, 0.5f, 0f], a.Grad!.ToArray());
            Assert.Equal(max ? [1f, 0.5f, 0f] : [1f, 0.5f, 1f], b.Grad!.ToArray());
        }
        var x = Leaf([float.NaN, -1f, 2f, 0f, float.NaN, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -3], 19); // vector lanes and the tail
        x.Relu().Sum().Backward();
        Assert.Equal([1f, 0f, 1f, 0f, 1f, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void TanhIsAccurateNearZeroInEveryLane()
    {
        // torch.tanh: 0 → 0, −0 → −0, 1e-30 → 1e-30, 1e-3 → 0.0009999997
        float[] inputs = [0f, -0f, 1e-30f, 1e-3f, -1e-3f, 0.3f, 0.6f, 2f, -9f, 20f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-8f, 0.1f, -0.25f, 5f];
        foreach (int n in new[] { 1, 4, 16, inputs.Length })
        {
            var y = Tensor.FromArray(inputs[..n]).Tanh().ToArray();
            for (int i = 0; i < n; i++)
            {
                double expected = Math.Tanh(inputs[i]);
                if (double.IsNaN(expected)) { Assert.True(float.IsNaN(y[i])); continue; }
                Assert.True(Math.Abs(y[i] - expected) <= 2e-7 * Math.Abs(expected) + 1e-45, $"tanh({inputs[i]}) = {y[i]}, expected {expected} ({n} elements)");
                Assert.Equal(double.IsNegative(expected), float.IsNegative(y[i]));
            }
        }
    }

    [Fact]
    public void EluGradientKeepsItsPrecisionForLargeNegativeInputs()
    {
        // torch: elu'(-15) = e^-15 = 3.0590e-07, elu'(-40) = 4.2484e-18
        var x = Leaf([-15f, -40f, 1f, -0.5f, -15f, -40f, 1f, -0.5f, -15f, -40f, 1f, -0.5f, -15f, -40f, 1f, -0.5f, -15f], 17);
        x.Elu().Sum().Backward();
        var g = x.Grad!.ToArray();
        foreach (int i in new[] { 0, 16 }) Assert.Equal(3.0590232e-7, g[i], 1e-12);
        Assert.Equal(4.248354e-18, g[1], 1e-22);
        Assert.Equal(Math.Exp(-0.5), g[3], 6);
        Assert.Equal(1f, g[2]);
    }
}
