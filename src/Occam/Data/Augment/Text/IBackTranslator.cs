namespace Occam.Data.Augment.Text;

/// <summary>A machine translator, supplied by the application (Occam ships none): translates
/// <c>text</c> from <c>sourceLanguage</c> into <c>pivotLanguage</c>
/// (language codes such as "en", "de").</summary>
public interface IBackTranslator
{
    string Translate(string text, string sourceLanguage, string pivotLanguage);
}
