using System.Text.Json;

namespace Rtser.Inference.Tests;

public sealed class LanguageDefaultsTests
{
    private static ModelCard Card(string id, string language, string? recommendedFor = null, bool adapted = false) => new()
    {
        Id = id,
        Language = language,
        Labels = ["neutral", "angry"],
        Onnx = id + ".onnx",
        Inputs = [],
        Outputs = [],
        Recommended = recommendedFor is null ? null : new ModelRecommendation(recommendedFor, "best"),
        SpeakerAdaptation = adapted ? new SpeakerAdaptationCard(10, "x") : null,
    };

    [Fact]
    public void Each_language_gets_the_model_recommended_for_it_and_unrecommended_models_name_no_language()
    {
        IReadOnlyDictionary<string, string> defaults = LanguageDefaults.Of([Card("a", "en"), Card("b", "en", "en"), Card("c", "de", "de"), Card("d", "fr")]);

        Assert.Equal(new Dictionary<string, string> { ["de"] = "c", ["en"] = "b" }, defaults);
    }

    [Fact]
    public void Two_models_recommended_for_one_language_fail_the_load_naming_both()
    {
        var e = Assert.Throws<ModelLoadException>(() => LanguageDefaults.Of([Card("a", "en", "en"), Card("b", "en", "en")]));

        Assert.Contains("'a' and 'b'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_recommended_for_another_language_than_its_own_fails_the_load() =>
        Assert.Throws<ModelLoadException>(() => LanguageDefaults.Of([Card("a", "de", "en")]));

    [Fact]
    public void A_speaker_adapted_model_cannot_be_a_languages_default() =>
        Assert.Contains("adapts to the speaker", Assert.Throws<ModelLoadException>(() => LanguageDefaults.Of([Card("a", "en", "en", adapted: true)])).Message, StringComparison.Ordinal);

    [Fact]
    public void The_committed_cards_recommend_mlr_ravdess_for_english_and_the_cnn_rnn_for_german()
    {
        Assert.Equal(new Dictionary<string, string> { ["de"] = "cnn-rnn-emodb", ["en"] = "mlr-ravdess" }, LanguageDefaults.InDirectory(ModelFiles.Directory));
        using JsonDocument card = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFiles.Directory, "mlr-ravdess.json")));
        Assert.Equal("en", card.RootElement.GetProperty("recommended").GetProperty("for").GetString());
    }
}
