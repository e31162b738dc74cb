using Occam.Data.Augment.Text;

namespace Occam.Tests.Data.Augment;

public class TextAugmentationTests
{
    static int[] Range(int n) => Enumerable.Range(0, n).ToArray();

    static bool IsSubsequence(int[] small, int[] large)
    {
        int k = 0;
        foreach (int t in large) if (k < small.Length && small[k] == t) k++;
        return k == small.Length;
    }

    [Fact]
    public void DeletionRemovesAboutAFractionPAndKeepsOrder()
    {
        int n = 10000;
        var tokens = Range(n);
        var kept = new RandomDeletion(0.3f).Apply(tokens, new Generator(1));
        double sd = Math.Sqrt(n * 0.3 * 0.7);
        Assert.InRange(n - kept.Length, 0.3 * n - 5 * sd, 0.3 * n + 5 * sd);
        Assert.True(IsSubsequence(kept, tokens));
        Assert.Equal(Range(n), tokens); // the input is left alone
    }

    [Fact]
    public void DeletionNeverReturnsEmpty()
    {
        var tokens = new[] { 5, 6, 7 };
        for (ulong seed = 0; seed < 20; seed++)
        {
            var kept = new RandomDeletion(1).Apply(tokens, new Generator(seed));
            Assert.Single(kept);
            Assert.Contains(kept[0], tokens);
        }
        Assert.Equal(tokens, new RandomDeletion(0).Apply(tokens, new Generator(1)));
        Assert.Equal([9], new RandomDeletion(1).Apply([9], new Generator(1)));
        Assert.Empty(new RandomDeletion(0.5f).Apply([], new Generator(1)));
    }

    [Fact]
    public void SwapKeepsTheMultisetAndSwapsPairs()
    {
        var tokens = new[] { 1, 1, 2, 3, 5, 8, 13, 21 };
        var swapped = new RandomSwap(5).Apply(tokens, new Generator(2));
        Assert.Equal(tokens.Order(), swapped.Order());
        var distinct = Range(20);
        var once = new RandomSwap(1).Apply(distinct, new Generator(3));
        Assert.Equal(2, distinct.Zip(once).Count(p => p.First != p.Second));
        Assert.Equal([4], new RandomSwap(3).Apply([4], new Generator(1)));
        Assert.Equal(distinct, new RandomSwap(0).Apply(distinct, new Generator(1)));
    }

    [Fact]
    public void MaskingReplacesAboutAFractionPAndNothingElse()
    {
        int n = 10000, mask = -1;
        var tokens = Range(n);
        var masked = new RandomMasking(0.15f, mask).Apply(tokens, new Generator(4));
        Assert.Equal(n, masked.Length);
        int count = 0;
        for (int i = 0; i < n; i++)
            if (masked[i] == mask) count++;
            else Assert.Equal(tokens[i], masked[i]);
        double sd = Math.Sqrt(n * 0.15 * 0.85);
        Assert.InRange(count, 0.15 * n - 5 * sd, 0.15 * n + 5 * sd);
        Assert.All(new RandomMasking(1, mask).Apply(tokens, new Generator(1)), t => Assert.Equal(mask, t));
        Assert.Equal(tokens, new RandomMasking(0, mask).Apply(tokens, new Generator(1)));
    }

    [Fact]
    public void InsertionAddsNTokensTakenFromTheSequence()
    {
        var tokens = new[] { 10, 20, 30, 40 };
        var positions = new HashSet<int>();
        for (ulong seed = 0; seed < 40; seed++)
        {
            var grown = new RandomInsertion(3).Apply(tokens, new Generator(seed));
            Assert.Equal(7, grown.Length);
            Assert.All(grown, t => Assert.Contains(t, tokens));
            Assert.True(IsSubsequence(tokens, grown)); // the original order survives
            var one = new RandomInsertion(1).Apply(tokens, new Generator(seed));
            int at = 0;
            while (at < 4 && one[at] == tokens[at]) at++;
            positions.Add(at);
        }
        Assert.True(positions.Count >= 4, "insertions land at many positions");
        Assert.Empty(new RandomInsertion(2).Apply([], new Generator(1)));
    }

    [Fact]
    public void ComposeIsDeterministicBySeed()
    {
        var eda = new TokenCompose(new RandomSwap(2), new RandomInsertion(2), new RandomDeletion(0.1f), new RandomMasking(0.1f, 0));
        var tokens = Range(50).Select(t => t + 1).ToArray();
        var a = eda.Apply(tokens, new Generator(6));
        Assert.Equal(a, eda.Apply(tokens, new Generator(6)));
        bool differs = false;
        for (ulong seed = 7; seed < 12 && !differs; seed++) differs = !a.SequenceEqual(eda.Apply(tokens, new Generator(seed)));
        Assert.True(differs);
        Assert.Equal(tokens, new TokenCompose().Apply(tokens, new Generator(1)));
    }

    /// <summary>A translator double: a word list per direction, and a record of the calls.</summary>
    sealed class DictionaryTranslator : IBackTranslator
    {
        public List<(string Text, string From, string To)> Calls { get; } = [];

        static readonly Dictionary<(string, string), Dictionary<string, string>> Words = new()
        {
            [("en", "de")] = new() { ["the"] = "der", ["big"] = "große", ["dog"] = "Hund" },
            [("de", "en")] = new() { ["der"] = "the", ["große"] = "large", ["Hund"] = "dog" },
        };

        public string Translate(string text, string sourceLanguage, string pivotLanguage)
        {
            Calls.Add((text, sourceLanguage, pivotLanguage));
            var table = Words[(sourceLanguage, pivotLanguage)];
            return string.Join(' ', text.Split(' ').Select(w => table.GetValueOrDefault(w, w)));
        }
    }

    [Fact]
    public void BackTranslationGoesToThePivotAndBack()
    {
        var translator = new DictionaryTranslator();
        var backTranslation = new BackTranslation(translator);
        Assert.Equal("the large dog", backTranslation.Apply("the big dog"));
        Assert.Equal([("the big dog", "en", "de"), ("der große Hund", "de", "en")], translator.Calls);
    }

    /// <summary>A translator double that returns null on the given call (0 forward, 1 back) and echoes otherwise.</summary>
    sealed class NullOnCall(int call) : IBackTranslator
    {
        int calls;
        public string Translate(string text, string sourceLanguage, string pivotLanguage) => calls++ == call ? null! : text;
    }

    [Fact]
    public void BackTranslationRefusesANullTranslation()
    {
        Assert.Equal("BackTranslation: the translator returned null for the forward step (en → de)",
            Assert.Throws<InvalidOperationException>(() => new BackTranslation(new NullOnCall(0)).Apply("the dog")).Message);
        Assert.Equal("BackTranslation: the translator returned null for the back step (fr → en)",
            Assert.Throws<InvalidOperationException>(() => new BackTranslation(new NullOnCall(1), pivot: "fr").Apply("the dog")).Message);
        Assert.Equal("the dog", new BackTranslation(new NullOnCall(2)).Apply("the dog"));
    }

    [Fact]
    public void BadArgumentsNameTheAugmentationAndTheValue()
    {
        static string Message(Action a) => Assert.ThrowsAny<ArgumentException>(a).Message;
        Assert.Contains("RandomDeletion: p must be in [0, 1], got 1.5", Message(() => new RandomDeletion(1.5f)));
        Assert.Contains("RandomMasking: p must be in [0, 1], got -0.5", Message(() => new RandomMasking(-0.5f, 0)));
        Assert.Contains("RandomSwap: n must be non-negative, got -2", Message(() => new RandomSwap(-2)));
        Assert.Contains("RandomInsertion: n must be non-negative, got -1", Message(() => new RandomInsertion(-1)));
        Assert.Contains("BackTranslation: pivot must differ from the language, got 'en'", Message(() => new BackTranslation(new DictionaryTranslator(), "en", "en")));
        Assert.Throws<ArgumentNullException>(() => new BackTranslation(null!));
    }
}
