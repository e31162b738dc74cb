using System.Numerics.Tensors;

namespace Occam;

// Softmax and log-softmax along a dim, stabilized by subtracting the maximum.
public partial class Tensor
{
    /// <summary>softmax(x)_i = e^{x_i − max} / Σ_j e^{x_j − max} along <paramref name="dim"/>.</summary>
    public Tensor Softmax(int dim) => SoftmaxCore(dim, log: false);

    /// <summary>log_softmax(x)_i = x_i − max − log Σ_j e^{x_j − max} along <paramref name="dim"/>.</summary>
    public Tensor LogSoftmax(int dim) => SoftmaxCore(dim, log: true);

    Tensor SoftmaxCore(int dim, bool log)
    {
        string op = log ? "LogSoftmax" : "Softmax";
        int d = Occam.Shape.Dim(dim, Rank, op);
        int outer = 1, inner = 1, length = Rank == 0 ? 1 : _shape[d];
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= _shape[i];
        var y = Empty(_shape);
        var x = Span;
        var dst = y.Span;
        var scratch = BufferPool.Rent(length);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * length * inner + i;
                var row = scratch.AsSpan(0, length);
                for (int j = 0; j < length; j++) row[j] = x[start + j * inner];
                SoftmaxRow(row, log);
                for (int j = 0; j < length; j++) dst[start + j * inner] = row[j];
            }
        BufferPool.Return(scratch);
        if (!Tracks) return y;
        var input = this;
        return Record(y, op, g => SoftmaxBackward(input.GradSpan(), y.Span, g, outer, length, inner, log), [input]);
    }

    // In place over one contiguous row.
    static void SoftmaxRow(Span<float> row, bool log)
    {
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max)) max = 0; // all −∞: keep NaN-free shifting
        TensorPrimitives.Subtract(row, max, row);
        if (log)
        {
            float sum = 0;
            foreach (float v in row) sum += MathF.Exp(v);
            TensorPrimitives.Subtract(row, MathF.Log(sum), row);
        }
        else
        {
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
        }
    }

    // softmax: dx = y ⊙ (g − Σ g·y); log-softmax: dx = g − e^y Σ g.
    static void SoftmaxBackward(Span<float> gx, ReadOnlySpan<float> y, ReadOnlySpan<float> g, int outer, int length, int inner, bool log)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * length * inner + i;
                float dot = 0;
                for (int j = 0; j < length; j++)
                {
                    int k = start + j * inner;
                    dot += log ? g[k] : g[k] * y[k];
                }
                for (int j = 0; j < length; j++)
                {
                    int k = start + j * inner;
                    gx[k] += log ? g[k] - MathF.Exp(y[k]) * dot : y[k] * (g[k] - dot);
                }
            }
    }
}
