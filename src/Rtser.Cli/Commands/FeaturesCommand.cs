using System.CommandLine;
using System.Text;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Features.Mfcc;
using Rtser.Features.Pipeline;

namespace Rtser.Cli.Commands;

/// <summary><c>features file</c>: the features of one file as one JSON document, decoded as <c>predict</c> and the service decode it.</summary>
internal static class FeaturesCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "An audio file in any format the service decodes (WAV, WebM/Ogg Opus; others through ffmpeg)" }.RefusingOptions();
        var deltas = new Option<int>("--deltas") { Description = "MFCC delta order: 0, 1 or 2", DefaultValueFactory = _ => 0 }.InRange(0, 2);
        var command = new Command("features", "Prints the features of one file as JSON (16 kHz after resampling): MFCC, modulation spectrum, prosody, speech.") { file, deltas };
        command.SetAction(p => Run(p.GetRequiredValue(file), p.GetValue(deltas), p.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(string file, int deltas, TextWriter stdout)
    {
        var config = new FeatureConfig { Mfcc = new MfccOptions { DeltaOrder = deltas } };
        var extractor = new SpeechFeatureExtractor(config);
        float[] samples = new MediaDecoder().Decode16kFile(file);
        SpeechFeatures f = extractor.Extract(samples);

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("file", file);
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
