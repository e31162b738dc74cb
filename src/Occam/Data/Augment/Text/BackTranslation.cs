namespace Occam.Data.Augment.Text;

/// <summary>Back-translation (Sennrich et al. 2016; used for augmentation by Xie et al. 2020, UDA): a paraphrase made by
/// translating the text into a pivot language and back, Translate(Translate(text, language → pivot), pivot → language).
/// Any randomness (sampling in the translator) belongs to the translator.</summary>
public sealed class BackTranslation
{
    public BackTranslation(IBackTranslator translator, string language = "en", string pivot = "de")
    {
        ArgumentNullException.ThrowIfNull(translator);
        if (string.IsNullOrWhiteSpace(language)) throw new ArgumentException($"BackTranslation: language must be a language code, got '{language}'");
        if (string.IsNullOrWhiteSpace(pivot)) throw new ArgumentException($"BackTranslation: pivot must be a language code, got '{pivot}'");
        if (string.Equals(language, pivot, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"BackTranslation: pivot must differ from the language, got '{pivot}' for both");
        (Translator, Language, Pivot) = (translator, language, pivot);
    }

    public IBackTranslator Translator { get; }
    public string Language { get; }
    public string Pivot { get; }

    public string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string pivoted = Checked(Translator.Translate(text, Language, Pivot), "forward", Language, Pivot);
        return Checked(Translator.Translate(pivoted, Pivot, Language), "back", Pivot, Language);
    }

    // The translator is the application's code; a null from it would otherwise surface far away, in a token list.
    static string Checked(string? translated, string step, string from, string to) => translated
        ?? throw new InvalidOperationException($"BackTranslation: the translator returned null for the {step} step ({from} → {to})");
}
