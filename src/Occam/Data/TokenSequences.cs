namespace Occam.Data;

/// <summary>
/// Token-id sequences as the fixed-size tensors a <see cref="DataLoader"/> batches: each sequence padded at the end
/// with a padding id, or cut, to one length, the ids stored as floats (exact up to 2²⁴) as every Occam index is
/// (<see cref="Occam.NN.Embedding"/>, <see cref="Occam.NN.EmbeddingBag"/>). The padding id is reserved: no real token
/// may use it, so a padded row reads back as its tokens (<see cref="Tokens"/>).
/// </summary>
public static class TokenSequences
{
    /// <summary>The largest id a float holds exactly.</summary>
    public const int MaxId = 1 << 24;

    /// <summary>[sequences, length]: row i is sequence i's first <paramref name="length"/> ids, then
    /// <paramref name="paddingIndex"/> to the end (torch's pad_sequence(batch_first=True) with truncation).</summary>
    public static Tensor Pad(IReadOnlyList<int[]> sequences, int length, int paddingIndex = 0)
    {
        const string op = "TokenSequences.Pad";
        ArgumentNullException.ThrowIfNull(sequences);
        if (length < 1) throw new ArgumentException($"{op}: length must be at least 1, got {length}");
        CheckId(op, "paddingIndex", paddingIndex);
        var data = new float[(long)sequences.Count * length];
        for (int s = 0; s < sequences.Count; s++)
        {
            var tokens = sequences[s] ?? throw new ArgumentNullException(nameof(sequences), $"{op}: sequence {s} is null");
            Write(op, tokens, data.AsSpan(s * length, length), paddingIndex, s);
        }
        return Tensor.FromArray(data, sequences.Count, length);
    }

    /// <summary>The ids of a padded sequence [length] that are not <paramref name="paddingIndex"/>, in order.</summary>
    public static int[] Tokens(Tensor sequence, int paddingIndex = 0)
    {
        const string op = "TokenSequences.Tokens";
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Rank != 1) throw new ArgumentException($"{op}: expected one sequence [length], got shape {Shape.Format(sequence.ShapeRef)}");
        var ids = new List<int>(sequence.Size);
        foreach (float v in sequence.Span)
        {
            if (v != MathF.Floor(v) || v < 0 || v >= MaxId) throw new ArgumentException($"{op}: {v} is not a token id (a whole number in [0, 2^24))");
            if ((int)v != paddingIndex) ids.Add((int)v);
        }
        return [.. ids];
    }

    /// <summary>Writes <paramref name="tokens"/> into <paramref name="row"/>, cut or padded to its length.</summary>
    internal static void Write(string op, int[] tokens, Span<float> row, int paddingIndex, int sequence = 0)
    {
        int n = Math.Min(tokens.Length, row.Length);
        for (int i = 0; i < n; i++)
        {
            int id = tokens[i];
            if (id == paddingIndex)
                throw new ArgumentException($"{op}: sequence {sequence} holds the padding id {paddingIndex} at {i}; the padding id must not be a token");
            CheckId(op, $"sequence {sequence}'s token at {i}", id);
            row[i] = id;
        }
        row[n..].Fill(paddingIndex);
    }

    static void CheckId(string op, string what, int id)
    {
        if (id < 0 || id >= MaxId) throw new ArgumentException($"{op}: {what} must be an id in [0, 2^24), got {id}");
    }
}
