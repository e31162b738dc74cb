namespace Occam.Data.Augment.Text;

/// <summary>A random edit of a token-id sequence, independent of the tokenizer; returns a new array and never
/// modifies <c>tokens</c> (wrapping token ids in <c>int[]</c> lets one augmentation serve any vocabulary).</summary>
public interface ITokenAugmentation
{
    int[] Apply(int[] tokens, Generator generator);
}
