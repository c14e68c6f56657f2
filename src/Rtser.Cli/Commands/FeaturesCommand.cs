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
        float[] samples = AudioLoader.LoadMono16k(a.Positional[0]);
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
            w.WriteEndObject();
        }

        stdout.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }
}
