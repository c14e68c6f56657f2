using System.Text.Json;
using System.Text.Json.Nodes;
using Rtser.Features.Pipeline;

namespace Rtser.Inference;

/// <summary>
/// Compares a card's featureConfig with the extractor's, key by key and number by number, so a model trained
/// on other features is refused with the exact setting that differs (JSON text forms differ between Python
/// and .NET, values must not).
/// </summary>
public static class FeatureConfigComparer
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>Settings added after models were first exported: a card without them predates them, and its model reads no input they shape.</summary>
    private static readonly string[] LaterSettings = ["prosody"];

    /// <summary>
    /// The first difference as "path: card X, extractor Y", or null when they agree. A card lacking one of
    /// <see cref="LaterSettings"/> is compared without it (EmotionModel refuses such a card if it reads that stream).
    /// </summary>
    public static string? FirstDifference(JsonElement card, FeatureConfig config)
    {
        JsonObject ours = JsonSerializer.SerializeToNode(config, Web)!.AsObject();
        foreach (string later in LaterSettings)
        {
            if (card.ValueKind == JsonValueKind.Object && !card.TryGetProperty(later, out _))
            {
                ours.Remove(later);
            }
        }

        using JsonDocument doc = JsonDocument.Parse(ours.ToJsonString());
        return Compare(card, doc.RootElement, "featureConfig");
    }

    private static string? Compare(JsonElement card, JsonElement ours, string path)
    {
        if (card.ValueKind != ours.ValueKind && !(IsBool(card) && IsBool(ours)))
        {
            return $"{path}: card {Show(card)}, extractor {Show(ours)}";
        }

        switch (ours.ValueKind)
        {
            case JsonValueKind.Object:
                var cardKeys = card.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                foreach (JsonProperty p in ours.EnumerateObject())
                {
                    if (!card.TryGetProperty(p.Name, out JsonElement c))
                    {
                        return $"{path}.{p.Name}: missing from the card, extractor {Show(p.Value)}";
                    }

                    if (Compare(c, p.Value, $"{path}.{p.Name}") is { } diff)
                    {
                        return diff;
                    }

                    cardKeys.Remove(p.Name);
                }

                return cardKeys.Count == 0 ? null : $"{path}.{cardKeys.First()}: in the card, unknown to the extractor";
            case JsonValueKind.Array:
                var a = card.EnumerateArray().ToList();
                var b = ours.EnumerateArray().ToList();
                if (a.Count != b.Count)
                {
                    return $"{path}: card has {a.Count} items, extractor {b.Count}";
                }

                for (int i = 0; i < a.Count; i++)
                {
                    if (Compare(a[i], b[i], $"{path}[{i}]") is { } diff)
                    {
                        return diff;
                    }
                }

                return null;
            case JsonValueKind.Number:
                double x = card.GetDouble();
                double y = ours.GetDouble();
                // Float options (e.g. 0.97f) print with float precision on one side and double on the other.
                return Math.Abs(x - y) <= 1e-6 * Math.Max(1, Math.Abs(y)) ? null : $"{path}: card {x}, extractor {y}";
            case JsonValueKind.String:
                return card.GetString() == ours.GetString() ? null : $"{path}: card {Show(card)}, extractor {Show(ours)}";
            default:
                return card.ValueKind == ours.ValueKind ? null : $"{path}: card {Show(card)}, extractor {Show(ours)}";
        }
    }

    private static bool IsBool(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False;

    private static string Show(JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? "nothing" : e.GetRawText();
}
