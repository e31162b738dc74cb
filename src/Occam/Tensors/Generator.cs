namespace Occam;

/// <summary>
/// The only source of randomness in Occam: a seeded xoshiro256** generator
/// (Blackman &amp; Vigna 2018), state initialised by SplitMix64 from the seed.
/// Same seed, same sequence, on every machine.
/// </summary>
public sealed class Generator
{
    ulong _s0, _s1, _s2, _s3;
    float _spareNormal;
    bool _hasSpare;

    public Generator(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>The seed this generator started from.</summary>
    public ulong Seed { get; }

    /// <summary>The full state (37 bytes), to save with a checkpoint and restore with <see cref="SetState"/>.</summary>
    public byte[] GetState()
    {
        var state = new byte[37];
        var span = state.AsSpan();
        BitConverter.TryWriteBytes(span[0..], _s0);
        BitConverter.TryWriteBytes(span[8..], _s1);
        BitConverter.TryWriteBytes(span[16..], _s2);
        BitConverter.TryWriteBytes(span[24..], _s3);
        BitConverter.TryWriteBytes(span[32..], _spareNormal);
        state[36] = _hasSpare ? (byte)1 : (byte)0;
        return state;
    }

    /// <summary>Restores a state from <see cref="GetState"/>: the sequence continues exactly where it was.</summary>
    public void SetState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 37) throw new ArgumentException($"Generator.SetState: a state has 37 bytes, got {state.Length}");
        _s0 = BitConverter.ToUInt64(state, 0);
        _s1 = BitConverter.ToUInt64(state, 8);
        _s2 = BitConverter.ToUInt64(state, 16);
        _s3 = BitConverter.ToUInt64(state, 24);
        if ((_s0 | _s1 | _s2 | _s3) == 0) throw new ArgumentException("Generator.SetState: the all-zero state is invalid for xoshiro256**");
        _spareNormal = BitConverter.ToSingle(state, 32);
        _hasSpare = state[36] != 0;
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 uniformly random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Fills <paramref name="destination"/> with <see cref="NextFloat"/> values, in order: the same
    /// sequence as calling it once per element, with the state kept in registers for the whole loop.</summary>
    public void FillUniform(Span<float> destination)
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (int i = 0; i < destination.Length; i++)
        {
            ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = ulong.RotateLeft(s3, 45);
            destination[i] = (result >> 40) * (1.0f / (1 << 24));
        }
        _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, maxExclusive), unbiased (Lemire's method).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, $"Generator.NextInt: maxExclusive must be positive, got {maxExclusive}");
        ulong range = (ulong)maxExclusive;
        UInt128 m = (UInt128)NextUInt64() * range;
        ulong low = (ulong)m;
        if (low < range)
        {
            ulong threshold = (0UL - range) % range;
            while (low < threshold)
            {
                m = (UInt128)NextUInt64() * range;
                low = (ulong)m;
            }
        }
        return (int)(m >> 64);
    }

    /// <summary>Standard normal sample (Box–Muller, the pair's second value kept for the next call).</summary>
    public float NextNormal()
    {
        if (_hasSpare) { _hasSpare = false; return _spareNormal; }
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = (float)(r * Math.Sin(2 * Math.PI * u2));
        _hasSpare = true;
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Fills with uniform values in [low, high).</summary>
    public void FillUniform(Span<float> destination, float low = 0f, float high = 1f)
    {
        float scale = high - low;
        for (int i = 0; i < destination.Length; i++) destination[i] = low + scale * NextFloat();
    }

    /// <summary>Fills with normal values of the given mean and standard deviation.</summary>
    public void FillNormal(Span<float> destination, float mean = 0f, float std = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = mean + std * NextNormal();
    }

    /// <summary>A random permutation of 0..n-1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>Shuffles in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
