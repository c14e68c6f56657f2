using Rtser.Features.Pipeline;

namespace Rtser.Inference;

/// <summary>Every model card in a folder, loaded once at start-up and shared.</summary>
public sealed class ModelRegistry : IDisposable
{
    private readonly Dictionary<string, EmotionModel> _models;
    private readonly IReadOnlyDictionary<string, string> _defaults;

    private ModelRegistry(Dictionary<string, EmotionModel> models, IReadOnlyDictionary<string, string> defaults) => (_models, _defaults) = (models, defaults);

    public IReadOnlyCollection<EmotionModel> Models => _models.Values;

    /// <summary>The languages that have a default model (<see cref="LanguageDefaults"/>), in ordinal order.</summary>
    public IReadOnlyCollection<string> Languages => [.. _defaults.Keys];

    /// <summary>Loads models/&lt;id&gt;.json cards with their ONNX graphs; any bad card fails the whole load.</summary>
    public static ModelRegistry Load(string directory, SpeechFeatureExtractor extractor)
    {
        if (!Directory.Exists(directory))
        {
            throw new ModelLoadException($"Model folder not found: {Path.GetFullPath(directory)}");
        }

        var models = new Dictionary<string, EmotionModel>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, string> defaults;
        try
        {
            foreach (string card in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                EmotionModel model = EmotionModel.Load(card, extractor);
                if (!models.TryAdd(model.Id, model))
                {
                    model.Dispose();
                    throw new ModelLoadException($"Two cards in {directory} use the id '{model.Id}'.");
                }
            }

            foreach (EmotionModel adapted in models.Values.Where(m => m.AdaptsToSpeaker))
            {
                // Until a speaker has a profile, the fallback labels their recordings: it must be here and need none.
                string? fallback = adapted.Card.SpeakerAdaptation?.FallbackModel;
                if (fallback is null || !models.TryGetValue(fallback, out EmotionModel? f) || f.AdaptsToSpeaker)
                {
                    throw new ModelLoadException($"Model '{adapted.Id}' adapts to the speaker, so its card must name a loaded per-recording speakerAdaptation.fallbackModel (it names '{fallback}').");
                }
            }

            defaults = LanguageDefaults.Of(models.Values.Select(m => m.Card));
        }
        catch
        {
            foreach (EmotionModel m in models.Values)
            {
                m.Dispose();
            }

            throw;
        }

        return new ModelRegistry(models, defaults);
    }

    public bool TryGet(string id, out EmotionModel model) => _models.TryGetValue(id, out model!);

    /// <summary>The default model of <paramref name="language"/> (a code such as "en"), if it has one.</summary>
    public bool TryGetDefault(string language, out EmotionModel model)
    {
        model = null!;
        return _defaults.TryGetValue(language, out string? id) && _models.TryGetValue(id, out model!);
    }

    public EmotionModel Get(string id) =>
        _models.TryGetValue(id, out EmotionModel? model)
            ? model
            : throw new KeyNotFoundException($"Unknown model '{id}'; available: {string.Join(", ", _models.Keys.Order(StringComparer.Ordinal))}.");

    public void Dispose()
    {
        foreach (EmotionModel m in _models.Values)
        {
            m.Dispose();
        }
    }
}
