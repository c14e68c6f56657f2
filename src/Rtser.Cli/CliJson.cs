using System.Text.Json;

namespace Rtser.Cli;

internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static void WriteMatrix(Utf8JsonWriter w, Rtser.Features.FeatureMatrix m)
    {
        w.WriteStartArray();
        for (int t = 0; t < m.Frames; t++)
        {
            w.WriteStartArray();
            foreach (float v in m.Row(t))
            {
                w.WriteNumberValue(Math.Round(v, 5));
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
    }
}
