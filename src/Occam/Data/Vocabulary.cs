using System.Text.RegularExpressions;

namespace Occam.Data;

/// <summary>
/// A word-level vocabulary for small text models, as Keras's TextVectorization (standardize "lower_and_strip_punctuation",
/// split on whitespace) or torchtext's build_vocab_from_iterator with specials: ids 0, 1 and 2 are reserved for
/// <see cref="Padding"/>, <see cref="Unknown"/> and <see cref="Mask"/>, then the words of the training texts by
/// frequency (ties in ordinal order, so the ids depend on the texts only). <see cref="Encode"/> gives the ids that
/// <see cref="TokenSequences.Pad"/>, <see cref="Augment.Text.TokenTransform"/> and <see cref="NN.EmbeddingBag"/> take.
/// </summary>
public sealed partial class Vocabulary
{
    /// <summary>The padding id: <see cref="TokenSequences.Pad"/>'s and the embedding's paddingIndex.</summary>
    public const int Padding = 0;

    /// <summary>The id of every word not in the vocabulary.</summary>
    public const int Unknown = 1;

    /// <summary>The mask id, for <see cref="Augment.Text.RandomMasking"/>.</summary>
    public const int Mask = 2;

    readonly Dictionary<string, int> _ids;
    readonly string[] _words;

    Vocabulary(string[] words)
    {
        _words = words;
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++) _ids[words[i]] = i;
    }

    /// <summary>The vocabulary of <paramref name="texts"/>: the words seen at least <paramref name="minCount"/> times,
    /// the <paramref name="maxSize"/> − 3 most frequent when there are more (the three specials count toward maxSize).</summary>
    public static Vocabulary Build(IEnumerable<string> texts, int maxSize = 20_000, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxSize < 4) throw new ArgumentException($"Vocabulary.Build: maxSize must be at least 4 (three reserved ids and a word), got {maxSize}");
        if (minCount < 1) throw new ArgumentException($"Vocabulary.Build: minCount must be at least 1, got {minCount}");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int index = 0;
        foreach (var text in texts)
        {
            if (text == null) throw new ArgumentException($"Vocabulary.Build: text {index} is null");
            foreach (var word in Words(text)) counts[word] = counts.GetValueOrDefault(word) + 1;
            index++;
        }
        var kept = counts.Where(c => c.Value >= minCount).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(maxSize - 3).Select(c => c.Key);
        return new Vocabulary(["<pad>", "<unk>", "<mask>", .. kept]);
    }

    /// <summary>Ids: the three specials, then the words.</summary>
    public int Count => _words.Length;

    /// <summary>The word (or special) of <paramref name="id"/>.</summary>
    public string this[int id] => id >= 0 && id < _words.Length ? _words[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Vocabulary: id {id} is not in [0, {_words.Length})");

    /// <summary>The ids of <paramref name="text"/>'s words (<see cref="Unknown"/> for words not in the vocabulary).</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. Words(text).Select(w => _ids.TryGetValue(w, out int id) ? id : Unknown)];
    }

    /// <summary>The words of <paramref name="ids"/>, space-separated, padding left out.</summary>
    public string Decode(IEnumerable<int> ids) => string.Join(' ', (ids ?? throw new ArgumentNullException(nameof(ids))).Where(i => i != Padding).Select(i => this[i]));

    /// <summary>Lower-cased runs of letters, digits and apostrophes, as Keras's default standardization and split.</summary>
    static IEnumerable<string> Words(string text) => WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value);

    [GeneratedRegex(@"[\p{L}\p{N}']+")]
    private static partial Regex WordPattern();
}
