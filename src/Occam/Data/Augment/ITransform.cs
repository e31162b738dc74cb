namespace Occam.Data.Augment;

/// <summary>A per-sample transform (an augmentation or a normalization) of one input, drawing any
/// randomness from the generator passed in — the data loader passes one seeded per sample, so
/// results do not depend on thread timing.</summary>
public interface ITransform
{
    Tensor Apply(Tensor input, Generator generator);
}

/// <summary>A transform of a whole batch that may change its targets (MixUp, CutMix produce soft targets).</summary>
public interface IBatchTransform
{
    Batch Apply(Batch batch, Generator generator);
}
