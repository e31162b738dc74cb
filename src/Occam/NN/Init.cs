namespace Occam.NN;

/// <summary>Parameter initialisation, as torch.nn.init.</summary>
public static class Init
{
    static long _defaultSeed = 0x5EED;

    /// <summary>
    /// The generator a module uses when none is passed: seeded from a counter that starts at a fixed
    /// value, so a program that builds the same modules in the same order gets the same weights
    /// (PyTorch's default-seed behaviour, made explicit). Pass a Generator for full control.
    /// </summary>
    public static Generator DefaultGenerator() => new((ulong)Interlocked.Increment(ref _defaultSeed));

    /// <summary>U(−bound, bound) with bound = gain·√(3/fan_in), gain = √(2/(1 + a²)); PyTorch's
    /// kaiming_uniform_. With a = √5 (Linear/Conv default) the bound is 1/√fan_in.</summary>
    public static Tensor KaimingUniform(int[] shape, int fanIn, Generator generator, double a = 2.23606797749979)
    {
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        float bound = (float)(gain * Math.Sqrt(3.0 / Math.Max(fanIn, 1)));
        return Tensor.RandU(shape, generator, -bound, bound);
    }

    /// <summary>U(−1/√fan_in, 1/√fan_in): PyTorch's default bias initialisation for Linear and Conv.</summary>
    public static Tensor FanInUniform(int[] shape, int fanIn, Generator generator)
    {
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        return Tensor.RandU(shape, generator, -bound, bound);
    }
}
