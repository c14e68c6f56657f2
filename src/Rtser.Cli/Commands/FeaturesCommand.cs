using System.Text;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Features.Mfcc;
using Rtser.Features.Pipeline;

namespace Rtser.Cli.Commands;

/// <summary><c>features file.wav</c>: the features of one file as one JSON document.</summary>
internal static class FeaturesCommand
{
    public static int Run(CliArgs a, TextWriter stdout)
    {
        if (a.Positional.Count != 1)
        {
            throw new ArgumentException("features takes exactly one file");
        }

        var config = new FeatureConfig { Mfcc = new MfccOptions { DeltaOrder = a.IntOption("deltas", 0) } };
        var extractor = new SpeechFeatureExtractor(config);
        float[] samples = new WavDecoder().Decode16kFile(a.Positional[0]);
        SpeechFeatures f = extractor.Extract(samples);

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("file", a.Positional[0]);
            w.WriteNumber("sampleRate", FeatureConfig.SampleRate);
            w.WriteNumber("durationSeconds", f.DurationSeconds);
            w.WriteNumber("speechSeconds", Math.Round(f.SpeechSeconds, 3));
            w.WritePropertyName("mfcc");
            w.WriteStartObject();
            w.WriteNumber("frameShiftSeconds", f.Mfcc.FrameShiftSeconds);
            w.WritePropertyName("options");
            JsonSerializer.Serialize(w, config.Mfcc, CliJson.Options);
            w.WritePropertyName("values");
            CliJson.WriteMatrix(w, f.Mfcc);
            w.WriteEndObject();
            WriteModulation(w, extractor, f);
            w.WritePropertyName("prosody");
            w.WriteStartObject();
            w.WriteNumber("frameShiftSeconds", extractor.Prosody.FrameShiftSeconds);
            w.WritePropertyName("columns");
            JsonSerializer.Serialize(w, Rtser.Features.Prosody.ProsodyExtractor.ColumnNames, CliJson.Options);
            w.WritePropertyName("options");
            JsonSerializer.Serialize(w, config.Prosody, CliJson.Options);
            w.WritePropertyName("values");
            CliJson.WriteMatrix(w, f.Prosody!);
            w.WritePropertyName("statistics");
            w.WriteStartObject();
            for (int i = 0; i < f.ProsodyStatistics!.Length; i++)
            {
                w.WriteNumber(Rtser.Features.Prosody.ProsodyExtractor.StatisticNames[i], Math.Round(f.ProsodyStatistics[i], 5));
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        stdout.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }

    private static void WriteModulation(Utf8JsonWriter w, SpeechFeatureExtractor extractor, SpeechFeatures f)
    {
        var ms = extractor.Modulation;
        int bands = ms.Options.ModulationBands;
        w.WritePropertyName("modulationSpectrum");
        w.WriteStartObject();
        w.WritePropertyName("acousticCentersHz");
        JsonSerializer.Serialize(w, ms.AcousticCentersHz.Select(c => Math.Round(c, 2)), CliJson.Options);
        w.WritePropertyName("modulationCentersHz");
        JsonSerializer.Serialize(w, ms.ModulationCentersHz.Select(c => Math.Round(c, 3)), CliJson.Options);
        w.WriteNumber("frameShiftSeconds", ms.FrameShiftSeconds);
        w.WritePropertyName("options");
        JsonSerializer.Serialize(w, ms.Options, CliJson.Options);

        // frames x acoustic x modulation, the row layout being acoustic-major.
        w.WritePropertyName("values");
        w.WriteStartArray();
        for (int t = 0; t < f.Modulation.Frames; t++)
        {
            ReadOnlySpan<float> row = f.Modulation.Row(t);
            w.WriteStartArray();
            for (int a = 0; a < ms.Options.AcousticBands; a++)
            {
                w.WriteStartArray();
                foreach (float v in row.Slice(a * bands, bands))
                {
                    w.WriteNumberValue(Math.Round(v, 5));
                }

                w.WriteEndArray();
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
