using System.Text.Json.Nodes;
using Rtser.Features.Mfcc;
using Rtser.Features.Pipeline;

namespace Rtser.Inference.Tests;

public sealed class ModelLoadingTests : IDisposable
{
    private const string Id = "cnn-rnn-emodb";
    private readonly string _temp = Directory.CreateTempSubdirectory("rtser-models-").FullName;
    private readonly SpeechFeatureExtractor _extractor = new();

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Every_committed_model_loads_with_the_default_extractor()
    {
        using var registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        Assert.Equal(ModelFiles.CardIds(), registry.Models.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.All(registry.Models, m => Assert.NotEmpty(m.Labels));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("cnn-rnn-spk-emodb")] // itself: a fallback that needs a profile too
    public void A_speaker_adapted_model_without_a_loaded_per_recording_fallback_is_refused(string? fallback)
    {
        ModelFiles.CopyWithEditedCard("cnn-rnn-spk-emodb", _temp, c => c["speakerAdaptation"]!["fallbackModel"] = fallback);

        var e = Assert.Throws<ModelLoadException>(() => ModelRegistry.Load(_temp, _extractor));

        Assert.Contains("fallbackModel", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_speaker_adapted_model_whose_profile_compensation_does_not_fit_it_is_refused()
    {
        string card = ModelFiles.CopyWithEditedCard("cnn-rnn-spk-emodb", _temp, c => c["speakerAdaptation"]!["compensation"] = new JsonObject
        {
            ["mean"] = new JsonArray(0f, 0f), ["scale"] = new JsonArray(1f, 1f), ["bias"] = new JsonArray(0f),
            ["weights"] = new JsonArray(new JsonArray(0f, 0f)), ["offsets"] = new JsonArray(new JsonArray(0f, 0f)),
        });

        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));

        Assert.Contains("speakerAdaptation.compensation", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_trained_on_other_mfcc_settings_is_refused_naming_the_setting()
    {
        string card = ModelFiles.CopyWithEditedCard(Id, _temp, c => c["featureConfig"]!["mfcc"]!["melBins"] = 40);
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));
        Assert.Contains("featureConfig.mfcc.melBins: card 40, extractor 23", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_extractor_with_other_settings_refuses_a_committed_card()
    {
        var other = new SpeechFeatureExtractor(new FeatureConfig { Mfcc = new MfccOptions { CepstralLifter = 0 } });
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(Path.Combine(ModelFiles.Directory, Id + ".json"), other));
        Assert.Contains("cepstralLifter", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_missing_a_feature_setting_is_refused()
    {
        string card = ModelFiles.CopyWithEditedCard(Id, _temp, c => c["featureConfig"]!["modulation"]!.AsObject().Remove("modulationQ"));
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));
        Assert.Contains("modulationQ: missing from the card", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_from_before_prosody_loads_and_does_not_ask_for_it()
    {
        using EmotionModel model = EmotionModel.Load(Path.Combine(ModelFiles.Directory, "cnn-emodb.json"), _extractor);
        Assert.False(model.UsesProsody);

        // Retrained since with the prosody functionals: the card carries the prosody settings and the model asks for the stream.
        using EmotionModel svm = EmotionModel.Load(Path.Combine(ModelFiles.Directory, "svm-emodb.json"), _extractor);
        Assert.True(svm.UsesProsody);
    }

    [Fact]
    public void A_card_trained_on_other_prosody_settings_is_refused_naming_the_setting()
    {
        JsonNode prosody = System.Text.Json.JsonSerializer.SerializeToNode(new Rtser.Features.Prosody.ProsodyOptions { MaxF0Hz = 400 }, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        string card = ModelFiles.CopyWithEditedCard(Id, _temp, c => c["featureConfig"]!["prosody"] = prosody);
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));
        Assert.Contains("featureConfig.prosody.maxF0Hz: card 400, extractor 500", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_reading_prosody_without_prosody_settings_is_refused()
    {
        // cnn-rnn-emodb reads prosody_stats; without the settings its card would pass as one from before prosody.
        string card = ModelFiles.CopyWithEditedCard(Id, _temp, c => c["featureConfig"]!.AsObject().Remove("prosody"));
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));
        Assert.Contains("reads prosody", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_whose_inputs_differ_from_the_graph_is_refused()
    {
        string card = ModelFiles.CopyWithEditedCard(Id, _temp, c => c["inputs"]![0]!["name"] = "spectrogram");
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));
        Assert.Contains("spectrogram", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_with_the_wrong_number_of_labels_is_refused()
    {
        string card = ModelFiles.CopyWithEditedCard(Id, _temp, c => c["labels"]!.AsArray().RemoveAt(0));
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));
        Assert.Contains("labels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_without_its_onnx_file_is_refused()
    {
        string card = ModelFiles.CopyWithEditedCard(Id, _temp, c => c["onnx"] = "missing.onnx");
        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));
        Assert.Contains("missing.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_an_unknown_model_lists_the_available_ones()
    {
        using var registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        var e = Assert.Throws<KeyNotFoundException>(() => registry.Get("nope"));
        Assert.Contains(Id, e.Message, StringComparison.Ordinal);
    }
}
