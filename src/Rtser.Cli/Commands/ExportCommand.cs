using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Cli.Export;
using Rtser.Features.Pipeline;
using Rtser.Features.Prosody;

namespace Rtser.Cli.Commands;

/// <summary>
/// <c>export folder --corpus c --out dir [--feature-config file.json]</c>: every file's features, concatenated into .npy arrays with an
/// index.json of files, speakers and labels. Training reads only this, so models see exactly the numbers
/// the service computes.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset-folder") { Description = "The corpus as downloaded" }.RefusingOptions();
        var corpus = new Option<string>("--corpus") { Description = "emodb or ravdess", Required = true };
        corpus.Validators.Add(r =>
        {
            if (r.Tokens is [{ Value: not ("emodb" or "ravdess") } given])
            {
                r.AddError($"--corpus must be emodb or ravdess (was '{given.Value}')");
            }
        });
        var outDir = new Option<string>("--out") { Description = "Folder for index.json and the .npy arrays", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Export only N files, spread over speakers and labels (a smoke export)" }.InRange(1);
        var featureConfig = new Option<string?>("--feature-config") { Description = "A JSON feature configuration other than the service's" };
        var command = new Command("export", "Writes the features of a corpus for training: index.json plus .npy arrays numpy reads.") { dataset, corpus, outDir, limit, featureConfig };
        command.SetAction(p => Run(p.GetRequiredValue(dataset), p.GetRequiredValue(corpus), p.GetRequiredValue(outDir), p.GetValue(limit) ?? int.MaxValue, p.GetValue(featureConfig), p.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(string dataset, string corpus, string outDir, int limit, string? configPath, TextWriter stdout)
    {
        IReadOnlyList<CorpusFile> files = Corpora.List(corpus, dataset);
        if (limit < files.Count)
        {
            // Every n-th file keeps all speakers and labels in a small smoke export.
            files = [.. files.Where((_, i) => i % Math.Max(1, files.Count / Math.Max(1, limit)) == 0).Take(limit)];
        }

        // An experiment may export another feature configuration; the index records it, so cards carry it and a
        // service whose extractor differs refuses the model.
        var extractor = new SpeechFeatureExtractor(configPath is null ? null : ReadConfig(configPath));
        var results = new SpeechFeatures[files.Count];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, files.Count, i => results[i] = extractor.Extract(new WavDecoder().Decode16kFile(files[i].Path)));

        Directory.CreateDirectory(outDir);
        int mfccWidth = extractor.Mfcc.Width;
        int mfccRows = results.Sum(r => r.Mfcc.Frames);
        var mfcc = new float[mfccRows * mfccWidth];
        var vad = new byte[mfccRows];
        int msWidth = extractor.Modulation.Width;
        int msRows = results.Sum(r => r.Modulation.Frames);
        var ms = new float[msRows * msWidth];
        int statsWidth = extractor.Modulation.StatisticsLength;
        var msStats = new float[files.Count * statsWidth];
        var prosody = new float[mfccRows * ProsodyExtractor.Width];
        var prosodyStats = new float[files.Count * ProsodyExtractor.StatisticsLength];
        int msOffset = 0;
        var entries = new List<object>(files.Count);
        int mfccOffset = 0;
        for (int i = 0; i < files.Count; i++)
        {
            SpeechFeatures r = results[i];
            r.Mfcc.Data.AsSpan(0, r.Mfcc.Frames * mfccWidth).CopyTo(mfcc.AsSpan(mfccOffset * mfccWidth));
            for (int t = 0; t < r.Speech.Length; t++)
            {
                vad[mfccOffset + t] = r.Speech[t] ? (byte)1 : (byte)0;
            }

            r.Modulation.Data.AsSpan(0, r.Modulation.Frames * msWidth).CopyTo(ms.AsSpan(msOffset * msWidth));
            r.ModulationStatistics.CopyTo(msStats.AsSpan(i * statsWidth));
            // Prosody frames are the MFCC frames' twins (same framing), so they share mfccOffset.
            r.Prosody!.Data.AsSpan(0, r.Prosody.Frames * ProsodyExtractor.Width).CopyTo(prosody.AsSpan(mfccOffset * ProsodyExtractor.Width));
            r.ProsodyStatistics!.CopyTo(prosodyStats.AsSpan(i * ProsodyExtractor.StatisticsLength));
            entries.Add(new
            {
                path = files[i].RelativePath,
                speaker = files[i].Speaker,
                label = files[i].Label,
                durationSeconds = r.DurationSeconds,
                speechSeconds = Math.Round(r.SpeechSeconds, 3),
                mfccOffset,
                mfccFrames = r.Mfcc.Frames,
                msOffset,
                msFrames = r.Modulation.Frames,
            });
            mfccOffset += r.Mfcc.Frames;
            msOffset += r.Modulation.Frames;
        }

        NpyWriter.WriteFloat32(Path.Combine(outDir, "mfcc.npy"), mfcc, mfccRows, mfccWidth);
        NpyWriter.WriteUInt8(Path.Combine(outDir, "vad.npy"), vad, mfccRows);
        NpyWriter.WriteFloat32(Path.Combine(outDir, "ms.npy"), ms, msRows, msWidth);
        NpyWriter.WriteFloat32(Path.Combine(outDir, "ms_stats.npy"), msStats, files.Count, statsWidth);
        NpyWriter.WriteFloat32(Path.Combine(outDir, "prosody.npy"), prosody, mfccRows, ProsodyExtractor.Width);
        NpyWriter.WriteFloat32(Path.Combine(outDir, "prosody_stats.npy"), prosodyStats, files.Count, ProsodyExtractor.StatisticsLength);
        var index = new
        {
            corpus,
            sampleRate = FeatureConfig.SampleRate,
            featureConfig = extractor.Config,
            labels = Corpora.Labels(corpus),
            mfcc = new { file = "mfcc.npy", width = mfccWidth, frameShiftSeconds = extractor.Mfcc.FrameShiftSeconds },
            modulation = new
            {
                file = "ms.npy",
                width = msWidth,
                acousticBands = extractor.Modulation.Options.AcousticBands,
                modulationBands = extractor.Modulation.Options.ModulationBands,
                acousticCentersHz = extractor.Modulation.AcousticCentersHz,
                modulationCentersHz = extractor.Modulation.ModulationCentersHz,
                frameShiftSeconds = extractor.Modulation.FrameShiftSeconds,
                statisticsFile = "ms_stats.npy",
                statisticNames = extractor.Modulation.StatisticNames,
            },
            vad = new { file = "vad.npy" },
            prosody = new
            {
                file = "prosody.npy",
                width = ProsodyExtractor.Width,
                columns = ProsodyExtractor.ColumnNames,
                frameShiftSeconds = extractor.Prosody.FrameShiftSeconds,
                statisticsFile = "prosody_stats.npy",
                statisticNames = ProsodyExtractor.StatisticNames,
            },
            files = entries,
        };
        File.WriteAllText(Path.Combine(outDir, "index.json"), JsonSerializer.Serialize(index, CliJson.Options));
        stdout.WriteLine($"exported {files.Count} files ({mfccRows} MFCC frames, {msRows} MS frames) from {corpus} to {outDir} in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>A FeatureConfig as JSON (web casing; what is left out keeps its default). Checked like any other.</summary>
    private static FeatureConfig ReadConfig(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<FeatureConfig>(File.ReadAllText(path), CliJson.Options)
                ?? throw new ArgumentException($"{path}: no feature configuration");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: not a feature configuration ({e.Message})", e);
        }
    }
}
