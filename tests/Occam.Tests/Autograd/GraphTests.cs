namespace Occam.Tests.Ops;

public class GraphTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        x.RequiresGrad = true;
        (x * x).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal([5f, 7f, 9f], x.Grad!.ToArray());
    }

    [Fact]
    public void SharedSubexpressionGetsBothContributions()
    {
        var x = Tensor.FromArray([2f], 1);
        x.RequiresGrad = true;
        var y = x * x;          // y = x², used twice
        (y + y * x).Sum().Backward(); // d/dx (x² + x³) = 2x + 3x² = 16
        Assert.Equal(16f, x.Grad!.Item());
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        Tensor y;
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsEnabled);
            y = x * 2f;
        }
        Assert.True(Autograd.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void DetachCutsTheGraphAndSurvivesRelease()
    {
        var x = Tensor.FromArray([1f, -2f], 2);
        x.RequiresGrad = true;
        var h = x * 3f;
        var kept = h.Detach();
        Assert.False(kept.RequiresGrad);
        (h * h.Detach()).Sum().Backward(); // the detached factor is a constant
        Assert.Equal([9f, -18f], x.Grad!.ToArray());
        Assert.Equal([3f, -6f], kept.ToArray());
    }

    [Fact]
    public void BackwardOnNonScalarNeedsAGradient()
    {
        var x = Tensor.Ones(2, 2);
        x.RequiresGrad = true;
        var y = x * 2f;
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("[2, 2]", e.Message);
        y.Backward(Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2));
        Assert.Equal([2f, 4f, 6f, 8f], x.Grad!.ToArray());
    }

    [Fact]
    public void SecondBackwardThroughReleasedGraphIsAClearError()
    {
        var x = Tensor.Ones(3);
        x.RequiresGrad = true;
        var h = x.Exp();
        var loss = h.Sum();
        loss.Backward();
        Assert.Equal(3 * MathF.E, loss.Item(), 4); // the root stays readable
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("released", e.Message);
        var read = Assert.Throws<InvalidOperationException>(() => h.ToArray());
        Assert.Contains("released by Backward", read.Message);
        Assert.Throws<InvalidOperationException>(() => (h * 2f).Sum().Backward());
    }

    [Fact]
    public void RetainGraphAllowsASecondBackward()
    {
        var x = Tensor.FromArray([1f, 2f], 2);
        x.RequiresGrad = true;
        var loss = (x * x).Sum();
        loss.Backward(retainGraph: true);
        loss.Backward();
        Assert.Equal([4f, 8f], x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardOnALeaf()
    {
        var x = Tensor.Scalar(3f);
        x.RequiresGrad = true;
        x.Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void RepeatedStepsReuseBuffersFromThePool()
    {
        var gen = new Generator(5);
        var w = Tensor.RandN([64, 32], gen);
        w.RequiresGrad = true;
        var x = Tensor.RandN([16, 32], gen);
        void Step() { Functional.Linear(x, w).Relu().Sum().Backward(); }
        for (int i = 0; i < 5; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        Assert.True(perStep < 4096, $"a step allocated {perStep} bytes; buffers should come from the pool");
    }

    [Fact]
    public void NonLeafCannotStopRequiringGrad()
    {
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        var y = x + 1f;
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
    }

    [Fact]
    public void BackwardRefusesInputsChangedInPlaceSinceTheForward()
    {
        // PyTorch: "one of the variables needed for gradient computation has been modified by an inplace operation"
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        x.RequiresGrad = true;
        var y = (x * x).Sum();
        x.CopyFrom(Tensor.FromArray([10f, 20f, 30f], 3));
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("an input of 'Mul' was changed in place after the forward pass", e.Message);
        Assert.Null(x.Grad);

        // An optimizer step between a forward and its backward (two losses, a GAN loop) is caught the same way
        var w = new Occam.NN.Parameter(Tensor.FromArray([1f, 2f], 1, 2));
        var opt = new Occam.Optim.SGD([w], lr: 0.1);
        var input = Tensor.FromArray([3f, 4f], 1, 2);
        var first = Functional.Linear(input, w).Sum();
        var second = Functional.Linear(input, w).Sum();
        first.Backward();
        opt.Step();
        Assert.Throws<InvalidOperationException>(() => second.Backward());
        // while the usual forward, backward, step loop never trips it
        for (int i = 0; i < 3; i++)
        {
            opt.ZeroGrad();
            Functional.Linear(input, w).Sum().Backward();
            opt.Step();
        }
    }

    [Fact]
    public void AViewOfALeafCanBeDifferentiatedThroughAgain()
    {
        // A parameter view built once (outside a training loop) works step after step, as in PyTorch
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 4);
        x.RequiresGrad = true;
        var v = x.Reshape(2, 2);
        v.Sum().Backward();
        v.Sum().Backward();
        Assert.Equal([2f, 2f, 2f, 2f], x.Grad!.ToArray());
        // but not through an op that saved what its backward reads
        var e = x.Exp();
        e.Sum().Backward();
        Assert.Throws<InvalidOperationException>(() => e.Reshape(2, 2).Sum().Backward());
    }

    [Fact]
    public void AnExplicitGradientMustHaveTheOutputsShape()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        x.RequiresGrad = true;
        var y = x.Reshape(3, 1) * x.Reshape(1, 3);
        var e = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones(9)));
        Assert.Contains("gradient of shape [9] does not match the output's shape [3, 3]", e.Message);
    }

    [Fact]
    public void ReductionsAndShapeOpsOnEdgeShapesFollowPyTorch()
    {
        var a = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 2, 3);
        Assert.Equal(15f, a.Sum(Array.Empty<int>()).Item());          // x.sum([]) sums everything
        Assert.Equal(2.5f, a.Mean(Array.Empty<int>()).Item());
        var scalar = Tensor.Scalar(3f);
        Assert.Contains("dim 5 is out of range for a 0-d tensor", Assert.Throws<ArgumentException>(() => scalar.Max(5)).Message);
        Assert.Equal(3f, scalar.Max(0).Item());
        Assert.Equal(3f, scalar.Transpose(0, 0).Item());
        Assert.Contains("Cat: tensor 0 is 0-d", Assert.Throws<ArgumentException>(() => Tensor.Cat([scalar, scalar])).Message);
    }
}
