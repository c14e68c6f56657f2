namespace Rtser.Inference;

/// <summary>
/// Each language's default model: the card whose <see cref="ModelCard.Recommended"/> block names that language.
/// The languages a caller may ask for are exactly those with a default.
/// </summary>
public static class LanguageDefaults
{
    /// <summary>Language code to model id, from <paramref name="cards"/>; a card recommended wrongly fails the load.</summary>
    public static IReadOnlyDictionary<string, string> Of(IEnumerable<ModelCard> cards)
    {
        var defaults = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (ModelCard card in cards.Where(c => c.Recommended is not null))
        {
            string language = card.Recommended!.For;
            if (language != card.Language)
            {
                throw new ModelLoadException($"Model '{card.Id}' is recommended for '{language}' but its language is '{card.Language}'.");
            }

            // A first-time user has no speaker profile, so a language's default must label a recording on its own.
            if (card.SpeakerAdaptation is not null)
            {
                throw new ModelLoadException($"Model '{card.Id}' adapts to the speaker, so it cannot be the default for '{language}'.");
            }

            if (!defaults.TryAdd(language, card.Id))
            {
                throw new ModelLoadException($"Models '{defaults[language]}' and '{card.Id}' are both recommended for '{language}'.");
            }
        }

        return defaults;
    }

    /// <summary>The defaults of the cards in <paramref name="directory"/>, read without loading any ONNX graph.</summary>
    public static IReadOnlyDictionary<string, string> InDirectory(string directory) =>
        Of(Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal).Select(ModelCard.Load));
}
