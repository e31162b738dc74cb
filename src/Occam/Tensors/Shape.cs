namespace Occam;

/// <summary>Shape arithmetic: sizes, dims, broadcasting, formatting.</summary>
public static class Shape
{
    /// <summary>Number of elements; validates that no dimension is negative.</summary>
    public static int Size(ReadOnlySpan<int> shape, string op = "Tensor")
    {
        long size = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"{op}: dimensions must be non-negative, got shape {Format(shape)}");
            size *= d;
            if (size > int.MaxValue) throw new ArgumentException($"{op}: shape {Format(shape)} has more than {int.MaxValue} elements");
        }
        return (int)size;
    }

    /// <summary>"[64, 784]".</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Row-major strides of a contiguous tensor.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
        return strides;
    }

    /// <summary>Normalizes a possibly negative dim into [0, rank).</summary>
    public static int Dim(int dim, int rank, string op)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r) throw new ArgumentOutOfRangeException(nameof(dim), dim, $"{op}: dim {dim} is out of range for a tensor of rank {rank}");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>NumPy broadcasting of two shapes.</summary>
    public static int[] Broadcast(int[] a, int[] b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>True when <paramref name="from"/> broadcasts to <paramref name="to"/>.</summary>
    public static bool BroadcastsTo(int[] from, int[] to)
    {
        if (from.Length > to.Length) return false;
        for (int i = 0; i < from.Length; i++)
        {
            int d = from[from.Length - 1 - i], t = to[to.Length - 1 - i];
            if (d != t && d != 1) return false;
        }
        return true;
    }

    internal static bool Equal(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);
}
