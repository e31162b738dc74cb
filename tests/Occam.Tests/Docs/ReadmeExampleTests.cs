namespace Occam.Tests.Docs;

/// <summary>The README's example, kept compiling and correct.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void ExampleRunsAndDescends()
    {
        var gen = new Generator(seed: 1);
        var x = Tensor.RandN([64, 784], gen);
        var w = Tensor.RandN([10, 784], gen, std: 0.01f); w.RequiresGrad = true;
        var b = Tensor.Zeros(10); b.RequiresGrad = true;
        var target = Tensor.OneHot(Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (float)(i % 10)).ToArray(), 64), 10);

        float Loss()
        {
            var logits = Functional.Linear(x, w, b);
            var loss = -(logits.LogSoftmax(1) * target).Sum() / 64 + (w * w).Sum() * 1e-4f;
            float value = loss.Item();
            loss.Backward();
            using (Autograd.NoGrad()) { w.CopyFrom(w - w.Grad! * 0.1f); }
            w.Grad = null;
            return value;
        }
        float first = Loss();
        Assert.Equal(MathF.Log(10), first, 1);
        float later = 0;
        for (int i = 0; i < 5; i++) later = Loss();
        Assert.True(later < first, $"loss {first} → {later}");
    }
}
