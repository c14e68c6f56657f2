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
    public static ModelRegistry Load(string directory, SpeechFeatureExtractor extractor) =>
        Build(directory, models =>
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
        });

    /// <summary>
    /// Loads only the model <paramref name="id"/> and, when it adapts to the speaker, the fallback its card names: what
    /// one command needs, without paying for the folder's other graphs or failing on them. The card is
    /// &lt;id&gt;.json, else whichever card in the folder carries the id; <see cref="Languages"/> are those of the
    /// loaded models only.
    /// </summary>
    public static ModelRegistry Load(string directory, SpeechFeatureExtractor extractor, string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Build(directory, models =>
        {
            EmotionModel model = EmotionModel.Load(FindCard(directory, id), extractor);
            models.Add(model.Id, model);
            if (model.Card.SpeakerAdaptation?.FallbackModel is { } fallback && fallback != id && CardOrNull(directory, fallback) is { } card)
            {
                models.Add(fallback, EmotionModel.Load(card, extractor));
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="load"/> into an empty set, then checks the fallbacks and the language defaults among what it
    /// loaded; on any failure the graphs already loaded are released before the exception goes on.
    /// </summary>
    private static ModelRegistry Build(string directory, Action<Dictionary<string, EmotionModel>> load)
    {
        if (!Directory.Exists(directory))
        {
            throw new ModelLoadException($"Model folder not found: {Path.GetFullPath(directory)}");
        }

        var models = new Dictionary<string, EmotionModel>(StringComparer.Ordinal);
        try
        {
            load(models);
            CheckFallbacks(models);
            return new ModelRegistry(models, LanguageDefaults.Of(models.Values.Select(m => m.Card)));
        }
        catch
        {
            foreach (EmotionModel m in models.Values)
            {
                m.Dispose();
            }

            throw;
        }
    }

    private static string FindCard(string directory, string id) =>
        CardOrNull(directory, id) ?? throw new ModelLoadException(
            $"Unknown model '{id}'; available: {string.Join(", ", Directory.EnumerateFiles(directory, "*.json").Select(IdOrNull).OfType<string>().Order(StringComparer.Ordinal))}.");

    private static string? CardOrNull(string directory, string id)
    {
        string named = Path.Combine(directory, id + ".json");
        if (Path.GetFileName(named) == id + ".json" && File.Exists(named) && ModelCard.Load(named).Id == id)
        {
            return named;
        }

        return Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal).FirstOrDefault(card => IdOrNull(card) == id);
    }

    /// <summary>A card's id, or null for a file that is not a readable card (it is not the one looked for).</summary>
    private static string? IdOrNull(string card)
    {
        try
        {
            return ModelCard.Load(card).Id;
        }
        catch (Exception e) when (e is ModelLoadException or IOException)
        {
            return null;
        }
    }

    private static void CheckFallbacks(Dictionary<string, EmotionModel> models)
    {
        foreach (EmotionModel adapted in models.Values.Where(m => m.AdaptsToSpeaker))
        {
            // Until a speaker has a profile, the fallback labels their recordings: it must be here and need none.
            string? fallback = adapted.Card.SpeakerAdaptation?.FallbackModel;
            if (fallback is null || !models.TryGetValue(fallback, out EmotionModel? f) || f.AdaptsToSpeaker)
            {
                throw new ModelLoadException($"Model '{adapted.Id}' adapts to the speaker, so its card must name a loaded per-recording speakerAdaptation.fallbackModel (it names '{fallback}').");
            }
        }
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
