namespace Occam.NN;

/// <summary>
/// DropBlock (Ghiasi, Lin &amp; Le 2018, "DropBlock: A regularization method for convolutional networks"), as
/// torchvision.ops.DropBlock2d: on a [N, C, H, W] feature map (or an unbatched [C, H, W] one) it zeroes square blocks
/// instead of single activations, since a dropped pixel's neighbours still carry its information. Block seeds are drawn
/// independently per sample and channel with γ = p·H·W / (b²·(H − b + 1)·(W − b + 1)) over the positions where a whole
/// b×b block fits (b = min(blockSize, H, W)), each seed zeroes the block whose top-left corner it is (for an odd b the
/// same cells as torchvision's centred max-pool), and the kept activations are scaled by numel / (eps + kept) over the
/// whole batch, so the expected sum is unchanged. About a fraction p of the activations is dropped (less where blocks
/// overlap). Identity in evaluation or at p = 0.
/// </summary>
public sealed class DropBlock2d : Module, IStochasticRegularizer
{
    readonly Generator _generator;

    public DropBlock2d(float p, int blockSize, float eps = 1e-6f, Generator? generator = null)
    {
        P = Masks.CheckP(p, "DropBlock2d");
        if (blockSize < 1) throw new ArgumentException($"DropBlock2d: blockSize must be at least 1, got {blockSize}");
        if (!(eps >= 0 && float.IsFinite(eps))) throw new ArgumentException($"DropBlock2d: eps must be finite and non-negative, got {eps}");
        BlockSize = blockSize;
        Eps = eps;
        _generator = generator ?? Init.DefaultGenerator();
    }

    public float P { get; }
    public int BlockSize { get; }
    public float Eps { get; }

    public Generator Generator => _generator;

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"DropBlock2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape {Shape.Format(input.ShapeRef)}");
        if (!IsTraining || P == 0 || input.Size == 0) return input;
        return input * Mask(input.Shape);
    }

    /// <summary>The scaled keep mask for an input of <paramref name="shape"/>: 0 in the dropped blocks, numel/(eps + kept)
    /// elsewhere.</summary>
    Tensor Mask(int[] shape)
    {
        int h = shape[^2], w = shape[^1], planes = shape.Length == 4 ? shape[0] * shape[1] : shape[0];
        int b = Math.Min(BlockSize, Math.Min(h, w)), seedsH = h - b + 1, seedsW = w - b + 1;
        double gamma = (double)P * h * w / ((double)b * b * seedsH * seedsW);
        var mask = Tensor.Ones(shape);
        var m = mask.Span;
        for (int plane = 0; plane < planes; plane++)
        {
            var cells = m.Slice(plane * h * w, h * w);
            for (int i = 0; i < seedsH; i++)
                for (int j = 0; j < seedsW; j++)
                    if (_generator.NextDouble() < gamma)
                        for (int r = i; r < i + b; r++) cells.Slice(r * w + j, b).Clear();
        }
        double kept = 0;
        foreach (float v in m) kept += v;
        float scale = (float)(m.Length / (Eps + kept));
        for (int i = 0; i < m.Length; i++) m[i] *= scale;
        return mask;
    }

    protected override string Describe() => $"DropBlock2d(p={P}, block_size={BlockSize})";
}
